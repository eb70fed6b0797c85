/**
 * Presence: who is subscribed where and which users are online, across every node (issue 12;
 * docs/protocol/websocket.md §3.4, §3.5, §5.6, docs/protocol/cometql.md §7.2, §7.3, §7.6, §12.1).
 * The core keeps its own registries for local delivery and tells the driver what changed; questions
 * about the whole cluster (`users_in_pipes`, `pipe_count`, `users_time`, user_status online/offline
 * on a user's first/last connection anywhere) are asked here.
 *
 * A node's entries vanish by themselves when it stops renewing them (heartbeat + TTL), and a
 * node that lost them (Redis restarted, or it was away too long) writes them again.
 *
 * Drivers: `local_presence.ts` (answers from the node's own registries: one node is the whole
 * cluster) and `redis_presence.ts`. One conformance suite runs against both
 * (tests/presence_conformance.ts).
 */

/** A subscribed connection as presence sees it (a structural subset of core's Subscriber). */
export interface PresenceConnection {
  readonly id: number;
  readonly devId: number;
  readonly userId: number;
  readonly uuid: string;
  readonly userAgent: string;
  readonly ip: string;
  readonly origin: string;
  readonly language: string;
}

/** One subscriber of a pipe, as `users_in_pipes` and `track_pipe_users` list it. */
export interface PresenceEntry {
  userId: number;
  uuid: string;
  userAgent: string;
  ip: string;
  origin: string;
  language: string;
}

/** What the node itself holds; read by drivers to answer locally or to write it all again. */
export interface LocalState {
  /** Local subscribers of the pipe, newest first. */
  subscribersOf(devId: number, pipe: string): PresenceConnection[];
  countSubscribers(devId: number, pipe: string): number;
  forEachSubscription(fn: (sub: PresenceConnection, pipe: string) => void): void;
  /** Authorized connections, each once. */
  forEachConnection(fn: (sub: PresenceConnection) => void): void;
  isOnline(devId: number, userId: number): boolean;
  /** The user's authorized connections on this node. */
  userConnectionCount(devId: number, userId: number): number;
  lastSeenOf(devId: number, userId: number): number | undefined;
  connectionCount(devId: number): number;
  /** Open CometQL connections of this node (`SHOW STATUS` server_online). */
  cometqlConnections(): number;
  /** This node's figures for the cluster's node list (published with each heartbeat). */
  nodeFigures(): NodeFigures;
}

/** What a node tells the others about itself for the dashboard's node table. */
export interface NodeFigures {
  /** `[main] node_name` (not unique by itself: the default is shared). */
  name: string;
  /** Open WebSocket connections. */
  connections: number;
  /** Authorized connections (a user id given). */
  authorized: number;
  /** Distinct users online on this node. */
  users: number;
  /** When the node started (ms since the epoch). */
  startedAt: number;
}

/** One live node of the cluster as `Presence.nodes()` lists it. */
export interface NodeSummary extends NodeFigures {
  /** The presence driver's node id (unique per process). */
  id: string;
  /** This node. */
  self: boolean;
  /** When the figures were published (ms since the epoch); now for this node. */
  heartbeat: number;
}

export interface PresenceEvents {
  /**
   * Users that went offline everywhere because the node holding them stopped (it missed its
   * heartbeats): the core announces `user_status_*` offline and stores `users_time`.
   */
  usersLost(devId: number, userIds: number[], now: number): void;
  /**
   * Subscribers of a `track_*` pipe that left with a stopped node: the core announces their
   * unsubscription (docs/protocol/websocket.md §3.5), as when a connection closes.
   */
  trackersLost(devId: number, pipe: string, entries: PresenceEntry[]): void;
}

/** Local figures for `/metrics`. */
export interface PresenceSize {
  /** Entries this node has registered (pipe subscriptions + authorized connections). */
  entries: number;
  /** Live nodes seen at the last heartbeat (1 for the local driver). */
  nodes: number;
}

export interface Presence {
  start(local: LocalState, events: PresenceEvents): Promise<void>;
  close(): Promise<void>;

  // ---- what changed on this node (the core calls these after updating its registries) ----
  subscribed(sub: PresenceConnection, pipe: string): void;
  unsubscribed(sub: PresenceConnection, pipe: string): void;
  /**
   * An authorized connection arrived; resolves with the user's connections on every node,
   * this one included (1 = the user's first: announce online).
   */
  connected(sub: PresenceConnection): Promise<number>;
  /**
   * An authorized connection left at `now`; resolves with the user's connections left on
   * every node (0 = the user's last: announce offline, remember `now` as last seen).
   */
  disconnected(sub: PresenceConnection, now: number): Promise<number>;

  // ---- questions about the whole cluster; reject with ClusterUnavailableError if unanswerable
  subscriberCount(devId: number, pipe: string): Promise<number>;
  /** Newest subscriber first. */
  subscribers(devId: number, pipe: string): Promise<PresenceEntry[]>;
  isOnline(devId: number, userId: number): Promise<boolean>;
  /** Unix time the user's last connection anywhere closed, undefined when not known here. */
  lastSeen(devId: number, userId: number): Promise<number | undefined>;
  /** Authorized connections of the tenant on every node. */
  connectionCount(devId: number): Promise<number>;
  /**
   * Open CometQL connections on every node (`SHOW STATUS` server_online); other nodes' figures
   * are at most one heartbeat old.
   */
  cometqlConnections(): Promise<number>;
  /**
   * Runs `fn` while no other node runs a function under the same user's lock: the offline
   * queue is handed out by one node at a time, so no queued message goes out twice.
   */
  withUserLock<T>(devId: number, userId: number, fn: () => Promise<T>): Promise<T>;

  size(): PresenceSize;

  /**
   * Every live node with its figures, this node's current, the others' as of their last
   * heartbeat. Answered from memory (read with the heartbeat, no Redis call): a node that
   * stopped drops out once its registration expires (`node_ttl` after its last heartbeat).
   */
  nodes(): NodeSummary[];
}

/** The entry `users_in_pipes` shows for a connection. */
export function entryOf(sub: PresenceConnection): PresenceEntry {
  return {
    userId: sub.userId,
    uuid: sub.uuid,
    userAgent: sub.userAgent,
    ip: sub.ip,
    origin: sub.origin,
    language: sub.language,
  };
}
