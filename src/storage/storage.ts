/**
 * What the server remembers across restarts (docs/protocol/cometql.md §9), behind one interface
 * with two drivers: SQLite (embedded default, `sqlite_storage.ts`) and MySQL/MariaDB
 * (`mysql_storage.ts`). The same conformance suite (`tests/storage_conformance.ts`) runs against
 * both.
 *
 * Every method is scoped by `devId` (tenant). Methods reject with a `StorageError` when the
 * backend is unavailable or a timeout passes; they never hang.
 */

/** One stored pipe message (table `pipe_messages` in the original schema). */
export interface HistoryEntry {
  /** UUID, 36 chars. */
  id: string;
  devId: number;
  pipe: string;
  /** Event name; an empty event is stored as `undefined` (docs/protocol/cometql.md §7.1). */
  event: string;
  message: string;
  /** Sender: 0 for CometQL, the browser user's id for `web_pipe2`. */
  userId: number;
  /** Unix seconds. */
  time: number;
}

/** One queued private message (table `users_messages`). */
export interface QueuedMessage {
  /** UUID, 36 chars. */
  id: string;
  devId: number;
  userId: number;
  event: string;
  message: string;
  /** Unix seconds when queued. */
  time: number;
}

export interface PipeSetting {
  devId: number;
  pipe: string;
  /** History length, 0…1000. */
  length: number;
}

/** Bounds that keep storage from growing without limit (see README "Retention"). */
export interface RetentionLimits {
  /** Newest messages kept for `trust_*` pipes. */
  trustHistoryLength: number;
  /** Newest queued messages kept per user. */
  queueMaxPerUser: number;
  /** Queued messages older than this are purged by `purgeExpired` (0 = never). */
  queueMaxAgeSeconds: number;
  /**
   * `[retention] history_sync`: publishers are answered once their history row is stored, so a
   * history commit must also survive power loss (SQLite: a full fsync). Default false.
   */
  historyDurable?: boolean;
}

/**
 * docs/protocol/cometql.md §9.1: `revoked_tokens.token` is varbinary(600); longer tokens are
 * refused, not cut.
 */
export const MAX_TOKEN_BYTES = 600;

const encoder = new TextEncoder();

/** The StorageError both drivers give for a token too long to store, or undefined. */
export function oversizedTokenError(token: string): StorageError | undefined {
  const bytes = encoder.encode(token).length;
  if (bytes <= MAX_TOKEN_BYTES) return undefined;
  return new StorageError(`token is ${bytes} bytes, at most ${MAX_TOKEN_BYTES} can be stored`);
}

/**
 * The pipes `entries` touch, each once, in first-seen order: after `appendHistory` inserts, each
 * of them is trimmed to its newest `keep` rows (docs/protocol/cometql.md §7.1 effect 1).
 */
export function pipesOf(entries: HistoryEntry[]): { devId: number; pipe: string }[] {
  const touched = new Map<string, { devId: number; pipe: string }>();
  for (const { devId, pipe } of entries) {
    const key = `${devId} ${pipe}`;
    if (!touched.has(key)) touched.set(key, { devId, pipe });
  }
  return [...touched.values()];
}

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageError";
  }
}

export interface Storage {
  /** Human-readable driver name for logs (`sqlite:/path`, `mysql://host:port/db`). */
  readonly description: string;
  /** Creates/migrates the schema. The MySQL driver keeps retrying in the background. */
  open(): Promise<void>;
  /** Flushes pending work and closes connections. */
  close(): Promise<void>;
  /** False while the backend is unreachable. */
  isAvailable(): boolean;

  // users_auth
  getAuthHash(devId: number, userId: number): Promise<string | null>;
  setAuthHash(devId: number, userId: number, hash: string): Promise<void>;
  deleteAuthHash(devId: number, userId: number): Promise<void>;

  // users_data
  getUserData(devId: number, userId: number): Promise<string | null>;
  setUserData(devId: number, userId: number, data: string): Promise<void>;
  deleteUserData(devId: number, userId: number): Promise<void>;

  // users_time: 0 = online, Unix time = last seen; null = unknown
  getUserTime(devId: number, userId: number): Promise<number | null>;
  setUserTime(devId: number, userId: number, time: number): Promise<void>;

  // pipes_settings
  /** Every setting of every tenant, loaded once at start into the core's cache. */
  listPipeSettings(): Promise<PipeSetting[]>;
  setPipeLength(devId: number, pipe: string, length: number): Promise<void>;
  /** Removes the setting and the pipe's whole history. */
  deletePipeSettings(devId: number, pipe: string): Promise<void>;

  // history (pipe_messages)
  /**
   * Appends entries (in order) and trims each touched pipe to its newest `keep` rows, where
   * `keep` comes from the entry's pipe: `keepOf(devId, pipe)`.
   */
  appendHistory(
    entries: HistoryEntry[],
    keepOf: (devId: number, pipe: string) => number,
  ): Promise<void>;
  /** The pipe's stored messages, oldest first, at most `limit`, newest `limit` if more. */
  readHistory(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]>;
  deleteHistory(devId: number, pipe: string): Promise<void>;
  deleteHistoryMessage(devId: number, id: string): Promise<void>;

  // users_messages (offline queue)
  enqueuePrivate(message: QueuedMessage): Promise<void>;
  /** Oldest first, in insertion order, at most `limit`. */
  readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]>;
  deleteQueued(devId: number, ids: string[]): Promise<void>;
  clearQueue(devId: number, userId: number): Promise<void>;

  // revoked_tokens
  revokeToken(devId: number, token: string): Promise<void>;
  unrevokeToken(devId: number, token: string): Promise<void>;
  isTokenRevoked(devId: number, token: string): Promise<boolean>;
  listRevokedTokens(devId: number): Promise<string[]>;

  /** Applies the retention limits (queue age); called periodically by the server. */
  purgeExpired(now: number): Promise<void>;
}
