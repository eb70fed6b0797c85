/**
 * Embedded storage, the default when `[db] host` is empty (docs/protocol/cometql.md §9): one SQLite
 * file through Deno's built-in `node:sqlite`, so a single server needs no database server at all.
 *
 * The tables mirror the MySQL ones of `db.sql` (same names and columns) so the two drivers read
 * alike. SQLite's rowid (`seq`) gives history and queue rows their exact insertion order, which
 * `time` (1-second resolution) cannot. Calls are synchronous underneath; the Storage interface's
 * promises just carry the result.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { setImmediate } from "node:timers";
import {
  countOf,
  HISTORY_COLUMNS,
  insertSql,
  PORTABLE_SQL,
  QUEUE_COLUMNS,
} from "./portable_sql.ts";
import {
  type HistoryEntry,
  oversizedTokenError,
  type PipeSetting,
  pipesOf,
  type QueuedMessage,
  type RetentionLimits,
  type Storage,
  StorageError,
} from "./storage.ts";

/** History rows per multi-row INSERT (7 parameters each, far below SQLite's 32766 limit). */
const HISTORY_CHUNK = 64;

/**
 * Schema migrations; entry i takes a database from `PRAGMA user_version` i to i + 1. Add new
 * entries at the end, never edit applied ones.
 *
 * `message` and `data` are BLOBs holding UTF-8: `node:sqlite` cuts TEXT values at the first NUL
 * byte (both on bind and on read), and CometQL messages may contain NUL (docs/protocol/cometql.md
 * §4.3 `\0`).
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE pipe_messages (
     seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, time INTEGER NOT NULL,
     dev_id INTEGER NOT NULL, pipe_name TEXT NOT NULL, event TEXT NOT NULL,
     message BLOB NOT NULL, user_id INTEGER NOT NULL);
   CREATE INDEX pipe_messages_dev_pipe ON pipe_messages (dev_id, pipe_name);
   CREATE TABLE pipes_settings (
     dev_id INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL DEFAULT '0',
     length INTEGER NOT NULL, PRIMARY KEY (dev_id, name)) WITHOUT ROWID;
   CREATE TABLE users_messages (
     seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, time INTEGER NOT NULL,
     dev_id INTEGER NOT NULL, user_id INTEGER NOT NULL, event TEXT NOT NULL,
     message BLOB NOT NULL);
   CREATE INDEX users_messages_dev_user ON users_messages (dev_id, user_id);
   CREATE INDEX users_messages_time ON users_messages (time);
   CREATE TABLE users_auth (
     dev_id INTEGER NOT NULL, user_id INTEGER NOT NULL, hash TEXT NOT NULL,
     PRIMARY KEY (dev_id, user_id)) WITHOUT ROWID;
   CREATE TABLE users_time (
     dev_id INTEGER NOT NULL, user_id INTEGER NOT NULL, time INTEGER NOT NULL,
     PRIMARY KEY (dev_id, user_id)) WITHOUT ROWID;
   CREATE TABLE users_data (
     dev_id INTEGER NOT NULL, user_id INTEGER NOT NULL, data BLOB NOT NULL,
     PRIMARY KEY (dev_id, user_id)) WITHOUT ROWID;
   CREATE TABLE revoked_tokens (
     dev_id INTEGER NOT NULL, token TEXT NOT NULL, time INTEGER NOT NULL,
     PRIMARY KEY (dev_id, token)) WITHOUT ROWID;`,
];

/**
 * Every statement, prepared once on first use and reused. A trim keeps the newest rows of one
 * pipe or user: it finds the seq of the first row past the `keep` newest and deletes from there.
 */
const SQL = {
  ...PORTABLE_SQL,
  appendHistory: insertSql("pipe_messages", HISTORY_COLUMNS, 1),
  appendHistoryChunk: insertSql("pipe_messages", HISTORY_COLUMNS, HISTORY_CHUNK),
  trimHistory: `DELETE FROM pipe_messages WHERE dev_id = ?1 AND pipe_name = ?2 AND seq <= (
    SELECT seq FROM pipe_messages WHERE dev_id = ?1 AND pipe_name = ?2
    ORDER BY seq DESC LIMIT 1 OFFSET ?3)`,
  enqueuePrivate: insertSql("users_messages", QUEUE_COLUMNS, 1),
  trimQueue: `DELETE FROM users_messages WHERE dev_id = ?1 AND user_id = ?2 AND seq <= (
    SELECT seq FROM users_messages WHERE dev_id = ?1 AND user_id = ?2
    ORDER BY seq DESC LIMIT 1 OFFSET ?3)`,
  deleteQueued: "DELETE FROM users_messages WHERE dev_id = ? AND id = ?",
} as const;

