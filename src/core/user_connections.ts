/**
 * A browser connection's life as a user's (docs/protocol/websocket.md §1.3, §5, §5.6, §6):
 * authorization and the first frame, the offline queue, the user's online/offline events (S9 on
 * `user_status_<id>`) and last-seen time, on the user's first and last connection — on this
 * node, or with several nodes (issue 12) anywhere, as presence decides.
 */
import { pipeTopic, userTopic } from "../cluster/broker.ts";
import type { Presence } from "../cluster/presence.ts";
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { Storage } from "../storage/storage.ts";
import type { ClusterLink } from "./cluster_link.ts";
import { presenceMessage, serverInfo, unixNow } from "./messages.ts";
import type { NodeStats } from "./node_stats.ts";
import type { PipeRegistry } from "./pipe_registry.ts";
import type { PrivateMessages } from "./private_messages.ts";
import type { Subscriber } from "./subscriber.ts";
import type { UserAuth } from "./user_auth.ts";
import type { UserRegistry } from "./user_registry.ts";

/** What the user side of connections works with. */
export interface UserConnectionParts {
  /** Read at use: `[main]` event and last-seen switches are reloadable. */
  config: Config;
  storage: Storage;
  users: UserRegistry;
  auth: UserAuth;
  /** Where S9 events are delivered on this node. */
  pipes: PipeRegistry;
  presence: Presence;
  link: ClusterLink;
  privateMessages: PrivateMessages;
  stats: NodeStats;
  log: Logger;
}

export class UserConnections {
  /** Connections whose transport closed; `attach` checks it after every await. */
  private detached = new WeakSet<Subscriber>();

  constructor(private readonly parts: UserConnectionParts) {}

  /**
   * After the handshake: authorize, send serverInfo (always the first frame), register the user,
   * deliver the offline queue and announce presence.
   */
  async attach(sub: Subscriber, key: string, requestedUserId: number): Promise<void> {
    const { users, presence, link } = this.parts;
    let result = { authorized: false, hash: "" };
    try {
      result = await this.parts.auth.authenticate(sub.devId, requestedUserId, key);
    } catch (e) {
      this.parts.stats.storageErrors++;
      this.parts.log.error("core", `authorization of user ${requestedUserId} failed: ${e}`);
    }
    if (this.detached.has(sub)) return;
    sub.userId = result.authorized ? requestedUserId : 0;
    sub.send(serverInfo(result.authorized, result.hash));
    if (!result.authorized) return;

    // Deliver what was queued, register (live messages now reach this connection), then deliver
    // whatever was queued while the first pass ran.
    await this.deliverQueue(sub);
    if (this.detached.has(sub)) return;
    const firstHere = users.add(sub);
    if (!link.clustered) {
      await this.deliverQueue(sub);
      if (firstHere && !this.detached.has(sub)) this.cameOnline(sub.devId, sub.userId);
      return;
    }
    // Several nodes: online only on the user's first connection anywhere (presence decides).
    const everywhere = presence.connected(sub).catch((e) => {
      link.failed("presence of a connection", e);
      return firstHere ? 1 : 2;
    });
    // Other nodes' private messages reach this node from now on; a message queued before the
    // subscription took effect is found by the second pass (see `PrivateMessages.send`).
    if (firstHere) await link.listen(userTopic(sub.devId, sub.userId));
    await this.deliverQueue(sub);
    if (await everywhere === 1 && !this.detached.has(sub)) {
      this.cameOnline(sub.devId, sub.userId);
    }
  }

  /**
   * The transport closed: goes offline if it was the user's last connection. False when the
   * connection was detached already (the caller then has nothing left to do either).
   */
  detach(sub: Subscriber): boolean {
    if (this.detached.has(sub)) return false;
    this.detached.add(sub);
    const { users, presence, link } = this.parts;
    const now = unixNow();
    if (sub.userId > 0 && users.has(sub)) {
      const lastHere = users.remove(sub, now);
      if (!link.clustered) {
        if (lastHere) this.wentOffline(sub.devId, sub.userId, now);
      } else {
        // Several nodes: offline only after the user's last connection anywhere.
        if (lastHere) link.unlisten(userTopic(sub.devId, sub.userId));
        link.track(
          presence.disconnected(sub, now).then((left) => {
            if (left === 0) this.wentOffline(sub.devId, sub.userId, now);
          }, (e) => link.failed("presence of a connection", e)),
        );
      }
    }
    return true;
  }

  /** Whether the connection left the core (its transport closed). */
  gone(sub: Subscriber): boolean {
    return this.detached.has(sub);
  }

  /** Sends the user's offline queue to the connection (one user's deliveries one at a time). */
  deliverQueue(sub: Subscriber): Promise<void> {
    return this.parts.privateMessages.deliverQueue(sub, () => this.detached.has(sub));
  }

  /** Bare TCP drop of all the user's connections, so they reconnect and re-authorize. */
  kick(devId: number, userId: number): void {
    for (const sub of this.parts.users.connectionsOf(devId, userId)) sub.drop();
  }

  /** 0 = online on some node, Unix time = last seen, −1 = unknown. */
  async lastOnline(devId: number, userId: number): Promise<number> {
    const { presence, storage } = this.parts;
    if (await presence.isOnline(devId, userId)) return 0;
    const seen = await presence.lastSeen(devId, userId);
    if (seen !== undefined) return seen;
    const stored = await storage.getUserTime(devId, userId);
    return stored === null || stored === 0 ? -1 : stored;
  }

  /** The user's last connection anywhere closed (here, or on a node that was lost). */
  wentOffline(devId: number, userId: number, now: number): void {
    const { main } = this.parts.config;
    if (main.saveUsersLastOnlineTime) this.saveUserTime(devId, userId, now);
    if (main.sendUserOfflineEvents) this.announce(devId, userId, false);
  }

  private cameOnline(devId: number, userId: number): void {
    const { main } = this.parts.config;
    if (main.saveUsersLastOnlineTime) this.saveUserTime(devId, userId, 0);
    if (main.sendUserOnlineEvents) this.announce(devId, userId, true);
  }

  /** S9 on `user_status_<id>`, on every node. */
  private announce(devId: number, userId: number, online: boolean): void {
    const { pipes, link } = this.parts;
    this.parts.stats.published.presence++;
    const pipe = `user_status_${userId}`;
    pipes.fanout(devId, pipe, presenceMessage(userId, online));
    if (!link.clustered) return;
    link.announce(
      pipeTopic(devId, pipe),
      { kind: "presence", devId, userId, online },
      "presence event",
    );
  }

  private saveUserTime(devId: number, userId: number, time: number): void {
    this.parts.storage.setUserTime(devId, userId, time).catch((e) => {
      this.parts.stats.storageErrors++;
      this.parts.log.warn("core", `users_time of user ${userId} not saved: ${e}`);
    });
  }
}
