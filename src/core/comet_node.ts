/**
 * The domain facade both transports call: a CometQL insert and a browser `web_pipe2` reach
 * subscribers through the same functions here. Knows nothing of WebSocket or MySQL bytes.
 */
import { type Broker, CONTROL_TOPIC, pipeTopic, userTopic } from "../cluster/broker.ts";
import { ClusterStats } from "../cluster/cluster_stats.ts";
import { LocalBroker } from "../cluster/local_broker.ts";
import { LocalPresence } from "../cluster/local_presence.ts";
import type { LocalState, Presence, PresenceEntry } from "../cluster/presence.ts";
import type { ClusterMessage } from "./cluster_messages.ts";
import { ClusterLink } from "./cluster_link.ts";
import { type ClusterInbox, localStateOf, receiveFromCluster } from "./cluster_inbox.ts";
import { newMessageId } from "./message_id.ts";
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { HistoryEntry, QueuedMessage, Storage } from "../storage/storage.ts";
import {
  pipeMessage,
  presenceMessage,
  privateMessage,
  serverInfo,
  trackMessage,
  unixNow,
  webPipeMessage,
} from "./messages.ts";
import { MemoryRecoveryWindow } from "./memory_recovery_window.ts";
import { NodeStats } from "./node_stats.ts";
import { deliverOfflineQueue } from "./offline_queue_delivery.ts";
import { PipeHistory } from "./pipe_history.ts";
import { PipeRegistry } from "./pipe_registry.ts";
import type { RecoveryWindow, StreamPosition } from "./recovery_window.ts";
import { loadWindowFile, saveWindowFile } from "./recovery_window_file.ts";
import { resumePipe, type ResumeRequest } from "./stream_resume.ts";
import type { Subscriber } from "./subscriber.ts";
import { UserAuth } from "./user_auth.ts";
import { UserRegistry } from "./user_registry.ts";

const SETTINGS_RETRY_MS = 2000;

/** What a browser publish gives the sender's S4: the delivered count and the stream position. */
export interface BrowserPublish {
  delivered: number;
  at: StreamPosition | undefined;
}

/** The engines that make several nodes one server (issue 12); absent ones are local. */
export interface ClusterEngines {
  broker?: Broker;
  presence?: Presence;
  /** What the drivers count, for `/metrics`. */
  stats?: ClusterStats;
}

export class CometNode {
  readonly stats = new NodeStats();
  readonly pipes = new PipeRegistry();
  readonly users = new UserRegistry();
  readonly history: PipeHistory;
  readonly auth: UserAuth;
  /** Positions and recent messages of every pipe, for resumed subscriptions. */
  readonly window: RecoveryWindow;
  /** Connections whose transport closed; `attach` checks it after every await. */
  private detached = new WeakSet<Subscriber>();
  private settingsRetry: ReturnType<typeof setInterval> | undefined;
  readonly broker: Broker;
  readonly presence: Presence;
  readonly clusterStats: ClusterStats;
  /**
   * Other nodes may exist (`[redis]`): publishes also go to the broker. False on a single node,
   * whose hot paths then stay exactly as they were (no encoding, no await).
   */
  private readonly clustered: boolean;
  private readonly link: ClusterLink;

  constructor(
    readonly config: Config,
    readonly storage: Storage,
    readonly log: Logger,
    engines: ClusterEngines = {},
  ) {
    this.broker = engines.broker ?? new LocalBroker();
    this.presence = engines.presence ??
      new LocalPresence(this.localState());
    this.link = new ClusterLink(this.broker, log);
    this.clustered = this.link.clustered;
    this.clusterStats = engines.stats ?? new ClusterStats();
    this.history = new PipeHistory(
      storage,
      log,
      config.retention.historyFlushMs,
      config.retention.trustHistoryLength,
      () => this.stats.storageErrors++,
    );
    this.auth = new UserAuth(storage, () => this.config.main.password);
    this.window = new MemoryRecoveryWindow(config.recovery);
  }

  /** The registries and figures as the presence driver reads them. */
  private localState(): LocalState {
    return localStateOf(this.pipes, this.users, () => this.stats.qlOnline, () => ({
      name: this.config.main.nodeName,
      connections: this.stats.wsOnline,
      startedAt: this.stats.startedAt,
    }));
  }