type Statement = keyof typeof SQL;
type Row = Record<string, SQLInputValue>;

export interface SqliteStorageOptions {
  /** Database file; its directory is created if missing. `:memory:` keeps nothing. */
  file: string;
  limits: RetentionLimits;
  /** How long a write waits for another process holding the file's lock. */
  busyTimeoutMs: number;
}

export class SqliteStorage implements Storage {
  readonly description: string;
  #db: DatabaseSync | null = null;
  #statements = new Map<Statement, StatementSync>();
  readonly #options: SqliteStorageOptions;
  /** Private messages waiting for the next group commit (see enqueuePrivate). */
  #queueBatch: { message: QueuedMessage; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(options: SqliteStorageOptions) {
    this.#options = options;
    this.description = `sqlite:${options.file}`;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    try {
      const file = this.#options.file;
      if (file !== ":memory:") Deno.mkdirSync(dirname(file), { recursive: true });
      const db = new DatabaseSync(file);
      try {
        // First: processes starting together on one file wait for each other's locks.
        db.exec(`PRAGMA busy_timeout = ${Math.trunc(this.#options.busyTimeoutMs)}`);
        await enableWal(db, this.#options.busyTimeoutMs);
        // FULL: the WAL is synced at every commit, so a resolved write survives a power cut.
        db.exec("PRAGMA synchronous = FULL");
        migrate(db);
      } catch (e) {
        db.close();
        throw e;
      }
      if (this.#db) {
        db.close(); // a concurrent open() finished first
        return;
      }
      this.#db = db;
    } catch (e) {
      throw this.#error("open", e);
    }
  }

  close(): Promise<void> {
    this.#commitQueueBatch();
    const db = this.#db;
    this.#db = null;
    this.#statements.clear();
    db?.close();
    return Promise.resolve();
  }

  isAvailable(): boolean {
    return this.#db !== null;
  }

