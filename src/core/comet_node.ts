/**
 * The domain facade both transports call: a CometQL insert and a browser `web_pipe2` reach
 * subscribers through the same functions here. Knows nothing of WebSocket or MySQL bytes.
 *
 * The publish paths (the hot ones) are here; the rest is made of parts this file wires
 * together: `user_connections.ts` (authorize, online/offline, last seen), `pipe_subscriptions.ts`
 * (subscribe, leave, track events), `subscription_resume.ts` (resume), `private_messages.ts`
 * (private messages, offline queue), `shared_browser_publish.ts` (`web_pipe2` on the shared
 * window), `cluster_link.ts` and `cluster_inbox.ts` (to and from the other nodes).
 */
import { type Broker, CONTROL_TOPIC, pipeTopic } from "../cluster/broker.ts";
import { ClusterStats } from "../cluster/cluster_stats.ts";
import { LocalBroker } from "../cluster/local_broker.ts";
import { LocalPresence } from "../cluster/local_presence.ts";
import type { LocalState, Presence, PresenceEntry } from "../cluster/presence.ts";
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { HistoryEntry, QueuedMessage, Storage } from "../storage/storage.ts";
import { type ClusterInbox, localStateOf, receiveFromCluster } from "./cluster_inbox.ts";
import { ClusterLink } from "./cluster_link.ts";
import { type ClusterMessage, encodeUnpositioned } from "./cluster_messages.ts";
import { MemoryRecoveryWindow } from "./memory_recovery_window.ts";
import { pipeMessage, unixNow, webPipeMessage } from "./messages.ts";
import { NodeStats } from "./node_stats.ts";
import { PipeHistory } from "./pipe_history.ts";
import { PipeRegistry } from "./pipe_registry.ts";
import { PipeSubscriptions } from "./pipe_subscriptions.ts";
import { PrivateMessages } from "./private_messages.ts";
import type { RecoveryWindow, SharedRecoveryWindow } from "./recovery_window.ts";
import { loadWindowFile, saveWindowFile } from "./recovery_window_file.ts";
import { ResumeBuffers } from "./resume_buffers.ts";
import type { ResumeRequest } from "./stream_resume.ts";
import { type BrowserPublish, SharedBrowserPublish } from "./shared_browser_publish.ts";
import type { Subscriber } from "./subscriber.ts";
import { SubscriptionResume } from "./subscription_resume.ts";
import { UserAuth } from "./user_auth.ts";
import { UserConnections } from "./user_connections.ts";
import { UserRegistry } from "./user_registry.ts";

export type { BrowserPublish };

/** The engines that make several nodes one server (issue 12); absent ones are local. */
export interface ClusterEngines {
  broker?: Broker;
  presence?: Presence;
  /** The recovery window in the shared engine (with a shared broker; else the memory one). */
  window?: SharedRecoveryWindow;
  /** What the drivers count, for `/metrics`. */
  stats?: ClusterStats;
}

export class CometNode {
  readonly stats = new NodeStats();
  readonly pipes = new PipeRegistry();
  readonly users: UserRegistry;
  readonly history: PipeHistory;
  readonly auth: UserAuth;
  /** Positions and recent messages of every pipe, for resumed subscriptions. */
  readonly window: RecoveryWindow;
  readonly broker: Broker;
  readonly presence: Presence;
  readonly clusterStats: ClusterStats;
  /**
   * Other nodes may exist (`[redis]`): publishes also go to the broker. False on a single node,
   * whose hot paths then stay exactly as they were (no encoding, no await).
   */
  private readonly clustered: boolean;
  private readonly link: ClusterLink;
  /**
   * The recovery window every node shares (`[redis]`, recovery on): positions come from it and
   * every node delivers pipe messages as it publishes them. Undefined: `window` alone.
   */
  private readonly sharedWindow: SharedRecoveryWindow | undefined;
  private readonly resuming = new ResumeBuffers();
  /** Browser publishes on the shared window (with `sharedWindow`). */
  private readonly sharedPublish: SharedBrowserPublish | undefined;
  private readonly connections: UserConnections;
  private readonly subscriptions: PipeSubscriptions;
  private readonly resume: SubscriptionResume;
  private readonly privateMessages: PrivateMessages;