  /**
   * Loads cached state from storage (pipe settings). With the backend unavailable (MySQL down at
   * start) it retries in the background until the load succeeds; live delivery works meanwhile.
   */
  async start(): Promise<void> {
    const inbox: ClusterInbox = {
      pipes: this.pipes,
      users: this.users,
      auth: this.auth,
      history: this.history,
      window: this.window,
      log: this.log,
      deliverQueue: (sub) => this.deliverQueue(sub),
      kick: (devId, userId) => this.kick(devId, userId),
    };
    await this.broker.start({
      message: (payload) => receiveFromCluster(inbox, payload),
      reconnected: () => this.resync(),
    });
    await this.presence.start(this.localState(), {
      usersLost: (devId, userIds, now) => {
        for (const userId of userIds) this.userWentOffline(devId, userId, now);
      },
      trackersLost: (devId, pipe, entries) => {
        for (const e of entries) this.announceTrackOf(devId, pipe, e.userId, e.uuid, true);
      },
    });
    if (this.clustered) await this.broker.subscribe(CONTROL_TOPIC).catch(() => {});
    // Several nodes: each start is a new epoch (the file's epochs belong to one process, and
    // messages other nodes published while this one was down are not in it).
    if (!this.clustered) await loadWindowFile(this.window, this.config.recovery.file, this.log);
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
    // The last connections' offline events reach the other nodes before this node leaves.
    await this.link.settle();
    await this.presence.close();
    await this.broker.close();
    this.window.close();
    if (!this.clustered) await saveWindowFile(this.window, this.config.recovery.file, this.log);
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
    const firstHere = this.users.add(sub);
    if (!this.clustered) {
      await this.deliverQueue(sub);
      if (firstHere && !this.detached.has(sub)) this.userCameOnline(sub.devId, sub.userId);
      return;
    }
    // Several nodes: online only on the user's first connection anywhere (presence decides).
    const everywhere = this.presence.connected(sub).catch((e) => {
      this.link.failed("presence of a connection", e);
      return firstHere ? 1 : 2;
    });
    // Other nodes' private messages reach this node from now on; a message queued before the
    // subscription took effect is found by the second pass (see `sendPrivate`).
    if (firstHere) await this.link.listen(userTopic(sub.devId, sub.userId));
    await this.deliverQueue(sub);
    if (await everywhere === 1 && !this.detached.has(sub)) {
      this.userCameOnline(sub.devId, sub.userId);
    }
  }

  /** The transport closed: leave every pipe, then go offline if it was the user's last one. */
  detach(sub: Subscriber): void {
    if (this.detached.has(sub)) return;
    this.detached.add(sub);
    const now = unixNow();
    if (sub.userId > 0 && this.users.has(sub)) {
      const lastHere = this.users.remove(sub, now);
      if (!this.clustered) {
        if (lastHere) this.userWentOffline(sub.devId, sub.userId, now);
      } else {
        // Several nodes: offline only after the user's last connection anywhere.
        if (lastHere) this.broker.unsubscribe(userTopic(sub.devId, sub.userId));
        this.link.track(
          this.presence.disconnected(sub, now).then((left) => {
            if (left === 0) this.userWentOffline(sub.devId, sub.userId, now);
          }, (e) => this.link.failed("presence of a connection", e)),
        );
      }
    }
    for (const pipe of [...sub.pipes]) this.leave(sub, pipe);
  }

  /**
   * Replaces the connection's pipe set (spec §3.1). Pipes kept in both lists stay silent, so a
   * resent list does not make `track_*` subscribers see unsubscription/subscription pairs.
   * With other nodes, resolves once their publishes to the new pipes reach this node (the
   * browser's next command runs after that).
   */
  setSubscriptions(sub: Subscriber, pipes: string[]): void | Promise<void> {
    let listening: Promise<void>[] | undefined;
    const wanted = new Set(pipes);
    for (const pipe of [...sub.pipes]) {
      if (!wanted.has(pipe)) this.leave(sub, pipe);
    }
    for (const pipe of wanted) {
      if (sub.pipes.has(pipe)) continue;
      // Registered cluster-wide before the track_ event goes out, so a subscriber that answers
      // the event with track_pipe_users finds the newcomer.
      if (this.clustered) this.presence.subscribed(sub, pipe);
      // Current subscribers hear about it; the subscriber itself never does.
      if (pipe.startsWith("track_")) this.announceTrack(sub, pipe, false);
      if (this.pipes.subscribe(sub, pipe) && this.clustered) {
        (listening ??= []).push(this.listenToPipe(sub.devId, pipe));
      }
    }
    if (listening !== undefined) return Promise.all(listening).then(() => {});
  }

