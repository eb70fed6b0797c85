/**
 * Private messages to a user (docs/protocol/websocket.md §6): delivered to every deliverable
 * connection of the user on every node, else kept in the user's offline queue
 * (`users_messages`), which a connection gets once it authorizes.
 */
import { userTopic } from "../cluster/broker.ts";
import type { Presence } from "../cluster/presence.ts";
import type { Logger } from "../log.ts";
import type { Storage } from "../storage/storage.ts";
import type { ClusterLink } from "./cluster_link.ts";
import { newMessageId } from "./message_id.ts";
import { privateMessage, unixNow } from "./messages.ts";
import type { NodeStats } from "./node_stats.ts";
import { deliverOfflineQueue } from "./offline_queue_delivery.ts";
import type { Subscriber } from "./subscriber.ts";
import type { UserRegistry } from "./user_registry.ts";

/** What private messages work with. */
export interface PrivateMessageParts {
  storage: Storage;
  users: UserRegistry;
  /** Holds the per-user lock queue deliveries run under (on every node). */
  presence: Presence;
  link: ClusterLink;
  stats: NodeStats;
  log: Logger;
}

export class PrivateMessages {
  constructor(private readonly parts: PrivateMessageParts) {}

  /**
   * To every deliverable connection of the user; when none took it and `queue`, queued in
   * storage (and resolved only once stored). Resolves with how many took it.
   */
  async send(
    devId: number,
    userId: number,
    event: string,
    message: string,
    queue: boolean,
  ): Promise<number> {
    const { link, stats } = this.parts;
    stats.published.private++;
    // Cluster: the other nodes holding the user first (rejects, and nothing happens, when they
    // cannot be reached); the count says whether any node took it.
    const elsewhere = link.clustered
      ? await link.publish(userTopic(devId, userId), {
        kind: "private",
        devId,
        userId,
        event,
        message,
      })
      : 0;
    let delivered = 0;
    const outbound = privateMessage(event, message);
    for (const sub of this.parts.users.deliverableOf(devId, userId)) {
      if (sub.send(outbound)) delivered++;
    }
    // Cluster traffic (docs/protocol/cometql.md §7.5) is delivered locally only, never queued.
    if (delivered === 0 && elsewhere === 0 && queue) {
      await this.parts.storage.enqueuePrivate({
        id: newMessageId(),
        devId,
        userId,
        event,
        message,
        time: unixNow(),
      });
      stats.privateQueued++;
      // A tab that connected on another node while this ran has read its queue already, but
      // it listens to the user's topic by then: it is told to read again.
      if (link.clustered) {
        link.announce(userTopic(devId, userId), { kind: "queued", devId, userId }, "queue");
      }
    }
    return delivered + elsewhere;
  }

  /**
   * Sends the user's offline queue to the connection; removes only what the kernel took whole
   * (offline_queue_delivery.ts). Queue deliveries of one user run one after another, on every
   * node (the presence lock), so two tabs connecting at once never both send the same queued
   * message. `gone()` tells whether the connection left the core.
   */
  deliverQueue(sub: Subscriber, gone: () => boolean): Promise<void> {
    return this.parts.presence.withUserLock(sub.devId, sub.userId, async () => {
      try {
        await deliverOfflineQueue(this.parts.storage, sub, gone);
      } catch (e) {
        this.parts.stats.storageErrors++;
        this.parts.log.error("core", `offline queue of user ${sub.userId} not delivered: ${e}`);
      }
    });
  }
}
