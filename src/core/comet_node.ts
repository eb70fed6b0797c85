/**
 * The domain facade both transports call: a CometQL insert and a browser `web_pipe2` reach
 * subscribers through the same functions here. Knows nothing of WebSocket or MySQL bytes.
 */
import { newMessageId } from "./message_id.ts";
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { HistoryEntry, Storage } from "../storage/storage.ts";
import {
  pipeMessage,
  presenceMessage,
  privateMessage,
  serverInfo,
  trackMessage,
  unixNow,
  webPipeMessage,
} from "./messages.ts";
import { NodeStats } from "./node_stats.ts";
import { deliverOfflineQueue } from "./offline_queue_delivery.ts";
import { PipeHistory } from "./pipe_history.ts";
import { PipeRegistry } from "./pipe_registry.ts";
import type { Subscriber } from "./subscriber.ts";
import { UserAuth } from "./user_auth.ts";
import { UserRegistry } from "./user_registry.ts";

const SETTINGS_RETRY_MS = 2000;

export class CometNode {
  readonly stats = new NodeStats();
  readonly pipes = new PipeRegistry();
  readonly users = new UserRegistry();
  readonly history: PipeHistory;
  readonly auth: UserAuth;
  /** Connections whose transport closed; `attach` checks it after every await. */
  private detached = new WeakSet<Subscriber>();
  private queueDeliveries = new Map<string, Promise<void>>();
  private settingsRetry: ReturnType<typeof setInterval> | undefined;

  constructor(readonly config: Config, readonly storage: Storage, readonly log: Logger) {
    this.history = new PipeHistory(
      storage,
      log,
      config.retention.historyFlushMs,
      config.retention.trustHistoryLength,
      () => this.stats.storageErrors++,
    );
    this.auth = new UserAuth(storage, () => this.config.main.password);
  }

  /**
   * Loads cached state from storage (pipe settings). With the backend unavailable (MySQL down at
   * start) it retries in the background until the load succeeds; live delivery works meanwhile.
   */
  async start(): Promise<void> {
    try {
      await this.history.load();
    } catch (e) {
      this.log.error("core", `pipe settings not loaded yet (retrying every 2 s): ${e}`);
      this.settingsRetry = setInterval(() => {
        this.history.load().then(() => {
          clearInterval(this.settingsRetry);
          this.settingsRetry = undefined;
          this.log.info("core", "pipe settings loaded");
        }, () => {/* still unavailable: the next tick tries again */});
      }, SETTINGS_RETRY_MS);
    }
  }

  /** Stops background work (the settings retry) and flushes pending history writes. */
  async close(): Promise<void> {
    clearInterval(this.settingsRetry);
    await this.flush();
  }

  // ---- browser lifecycle (spec websocket.md §1.3, §5, §6) ----

  /**
   * After the handshake: authorize, send serverInfo (always the first frame), register the user,
   * deliver the offline queue and announce presence.
   */
  async attach(sub: Subscriber, key: string, requestedUserId: number): Promise<void> {
    let result = { authorized: false, hash: "" };
    try {
      result = await this.auth.authenticate(sub.devId, requestedUserId, key);
    } catch (e) {
      this.stats.storageErrors++;
      this.log.error("core", `authorization of user ${requestedUserId} failed: ${e}`);
    }
    if (this.detached.has(sub)) return;
    sub.userId = result.authorized ? requestedUserId : 0;
    sub.send(serverInfo(result.authorized, result.hash));
    if (!result.authorized) return;

    // Deliver what was queued, register (live messages now reach this connection), then deliver
    // whatever was queued while the first pass ran.
    await this.deliverQueue(sub);
    if (this.detached.has(sub)) return;
    const first = this.users.add(sub);
    await this.deliverQueue(sub);
    if (first && !this.detached.has(sub)) this.userCameOnline(sub.devId, sub.userId);
  }

  /** The transport closed: leave every pipe, then go offline if it was the user's last one. */
  detach(sub: Subscriber): void {
    if (this.detached.has(sub)) return;
    this.detached.add(sub);
    const now = unixNow();
    if (sub.userId > 0 && this.users.remove(sub, now)) this.userWentOffline(sub, now);
    for (const pipe of [...sub.pipes]) this.leave(sub, pipe);
  }