  /**
   * Like `setSubscriptions`, with a stream position per pipe to resume from: each newly
   * subscribed pipe first gets what it missed, then live messages (docs/protocol/recovery.md §3).
   * All of it runs synchronously, so no publish can fall between the replay and the live stream.
   */
  resumeSubscriptions(sub: Subscriber, wanted: ResumeRequest[]): void | Promise<void> {
    const fresh = wanted.filter((w) => !sub.pipes.has(w.pipe));
    const resume = () => {
      this.setSubscriptions(sub, wanted.map((w) => w.pipe));
      for (const w of fresh) this.stats.resumed[resumePipe(this.window, sub, w)]++;
    };
    if (!this.clustered || fresh.length === 0) return resume();
    // Several nodes: first listen to the new pipes (a pipe this node starts listening to gets a
    // new epoch: what other nodes published before did not reach its window), then resume
    // synchronously as on one node.
    const topics = fresh.map((w) => pipeTopic(sub.devId, w.pipe));
    return Promise.all(fresh.map((w) => this.listenToPipe(sub.devId, w.pipe))).then(() => {
      resume();
      for (const topic of topics) this.broker.unsubscribe(topic);
    });
  }

  /** Listens to a pipe's topic; starting to listen begins a new epoch of the pipe here. */
  private listenToPipe(devId: number, pipe: string): Promise<void> {
    return this.link.listen(pipeTopic(devId, pipe), () => this.window.forget(devId, pipe));
  }

  // ---- publishing ----

  /** CometQL `INSERT INTO pipes_messages` (S5): fan-out now, history written in the background. */
  publish(devId: number, pipe: string, event: string, message: string): number | Promise<number> {
    this.stats.published.cometql++;
    if (!this.clustered) {
      this.history.record(devId, pipe, event, message, 0);
      const now = unixNow();
      const at = this.window.append(devId, pipe, now, event, message, 0, false);
      return this.pipes.fanout(devId, pipe, pipeMessage(pipe, event, message, now, at));
    }
    // Cluster: sent to the other nodes first, then here, so an INSERT that fails (Redis down)
    // was delivered nowhere and stored nowhere. History is stored once, by this node.
    const time = unixNow();
    const m: ClusterMessage = { kind: "pipe", devId, pipe, event, message, time };
    return this.link.publish(pipeTopic(devId, pipe), m).then(() => {
      this.history.record(devId, pipe, event, message, 0);
      const at = this.window.append(devId, pipe, time, event, message, 0, false);
      return this.pipes.fanout(devId, pipe, pipeMessage(pipe, event, message, time, at));
    });
  }

  /**
   * `publish` with `[retention] history_sync` (issue 13): for a pipe with history the promise
   * resolves (the publisher is answered) only once the history row is stored; a storage failure
   * rejects (an ERR to the publisher), though the message was already delivered live. Without
   * the option, or for a pipe without history, it is `publish`.
   */
  publishStored(
    devId: number,
    pipe: string,
    event: string,
    message: string,
  ): number | Promise<number> {
    const published = this.publish(devId, pipe, event, message);
    if (!this.config.retention.historySync || this.history.keep(devId, pipe) <= 0) {
      return published;
    }
    return Promise.resolve(published).then(async (n) => {
      await this.history.storeSoon();
      return n;
    });
  }

  /**
   * Browser `web_pipe2` (S3): every subscriber but the sender; returns the delivered count and
   * the message's stream position (for the sender's S4).
   */
  publishFromBrowser(
    sub: Subscriber,
    pipe: string,
    event: string,
    body: string,
    anonymous: boolean,
  ): BrowserPublish | Promise<BrowserPublish> {
    this.stats.published.web++;
    const userId = anonymous ? 0 : sub.userId;
    const devId = sub.devId;
    this.history.record(devId, pipe, event, body, userId);
    const now = unixNow();
    const at = this.window.append(devId, pipe, now, event, body, userId, true);
    const message = webPipeMessage(pipe, event, body, userId, now, at);
    const delivered = this.pipes.fanout(devId, pipe, message, sub);
    if (!this.clustered) return { delivered, at };
    // The report counts every node's subscribers (presence), this node's as actually written.
    const m: ClusterMessage = { kind: "web", devId, pipe, event, body, userId, time: now };
    const localCount = this.pipes.count(devId, pipe);
    return Promise.all([
      this.link.publish(pipeTopic(devId, pipe), m),
      this.presence.subscriberCount(devId, pipe),
    ]).then(
      ([, total]) => ({ delivered: delivered + Math.max(0, total - localCount), at }),
      (e) => {
        this.link.failed("web_pipe2", e);
        return { delivered, at };
      },
    );
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
    // Cluster: the other nodes holding the user first (rejects, and nothing happens, when they
    // cannot be reached); the count says whether any node took it.
    const elsewhere = this.clustered
      ? await this.link.publish(userTopic(devId, userId), {
        kind: "private",
        devId,
        userId,
        event,
        message,
      })
      : 0;
    let delivered = 0;
    const outbound = privateMessage(event, message);
    for (const sub of this.users.deliverableOf(devId, userId)) {
      if (sub.send(outbound)) delivered++;
    }
    // Cluster traffic (spec cometql.md §7.5) is delivered locally only, never queued.
    if (delivered === 0 && elsewhere === 0 && options.queue !== false) {
      await this.storage.enqueuePrivate({
        id: newMessageId(),
        devId,
        userId,
        event,
        message,
        time: unixNow(),
      });
      this.stats.privateQueued++;
      // A tab that connected on another node while this ran has read its queue already, but
      // it listens to the user's topic by then: it is told to read again.
      if (this.clustered) {
        this.link.announce(userTopic(devId, userId), { kind: "queued", devId, userId }, "queue");
      }
    }
    return delivered + elsewhere;
  }