  getAuthHash(devId: number, userId: number): Promise<string | null> {
    return this.#run("getAuthHash", () => {
      const row = this.#get("getAuthHash", devId, userId);
      return row ? String(row.hash) : null;
    });
  }

  setAuthHash(devId: number, userId: number, hash: string): Promise<void> {
    return this.#write("setAuthHash", devId, userId, hash);
  }

  deleteAuthHash(devId: number, userId: number): Promise<void> {
    return this.#write("deleteAuthHash", devId, userId);
  }

  getUserData(devId: number, userId: number): Promise<string | null> {
    return this.#run("getUserData", () => {
      const row = this.#get("getUserData", devId, userId);
      return row ? textOf(row.data) : null;
    });
  }

  setUserData(devId: number, userId: number, data: string): Promise<void> {
    return this.#write("setUserData", devId, userId, utf8(data));
  }

  deleteUserData(devId: number, userId: number): Promise<void> {
    return this.#write("deleteUserData", devId, userId);
  }

  getUserTime(devId: number, userId: number): Promise<number | null> {
    return this.#run("getUserTime", () => {
      const row = this.#get("getUserTime", devId, userId);
      return row ? Number(row.time) : null;
    });
  }

  setUserTime(devId: number, userId: number, time: number): Promise<void> {
    return this.#write("setUserTime", devId, userId, time);
  }

  listPipeSettings(): Promise<PipeSetting[]> {
    return this.#run("listPipeSettings", () =>
      this.#all("listPipeSettings").map((row) => ({
        devId: Number(row.dev_id),
        pipe: String(row.name),
        length: Number(row.length),
      })));
  }

  setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    return this.#write("setPipeLength", devId, pipe, length);
  }

  deletePipeSettings(devId: number, pipe: string): Promise<void> {
    return this.#run("deletePipeSettings", () =>
      this.#transaction(() => {
        this.#exec("deletePipeSettings", devId, pipe);
        this.#exec("deleteHistory", devId, pipe);
      }));
  }

  /**
   * History batches commit with `synchronous = NORMAL`: in WAL mode that survives a crash of this
   * process (the OS has the WAL) but skips the fsync, which cost ~1 ms of the single JS thread per
   * batch. History is not among the writes promised durable before the answer (issue "Storage"
   * point 3); the next FULL commit or the checkpoint at close fsyncs it along.
   */
  appendHistory(
    entries: HistoryEntry[],
    keepOf: (devId: number, pipe: string) => number,
  ): Promise<void> {
    return this.#run("appendHistory", () =>
      this.#transaction(() => {
        // Rows go in HISTORY_CHUNK at a time (one statement call each: fewer trips into the
        // binding), the remainder one by one.
        const full = entries.length - entries.length % HISTORY_CHUNK;
        const params: SQLInputValue[] = [];
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i];
          const row = [e.id, e.time, e.devId, e.pipe, e.event, utf8(e.message), e.userId];
          if (i >= full) this.#exec("appendHistory", ...row);
          else if (params.push(...row) === HISTORY_CHUNK * row.length) {
            this.#exec("appendHistoryChunk", ...params);
            params.length = 0;
          }
        }
        // docs/protocol/cometql.md §7.1 effect 1: each touched pipe keeps its newest `keep` rows.
        for (const { devId, pipe } of pipesOf(entries)) {
          this.#exec("trimHistory", devId, pipe, countOf(keepOf(devId, pipe)));
        }
      }, "NORMAL"));
  }

  readHistory(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]> {
    return this.#run(
      "readHistory",
      () =>
        this.#all("readHistory", devId, pipe, countOf(limit)).reverse().map((row) => ({
          id: String(row.id),
          devId: Number(row.dev_id),
          pipe: String(row.pipe_name),
          event: String(row.event),
          message: textOf(row.message),
          userId: Number(row.user_id),
          time: Number(row.time),
        })),
    );
  }

  deleteHistory(devId: number, pipe: string): Promise<void> {
    return this.#write("deleteHistory", devId, pipe);
  }

  deleteHistoryMessage(devId: number, id: string): Promise<void> {
    return this.#write("deleteHistoryMessage", devId, id);
  }

  /**
   * Group commit: enqueues that arrive within one event-loop turn (concurrent CometQL sessions,
   * collected until the I/O phase ends with setImmediate) share one transaction, so one fsync
   * serves them all; each promise resolves only after the commit, so an answered INSERT is
   * durable.
   */
  enqueuePrivate(m: QueuedMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queueBatch.push({ message: m, resolve, reject });
      if (this.#queueBatch.length === 1) setImmediate(() => this.#commitQueueBatch());
    });
  }

  #commitQueueBatch(): void {
    const batch = this.#queueBatch;
    this.#queueBatch = [];
    if (batch.length === 0) return;
    const keep = countOf(this.#options.limits.queueMaxPerUser);
    this.#run("enqueuePrivate", () =>
      this.#transaction(() => {
        for (const { message: m } of batch) {
          this.#exec("enqueuePrivate", m.id, m.time, m.devId, m.userId, m.event, utf8(m.message));
          // RetentionLimits.queueMaxPerUser: the user's oldest rows beyond the bound are dropped.
          this.#exec("trimQueue", m.devId, m.userId, keep);
        }
      })).then(
        () => batch.forEach((b) => b.resolve()),
        (e) => batch.forEach((b) => b.reject(e)),
      );
  }

  readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]> {
    return this.#run(
      "readQueue",
      () =>
        this.#all("readQueue", devId, userId, countOf(limit)).map((row) => ({
          id: String(row.id),
          devId: Number(row.dev_id),
          userId: Number(row.user_id),
          event: String(row.event),
          message: textOf(row.message),
          time: Number(row.time),
        })),
    );
  }

  deleteQueued(devId: number, ids: string[]): Promise<void> {
    return this.#run("deleteQueued", () =>
      this.#transaction(() => {
        for (const id of ids) this.#exec("deleteQueued", devId, id);
      }));
  }

  clearQueue(devId: number, userId: number): Promise<void> {
    return this.#write("clearQueue", devId, userId);
  }

  revokeToken(devId: number, token: string): Promise<void> {
    return this.#run("revokeToken", () => {
      const oversized = oversizedTokenError(token);
      if (oversized) throw oversized;
      this.#exec("revokeToken", devId, token, Math.floor(Date.now() / 1000));
    });
  }

  unrevokeToken(devId: number, token: string): Promise<void> {
    return this.#write("unrevokeToken", devId, token);
  }

  isTokenRevoked(devId: number, token: string): Promise<boolean> {
    return this.#run(
      "isTokenRevoked",
      () => this.#get("isTokenRevoked", devId, token) !== undefined,
    );
  }

  listRevokedTokens(devId: number): Promise<string[]> {
    return this.#run(
      "listRevokedTokens",
      () => this.#all("listRevokedTokens", devId).map((row) => String(row.token)),
    );
  }

  purgeExpired(now: number): Promise<void> {
    const maxAge = this.#options.limits.queueMaxAgeSeconds;
    if (maxAge <= 0) return this.#run("purgeExpired", () => {}); // 0 = never expire
    return this.#write("purgeExpired", now - maxAge);
  }

  /** Runs `work` against the open database; any failure becomes a rejected StorageError. */
  #run<T>(what: string, work: () => T): Promise<T> {
    try {
      if (!this.#db) throw new Error("storage is not open");
      return Promise.resolve(work());
    } catch (e) {
      return Promise.reject(this.#error(what, e));
    }
  }

  #write(name: Statement, ...params: SQLInputValue[]): Promise<void> {
    return this.#run(name, () => this.#exec(name, ...params));
  }

  /** Runs `work` in one transaction; `sync` relaxes the commit's fsync (see appendHistory). */
  #transaction(work: () => void, sync: "FULL" | "NORMAL" = "FULL"): void {
    const db = this.#db!;
    if (sync !== "FULL") db.exec(`PRAGMA synchronous = ${sync}`);
    try {
      db.exec("BEGIN IMMEDIATE");
      try {
        work();
        db.exec("COMMIT");
      } catch (e) {
        db.exec("ROLLBACK");
        throw e;
      }
    } finally {
      if (sync !== "FULL") db.exec("PRAGMA synchronous = FULL");
    }
  }

  #statement(name: Statement): StatementSync {
    let statement = this.#statements.get(name);
    if (!statement) {
      statement = this.#db!.prepare(SQL[name]);
      this.#statements.set(name, statement);
    }
    return statement;
  }

  #exec(name: Statement, ...params: SQLInputValue[]): void {
    this.#statement(name).run(...params);
  }

  #get(name: Statement, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(name).get(...params) as Row | undefined;
  }

  #all(name: Statement, ...params: SQLInputValue[]): Row[] {
    return this.#statement(name).all(...params) as Row[];
  }

  #error(what: string, e: unknown): StorageError {
    if (e instanceof StorageError) return e;
    const reason = e instanceof Error ? e.message : String(e);
    return new StorageError(`${this.description}: ${what}: ${reason}`, { cause: e });
  }
}

