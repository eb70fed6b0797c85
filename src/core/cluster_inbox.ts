/**
 * What a node does with a message another node published (issue 12): fan it out to its own
 * subscribers (one Outbound per message, encoded once per wire format), hand out a user's
 * queue, or drop a cached value. And the node's registries as its presence driver reads them.
 */
import type { LocalState } from "../cluster/presence.ts";
import type { Logger } from "../log.ts";
import { decodeClusterMessage } from "./cluster_messages.ts";
import {
  pipeMessage,
  presenceMessage,
  privateMessage,
  trackMessage,
  webPipeMessage,
} from "./messages.ts";
import type { PipeHistory } from "./pipe_history.ts";
import type { PipeRegistry } from "./pipe_registry.ts";
import type { RecoveryWindow } from "./recovery_window.ts";
import type { Subscriber } from "./subscriber.ts";
import type { UserAuth } from "./user_auth.ts";
import type { UserRegistry } from "./user_registry.ts";

/** The parts of a node a message from another node acts on. */
export interface ClusterInbox {
  pipes: PipeRegistry;
  users: UserRegistry;
  auth: UserAuth;
  history: PipeHistory;
  window: RecoveryWindow;
  log: Logger;
  deliverQueue(sub: Subscriber): Promise<void>;
  kick(devId: number, userId: number): void;
}

export function receiveFromCluster(node: ClusterInbox, payload: string): void {
  const m = decodeClusterMessage(payload);
  if (m === undefined) {
    node.log.warn("cluster", `unreadable message from another node: ${payload.slice(0, 80)}`);
    return;
  }
  switch (m.kind) {
    case "pipe": {
      // Kept in this node's window too, with this node's positions (docs/protocol/recovery.md).
      const at = node.window.append(m.devId, m.pipe, m.time, m.event, m.message, 0, false);
      node.pipes.fanout(m.devId, m.pipe, pipeMessage(m.pipe, m.event, m.message, m.time, at));
      return;
    }
    case "web": {
      const at = node.window.append(m.devId, m.pipe, m.time, m.event, m.body, m.userId, true);
      node.pipes.fanout(
        m.devId,
        m.pipe,
        webPipeMessage(m.pipe, m.event, m.body, m.userId, m.time, at),
      );
      return;
    }
    case "presence":
      node.pipes.fanout(m.devId, `user_status_${m.userId}`, presenceMessage(m.userId, m.online));
      return;
    case "track": {
      const kind = m.unsubscribed ? "unsubscription" : "subscription";
      node.pipes.fanout(m.devId, m.pipe, trackMessage(m.pipe, kind, m.userId, m.uuid, m.time));
      return;
    }
    case "private": {
      const outbound = privateMessage(m.event, m.message);
      for (const sub of node.users.deliverableOf(m.devId, m.userId)) sub.send(outbound);
      return;
    }
    case "queued":
      for (const sub of node.users.deliverableOf(m.devId, m.userId)) {
        node.deliverQueue(sub);
        return;
      }
      return;
    case "auth":
      node.auth.forgetHash(m.devId, m.userId);
      if (m.kick) node.kick(m.devId, m.userId);
      return;
    case "pipeLength":
      node.history.applyLength(m.devId, m.pipe, m.length);
      return;
  }
}

/** The registries as the presence driver reads them. */
export function localStateOf(
  pipes: PipeRegistry,
  users: UserRegistry,
  cometqlConnections: () => number,
  figures: () => { name: string; connections: number; startedAt: number },
): LocalState {
  return {
    subscribersOf: (devId, pipe) => pipes.subscribersOf(devId, pipe),
    countSubscribers: (devId, pipe) => pipes.count(devId, pipe),
    forEachSubscription: (fn) => pipes.forEachSubscription(fn),
    forEachConnection: (fn) => users.forEachConnection(fn),
    isOnline: (devId, userId) => users.isOnline(devId, userId),
    userConnectionCount: (devId, userId) => users.countOf(devId, userId),
    lastSeenOf: (devId, userId) => users.lastSeenOf(devId, userId),
    connectionCount: (devId) => users.connectionCount(devId),
    cometqlConnections,
    nodeFigures: () => ({
      ...figures(),
      authorized: users.connectionTotal,
      users: users.onlineUsers,
    }),
  };
}