  /**
   * Replaces the connection's pipe set (spec §3.1). Pipes kept in both lists stay silent, so a
   * resent list does not make `track_*` subscribers see unsubscription/subscription pairs.
   */
  setSubscriptions(sub: Subscriber, pipes: string[]): void {
    const wanted = new Set(pipes);
    for (const pipe of [...sub.pipes]) {
      if (!wanted.has(pipe)) this.leave(sub, pipe);
    }
    for (const pipe of wanted) {
      if (sub.pipes.has(pipe)) continue;
      if (pipe.startsWith("track_")) {
        // Current subscribers hear about it; the subscriber itself never does.
        this.pipes.fanout(
          sub.devId,
          pipe,
          trackMessage(pipe, "subscription", sub.userId, sub.uuid),
        );
      }
      this.pipes.subscribe(sub, pipe);
    }
  }

  // ---- publishing ----

  /** CometQL `INSERT INTO pipes_messages` (S5): fan-out now, history written in the background. */
  publish(devId: number, pipe: string, event: string, message: string): number {
    this.stats.published.cometql++;
    this.history.record(devId, pipe, event, message, 0);
    return this.pipes.fanout(devId, pipe, pipeMessage(pipe, event, message));
  }

  /**
   * `publish` with `[retention] history_sync` (issue 13): a message for a pipe with history is
   * stored first, then fanned out, and the promise resolves (the publisher is answered) only
   * then; a storage failure rejects and nothing was delivered. Without the option, or for a
   * pipe without history, it is `publish`.
   */
  publishStored(
    devId: number,
    pipe: string,
    event: string,
    message: string,
  ): number | Promise<number> {
    if (!this.config.retention.historySync) return this.publish(devId, pipe, event, message);
    const stored = this.history.recordStored(devId, pipe, event, message, 0);
    if (stored === undefined) return this.publish(devId, pipe, event, message);
    return stored.then(() => {
      this.stats.published.cometql++;
      return this.pipes.fanout(devId, pipe, pipeMessage(pipe, event, message));
    });
  }

  /** Browser `web_pipe2` (S3): every subscriber but the sender; returns the delivered count. */
  publishFromBrowser(
    sub: Subscriber,
    pipe: string,
    event: string,
    body: string,
    anonymous: boolean,
  ): number {
    this.stats.published.web++;
    const userId = anonymous ? 0 : sub.userId;
    this.history.record(sub.devId, pipe, event, body, userId);
    return this.pipes.fanout(sub.devId, pipe, webPipeMessage(pipe, event, body, userId), sub);
  }

  /**
   * Private message (spec §6): to every deliverable connection of the user; queued in storage
   * (and resolved only once stored) when none took it, unless `queue` is false.
   */
  async sendPrivate(
    devId: number,
    userId: number,
    event: string,
    message: string,
    options: { queue?: boolean } = {},
  ): Promise<number> {
    this.stats.published.private++;
    let delivered = 0;
    const outbound = privateMessage(event, message);
    for (const sub of this.users.deliverableOf(devId, userId)) {
      if (sub.send(outbound)) delivered++;
    }
    // Cluster traffic (spec cometql.md §7.5) is delivered locally only, never queued.
    if (delivered === 0 && options.queue !== false) {
      await this.storage.enqueuePrivate({
        id: newMessageId(),
        devId,
        userId,
        event,
        message,
        time: unixNow(),
      });
      this.stats.privateQueued++;
    }
    return delivered;
  }

  // ---- queries ----

  /** Authorized browser connections of the tenant here (`SHOW STATUS` user_online, §12.1). */
  authorizedConnections(devId: number): number {
    return this.users.connectionCount(devId);
  }

  countSubscribers(devId: number, pipe: string): number {
    return this.pipes.count(devId, pipe);
  }

  subscribersOf(devId: number, pipe: string): Subscriber[] {
    return this.pipes.subscribersOf(devId, pipe);
  }

  readHistory(devId: number, pipe: string, limit = 99): Promise<HistoryEntry[]> {
    return this.history.read(devId, pipe, limit);
  }

  async deleteHistory(devId: number, pipe: string): Promise<void> {
    await this.history.flush();
    await this.storage.deleteHistory(devId, pipe);
  }

  async deleteHistoryMessage(devId: number, id: string): Promise<void> {
    await this.history.flush();
    await this.storage.deleteHistoryMessage(devId, id);
  }

  pipeLength(devId: number, pipe: string): number | undefined {
    return this.history.length(devId, pipe);
  }

  setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    return this.history.setLength(devId, pipe, length);
  }

  deletePipeSettings(devId: number, pipe: string): Promise<void> {
    return this.history.deleteSettings(devId, pipe);
  }

  // ---- auth (spec §5) ----

  getAuthHash(devId: number, userId: number): Promise<string | null> {
    return this.auth.getHash(devId, userId);
  }

  setAuthHash(devId: number, userId: number, hash: string): Promise<void> {
    return this.auth.setHash(devId, userId, hash);
  }

  /** Removes the hash and drops every connection of the user so they re-authenticate (§5.4). */
  async deleteAuthHash(devId: number, userId: number): Promise<void> {
    await this.auth.deleteHash(devId, userId);
    this.kick(devId, userId);
  }

  /** Stores the token as revoked; if it still verifies, its user loses hash and connections. */
  async revokeToken(devId: number, token: string): Promise<void> {
    await this.storage.revokeToken(devId, token);
    const userId = await this.auth.verifiedUserId(devId, token);
    if (userId !== undefined && userId > 0) await this.deleteAuthHash(devId, userId);
  }

  verifyJwt(devId: number, token: string, userId: number): Promise<boolean> {
    return this.auth.verifyJwt(devId, token, userId);
  }

  /** Bare TCP drop of all the user's connections, so they reconnect and re-authorize. */
  private kick(devId: number, userId: number): void {
    for (const sub of this.users.connectionsOf(devId, userId)) sub.drop();
  }

  // ---- presence (spec §5.6) ----

  /** 0 = online on this node, Unix time = last seen, −1 = unknown. */
  async lastOnline(devId: number, userId: number): Promise<number> {
    if (this.users.isOnline(devId, userId)) return 0;
    const seen = this.users.lastSeenOf(devId, userId);
    if (seen !== undefined) return seen;
    const stored = await this.storage.getUserTime(devId, userId);
    return stored === null || stored === 0 ? -1 : stored;
  }

  async userData(devId: number, userId: number): Promise<string> {
    return (await this.storage.getUserData(devId, userId)) ?? "";
  }

  /** Waits for pending history writes (graceful shutdown, consistency before reads). */
  flush(): Promise<void> {
    return this.history.flush();
  }

  // ---- internals ----

  /** Unsubscribes; the remaining subscribers of a `track_*` pipe hear about it (S10). */
  private leave(sub: Subscriber, pipe: string): void {
    this.pipes.unsubscribe(sub, pipe);
    if (pipe.startsWith("track_")) {
      this.pipes.fanout(
        sub.devId,
        pipe,
        trackMessage(pipe, "unsubscription", sub.userId, sub.uuid),
      );
    }
  }

  /**
   * Queue deliveries of one user run one after another, so two tabs connecting at once never
   * both send the same queued message.
   */
  private deliverQueue(sub: Subscriber): Promise<void> {
    const key = `${sub.devId}:${sub.userId}`;
    const next = (this.queueDeliveries.get(key) ?? Promise.resolve()).then(() =>
      this.deliverQueueTo(sub)
    );
    this.queueDeliveries.set(key, next);
    next.then(() => {
      if (this.queueDeliveries.get(key) === next) this.queueDeliveries.delete(key);
    });
    return next;
  }

  /** Sends the queue; removes only what the kernel took whole (offline_queue_delivery.ts). */
  private async deliverQueueTo(sub: Subscriber): Promise<void> {
    try {
      await deliverOfflineQueue(this.storage, sub, () => this.detached.has(sub));
    } catch (e) {
      this.stats.storageErrors++;
      this.log.error("core", `offline queue of user ${sub.userId} not delivered: ${e}`);
    }
  }

  private userCameOnline(devId: number, userId: number): void {
    if (this.config.main.saveUsersLastOnlineTime) this.saveUserTime(devId, userId, 0);
    if (this.config.main.sendUserOnlineEvents) this.announce(devId, userId, true);
  }

  private userWentOffline(sub: Subscriber, now: number): void {
    if (this.config.main.saveUsersLastOnlineTime) this.saveUserTime(sub.devId, sub.userId, now);
    if (this.config.main.sendUserOfflineEvents) this.announce(sub.devId, sub.userId, false);
  }

  private announce(devId: number, userId: number, online: boolean): void {
    this.stats.published.presence++;
    this.pipes.fanout(devId, `user_status_${userId}`, presenceMessage(userId, online));
  }

  private saveUserTime(devId: number, userId: number, time: number): void {
    this.storage.setUserTime(devId, userId, time).catch((e) => {
      this.stats.storageErrors++;
      this.log.warn("core", `users_time of user ${userId} not saved: ${e}`);
    });
  }
}