/**
 * Switches the file to WAL (a no-op once it is). The switch takes an exclusive lock without
 * calling SQLite's busy handler, so `busy_timeout` does not cover it: a process opening a fresh
 * file while another one reads it (workers starting together, README "Scaling out") got
 * "database is locked" and failed to start. Retried with a short jittered pause until the busy
 * timeout; any other error is thrown at once.
 */
async function enableWal(db: DatabaseSync, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (e) {
      // node:sqlite in Deno carries no result code: SQLITE_BUSY is known by its message.
      const busy = e instanceof Error && e.message === "database is locked";
      if (!busy || Date.now() >= deadline) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

/**
 * Applies the migrations the file has not had yet, each in its own transaction. The version is
 * read inside the write lock: several processes opening one file at once (README "Scaling
 * out") apply each migration once.
 */
function migrate(db: DatabaseSync): void {
  for (;;) {
    db.exec("BEGIN IMMEDIATE");
    try {
      const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
        user_version: number;
      };
      if (version > MIGRATIONS.length) {
        throw new StorageError(
          `schema version ${version} is newer than this server's ${MIGRATIONS.length}`,
        );
      }
      if (version === MIGRATIONS.length) {
        db.exec("COMMIT");
        return;
      }
      db.exec(MIGRATIONS[version]);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

function textOf(value: SQLInputValue): string {
  return value instanceof Uint8Array ? decoder.decode(value) : String(value);
}