  constructor(
    readonly config: Config,
    readonly storage: Storage,
    readonly log: Logger,
    engines: ClusterEngines = {},
  ) {
    this.users = new UserRegistry(config.limits.lastSeenUsersMax);
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
    this.sharedWindow = this.clustered ? engines.window : undefined;
    const { stats, pipes, users, auth, window, presence, link, sharedWindow, resuming } = this;
    if (sharedWindow !== undefined) {
      this.sharedPublish = new SharedBrowserPublish(config, sharedWindow, pipes, presence, link);
    }
    // Each part takes what it uses of these.
    const parts = { config, storage, log, stats, pipes, users, auth, presence, link };
    this.privateMessages = new PrivateMessages(parts);
    this.connections = new UserConnections({ ...parts, privateMessages: this.privateMessages });
    this.subscriptions = new PipeSubscriptions(pipes, presence, link, window);
    this.resume = new SubscriptionResume({
      ...parts,
      subscriptions: this.subscriptions,
      window,
      sharedWindow,
      resuming,
      gone: (sub) => this.connections.gone(sub),
    });
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
      nodeId: this.sharedWindow?.nodeId,
      resuming: this.resuming,
      delivered: (origin) => this.sharedPublish?.delivered(origin),
      log: this.log,
      deliverQueue: (sub) => this.connections.deliverQueue(sub),
      kick: (devId, userId) => this.connections.kick(devId, userId),
    };
    await this.broker.start({
      message: (payload) => receiveFromCluster(inbox, payload),
      reconnected: () => this.resync(),
    });
    await this.presence.start(this.localState(), {
      usersLost: (devId, userIds, now) => {
        for (const userId of userIds) this.connections.wentOffline(devId, userId, now);
      },
      trackersLost: (devId, pipe, entries) => {
        for (const e of entries) {
          this.subscriptions.announceTrackOf(devId, pipe, e.userId, e.uuid, true);
        }
      },
    });
    if (this.clustered) await this.broker.subscribe(CONTROL_TOPIC).catch(() => {});
    // Several nodes: each start is a new epoch (the file's epochs belong to one process, and
    // messages other nodes published while this one was down are not in it).
    if (!this.clustered) await loadWindowFile(this.window, this.config.recovery.file, this.log);
    await this.history.loadOrRetry();
  }

  /** Stops background work (the settings retry) and flushes pending history writes. */
  async close(): Promise<void> {
    this.history.stopRetrying();
    await this.flush();
    // The last connections' offline events reach the other nodes before this node leaves.
    await this.link.settle();
    await this.presence.close();
    await this.broker.close();
    this.window.close();
    if (!this.clustered) await saveWindowFile(this.window, this.config.recovery.file, this.log);
  }

  // ---- browser lifecycle (docs/protocol/websocket.md §1.3, §5, §6) ----

  /**
   * After the handshake: authorize, send serverInfo (always the first frame), register the user,
   * deliver the offline queue and announce presence.
   */
  attach(sub: Subscriber, key: string, requestedUserId: number): Promise<void> {
    return this.connections.attach(sub, key, requestedUserId);
  }

  /** The transport closed: leave every pipe, then go offline if it was the user's last one. */
  detach(sub: Subscriber): void {
    if (this.connections.detach(sub)) this.subscriptions.leaveAll(sub);
  }

  /**
   * Replaces the connection's pipe set (docs/protocol/websocket.md §3.1); with other nodes,
   * resolves once their publishes to the new pipes reach this node.
   */
  setSubscriptions(sub: Subscriber, pipes: string[]): void | Promise<void> {
    return this.subscriptions.set(sub, pipes);
  }

  /**
   * Like `setSubscriptions`, with a stream position per pipe to resume from: each newly
   * subscribed pipe first gets what it missed, then live messages (docs/protocol/recovery.md §3).
   */
  resumeSubscriptions(sub: Subscriber, wanted: ResumeRequest[]): void | Promise<void> {
    return this.resume.resume(sub, wanted);
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
    if (this.sharedWindow !== undefined) {
      // One Redis command: position, window and publication to every node, this one included.
      const head = encodeUnpositioned({ kind: "pipe", devId, pipe, event, message, time });
      return this.sharedWindow.publish(devId, pipe, pipeTopic(devId, pipe), head).then((p) => {
        this.history.record(devId, pipe, event, message, 0);
        return p.receivers;
      });
    }
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
    if (this.sharedPublish !== undefined) {
      return this.sharedPublish.publish(sub, pipe, event, body, userId, now);
    }
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
   * Private message (docs/protocol/websocket.md §6): to every deliverable connection of the user;
   * queued in storage (and resolved only once stored) when none took it, unless `queue` is false.
   */
  sendPrivate(
    devId: number,
    userId: number,
    event: string,
    message: string,
    options: { queue?: boolean } = {},
  ): Promise<number> {
    return this.privateMessages.send(devId, userId, event, message, options.queue !== false);
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

  // ---- auth (docs/protocol/websocket.md §5) ----

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
    this.connections.kick(devId, userId);
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

  // ---- presence (docs/protocol/websocket.md §5.6) ----

  /** 0 = online on some node, Unix time = last seen, −1 = unknown. */
  lastOnline(devId: number, userId: number): Promise<number> {
    return this.connections.lastOnline(devId, userId);
  }

  async userData(devId: number, userId: number): Promise<string> {
    return (await this.storage.getUserData(devId, userId)) ?? "";
  }

  // ---- stored per-user and per-tenant data (CometQL tables, docs/protocol/cometql.md §7.5–§7.9)

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

  // ---- the cluster (issue 12); none of this runs on a single node ----

  /** The link to the other nodes is back: what was missed meanwhile is read from storage. */
  private resync(): void {
    // Messages published meanwhile never reached this node: every pipe starts a new epoch.
    this.window.forgetAll();
    this.auth.forgetAllHashes();
    this.history.load().catch((e) => this.log.warn("cluster", `pipe settings not reloaded: ${e}`));
  }
}