  // ---- queries ----

  /** Authorized browser connections of the tenant on this node. */
  authorizedConnections(devId: number): number {
    return this.users.connectionCount(devId);
  }

  /** Subscribers of the pipe on this node. */
  countSubscribers(devId: number, pipe: string): number {
    return this.pipes.count(devId, pipe);
  }

  /** Subscribers of the pipe on this node, newest first. */
  subscribersOf(devId: number, pipe: string): Subscriber[] {
    return this.pipes.subscribersOf(devId, pipe);
  }

  // What clients are told is about every node (one node: the same as the local figures above).

  /** Authorized browser connections of the tenant on every node (`SHOW STATUS` user_online). */
  authorizedConnectionsEverywhere(devId: number): Promise<number> {
    return this.presence.connectionCount(devId);
  }

  /** Open CometQL connections on every node (`SHOW STATUS` server_online). */
  cometqlConnectionsEverywhere(): Promise<number> {
    return this.presence.cometqlConnections();
  }

  /** Subscribers of the pipe on every node (`pipes`, `pipe_count`). */
  countSubscribersEverywhere(devId: number, pipe: string): Promise<number> {
    return this.presence.subscriberCount(devId, pipe);
  }

  /** Subscribers of the pipe on every node, newest first (`users_in_pipes`, `track_pipe_users`). */
  subscribersEverywhere(devId: number, pipe: string): Promise<PresenceEntry[]> {
    return this.presence.subscribers(devId, pipe);
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

  async setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    this.link.assertReachable();
    await this.history.setLength(devId, pipe, length);
    this.link.tell({ kind: "pipeLength", devId, pipe, length });
  }

  async deletePipeSettings(devId: number, pipe: string): Promise<void> {
    this.link.assertReachable();
    await this.history.deleteSettings(devId, pipe);
    this.link.tell({ kind: "pipeLength", devId, pipe, length: null });
  }

  // ---- auth (spec §5) ----

  getAuthHash(devId: number, userId: number): Promise<string | null> {
    return this.auth.getHash(devId, userId);
  }

  async setAuthHash(devId: number, userId: number, hash: string): Promise<void> {
    this.link.assertReachable();
    await this.auth.setHash(devId, userId, hash);
    this.link.tell({ kind: "auth", devId, userId, kick: false });
  }

  /**
   * Removes the hash and drops every connection of the user, on every node, so they
   * re-authenticate (§5.4).
   */
  async deleteAuthHash(devId: number, userId: number): Promise<void> {
    this.link.assertReachable();
    await this.auth.deleteHash(devId, userId);
    this.kick(devId, userId);
    this.link.tell({ kind: "auth", devId, userId, kick: true });
  }

  /** Stores the token as revoked; if it still verifies, its user loses hash and connections. */
  async revokeToken(devId: number, token: string): Promise<void> {
    this.link.assertReachable();
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

  /** 0 = online on some node, Unix time = last seen, −1 = unknown. */
  async lastOnline(devId: number, userId: number): Promise<number> {
    if (await this.presence.isOnline(devId, userId)) return 0;
    const seen = await this.presence.lastSeen(devId, userId);
    if (seen !== undefined) return seen;
    const stored = await this.storage.getUserTime(devId, userId);
    return stored === null || stored === 0 ? -1 : stored;
  }

  async userData(devId: number, userId: number): Promise<string> {
    return (await this.storage.getUserData(devId, userId)) ?? "";
  }

  // ---- stored per-user and per-tenant data (CometQL tables, spec cometql.md §7.5–§7.9) ----

  /** The user's `users_data` text, null when none is stored. */
  storedUserData(devId: number, userId: number): Promise<string | null> {
    return this.storage.getUserData(devId, userId);
  }

  setUserData(devId: number, userId: number, data: string): Promise<void> {
    return this.storage.setUserData(devId, userId, data);
  }

  deleteUserData(devId: number, userId: number): Promise<void> {
    return this.storage.deleteUserData(devId, userId);
  }

  /** The user's offline queue, oldest first (what `SELECT … FROM users_messages` shows). */
  readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]> {
    return this.storage.readQueue(devId, userId, limit);
  }

  clearQueue(devId: number, userId: number): Promise<void> {
    return this.storage.clearQueue(devId, userId);
  }

  listRevokedTokens(devId: number): Promise<string[]> {
    return this.storage.listRevokedTokens(devId);
  }

  isTokenRevoked(devId: number, token: string): Promise<boolean> {
    return this.storage.isTokenRevoked(devId, token);
  }

  unrevokeToken(devId: number, token: string): Promise<void> {
    return this.storage.unrevokeToken(devId, token);
  }

  /** Waits for pending history writes (graceful shutdown, consistency before reads). */
  flush(): Promise<void> {
    return this.history.flush();
  }

  // ---- internals ----

  /** Unsubscribes; the remaining subscribers of a `track_*` pipe hear about it (S10). */
  private leave(sub: Subscriber, pipe: string): void {
    if (this.pipes.unsubscribe(sub, pipe) && this.clustered) {
      this.broker.unsubscribe(pipeTopic(sub.devId, pipe));
    }
    if (this.clustered) this.presence.unsubscribed(sub, pipe);
    if (pipe.startsWith("track_")) this.announceTrack(sub, pipe, true);
  }

  /** S10 to the pipe's subscribers on every node. */
  private announceTrack(sub: Subscriber, pipe: string, unsubscribed: boolean): void {
    this.announceTrackOf(sub.devId, pipe, sub.userId, sub.uuid, unsubscribed);
  }

  private announceTrackOf(
    devId: number,
    pipe: string,
    userId: number,
    uuid: string,
    unsubscribed: boolean,
  ): void {
    const kind = unsubscribed ? "unsubscription" : "subscription";
    const time = unixNow();
    this.pipes.fanout(devId, pipe, trackMessage(pipe, kind, userId, uuid, time));
    if (!this.clustered) return;
    const m: ClusterMessage = { kind: "track", devId, pipe, unsubscribed, userId, uuid, time };
    this.link.announce(pipeTopic(devId, pipe), m, "track event");
  }

  /**
   * Queue deliveries of one user run one after another, on every node (the presence lock), so
   * two tabs connecting at once never both send the same queued message.
   */
  private deliverQueue(sub: Subscriber): Promise<void> {
    return this.presence.withUserLock(sub.devId, sub.userId, () => this.deliverQueueTo(sub));
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

  private userWentOffline(devId: number, userId: number, now: number): void {
    if (this.config.main.saveUsersLastOnlineTime) this.saveUserTime(devId, userId, now);
    if (this.config.main.sendUserOfflineEvents) this.announce(devId, userId, false);
  }

  /** S9 on `user_status_<id>`, on every node. */
  private announce(devId: number, userId: number, online: boolean): void {
    this.stats.published.presence++;
    const pipe = `user_status_${userId}`;
    this.pipes.fanout(devId, pipe, presenceMessage(userId, online));
    if (!this.clustered) return;
    this.link.announce(
      pipeTopic(devId, pipe),
      { kind: "presence", devId, userId, online },
      "presence event",
    );
  }

  // ---- the cluster (issue 12); none of this runs on a single node ----

  /** The link to the other nodes is back: what was missed meanwhile is read from storage. */
  private resync(): void {
    // Messages published meanwhile never reached this node: every pipe starts a new epoch.
    this.window.forgetAll();
    this.auth.forgetAllHashes();
    this.history.load().catch((e) => this.log.warn("cluster", `pipe settings not reloaded: ${e}`));
  }

  private saveUserTime(devId: number, userId: number, time: number): void {
    this.storage.setUserTime(devId, userId, time).catch((e) => {
      this.stats.storageErrors++;
      this.log.warn("core", `users_time of user ${userId} not saved: ${e}`);
    });
  }
}
