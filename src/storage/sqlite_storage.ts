/**
 * Embedded storage, the default when `[db] host` is empty (docs/protocol/cometql.md §9): one SQLite
 * file through Deno's built-in `node:sqlite`, so a single server needs no database server at all.
 *
 * The tables mirror the MySQL ones of `db.sql` (same names and columns) so the two drivers read
 * alike. SQLite's rowid (`seq`) gives history and queue rows their exact insertion order, which
 * `time` (1-second resolution) cannot. Calls are synchronous underneath; the Storage interface's
 * promises just carry the result.
 *
 * This module is the statements and what their rows mean; the file, prepared statements and
 * transactions are sqlite_database.ts's, the tables and their migrations sqlite_schema.ts's.
 */
import type { SQLInputValue } from "node:sqlite";
import { setImmediate } from "node:timers";
import {
  countOf,
  HISTORY_COLUMNS,
  insertSql,
  PORTABLE_SQL,
  QUEUE_COLUMNS,
} from "./portable_sql.ts";
import { SqliteDatabase } from "./sqlite_database.ts";
import {
  type HistoryEntry,
  oversizedTokenError,
  type PipeSetting,
  pipesOf,
  type QueuedMessage,
  type RetentionLimits,
  type Storage,
} from "./storage.ts";

/** History rows per multi-row INSERT (7 parameters each, far below SQLite's 32766 limit). */
const HISTORY_CHUNK = 64;

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

export interface SqliteStorageOptions {
  /** Database file; its directory is created if missing. `:memory:` keeps nothing. */
  file: string;
  limits: RetentionLimits;
  /** How long a write waits for another process holding the file's lock. */
  busyTimeoutMs: number;
}

export class SqliteStorage implements Storage {
  readonly description: string;
  readonly #db: SqliteDatabase<Statement>;
  readonly #options: SqliteStorageOptions;
  /** Private messages waiting for the next group commit (see enqueuePrivate). */
  #queueBatch: { message: QueuedMessage; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(options: SqliteStorageOptions) {
    this.#options = options;
    this.#db = new SqliteDatabase(options.file, options.busyTimeoutMs, SQL);
    this.description = this.#db.description;
  }

  open(): Promise<void> {
    return this.#db.open();
  }

  close(): Promise<void> {
    this.#commitQueueBatch();
    this.#db.close();
    return Promise.resolve();
  }

  isAvailable(): boolean {
    return this.#db.isOpen;
  }

  getAuthHash(devId: number, userId: number): Promise<string | null> {
    return this.#db.run("getAuthHash", () => {
      const row = this.#db.get("getAuthHash", devId, userId);
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
    return this.#db.run("getUserData", () => {
      const row = this.#db.get("getUserData", devId, userId);
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
    return this.#db.run("getUserTime", () => {
      const row = this.#db.get("getUserTime", devId, userId);
      return row ? Number(row.time) : null;
    });
  }

  setUserTime(devId: number, userId: number, time: number): Promise<void> {
    return this.#write("setUserTime", devId, userId, time);
  }

  listPipeSettings(): Promise<PipeSetting[]> {
    return this.#db.run("listPipeSettings", () =>
      this.#db.all("listPipeSettings").map((row) => ({
        devId: Number(row.dev_id),
        pipe: String(row.name),
        length: Number(row.length),
      })));
  }

  setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    return this.#write("setPipeLength", devId, pipe, length);
  }

  deletePipeSettings(devId: number, pipe: string): Promise<void> {
    return this.#db.run("deletePipeSettings", () =>
      this.#db.transaction(() => {
        this.#db.exec("deletePipeSettings", devId, pipe);
        this.#db.exec("deleteHistory", devId, pipe);
      }));
  }

  /**
   * History batches commit with `synchronous = NORMAL`: in WAL mode that survives a crash of this
   * process (the OS has the WAL) but skips the fsync, which cost ~1 ms of the single JS thread per
   * batch; the next FULL commit or the checkpoint at close fsyncs it along. With
   * `historyDurable` (`[retention] history_sync`: the publisher is answered once its row is
   * stored) every batch commits FULL, so an acknowledged row also survives power loss.
   */
  appendHistory(
    entries: HistoryEntry[],
    keepOf: (devId: number, pipe: string) => number,
  ): Promise<void> {
    return this.#db.run("appendHistory", () =>
      this.#db.transaction(() => {
        // Rows go in HISTORY_CHUNK at a time (one statement call each: fewer trips into the
        // binding), the remainder one by one.
        const full = entries.length - entries.length % HISTORY_CHUNK;
        const params: SQLInputValue[] = [];
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i];
          const row = [e.id, e.time, e.devId, e.pipe, e.event, utf8(e.message), e.userId];
          if (i >= full) this.#db.exec("appendHistory", ...row);
          else if (params.push(...row) === HISTORY_CHUNK * row.length) {
            this.#db.exec("appendHistoryChunk", ...params);
            params.length = 0;
          }
        }
        // docs/protocol/cometql.md §7.1 effect 1: each touched pipe keeps its newest `keep` rows.
        for (const { devId, pipe } of pipesOf(entries)) {
          this.#db.exec("trimHistory", devId, pipe, countOf(keepOf(devId, pipe)));
        }
      }, this.#options.limits.historyDurable ? "FULL" : "NORMAL"));
  }

  readHistory(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]> {
    return this.#db.run(
      "readHistory",
      () =>
        this.#db.all("readHistory", devId, pipe, countOf(limit)).reverse().map((row) => ({
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
    const db = this.#db;
    db.run("enqueuePrivate", () =>
      db.transaction(() => {
        for (const { message: m } of batch) {
          db.exec("enqueuePrivate", m.id, m.time, m.devId, m.userId, m.event, utf8(m.message));
          // RetentionLimits.queueMaxPerUser: the user's oldest rows beyond the bound are dropped.
          db.exec("trimQueue", m.devId, m.userId, keep);
        }
      })).then(
        () => batch.forEach((b) => b.resolve()),
        (e) => batch.forEach((b) => b.reject(e)),
      );
  }

  readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]> {
    return this.#db.run(
      "readQueue",
      () =>
        this.#db.all("readQueue", devId, userId, countOf(limit)).map((row) => ({
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
    return this.#db.run("deleteQueued", () =>
      this.#db.transaction(() => {
        for (const id of ids) this.#db.exec("deleteQueued", devId, id);
      }));
  }

  clearQueue(devId: number, userId: number): Promise<void> {
    return this.#write("clearQueue", devId, userId);
  }

  revokeToken(devId: number, token: string): Promise<void> {
    return this.#db.run("revokeToken", () => {
      const oversized = oversizedTokenError(token);
      if (oversized) throw oversized;
      this.#db.exec("revokeToken", devId, token, Math.floor(Date.now() / 1000));
    });
  }

  unrevokeToken(devId: number, token: string): Promise<void> {
    return this.#write("unrevokeToken", devId, token);
  }

  isTokenRevoked(devId: number, token: string): Promise<boolean> {
    return this.#db.run(
      "isTokenRevoked",
      () => this.#db.get("isTokenRevoked", devId, token) !== undefined,
    );
  }

  listRevokedTokens(devId: number): Promise<string[]> {
    return this.#db.run(
      "listRevokedTokens",
      () => this.#db.all("listRevokedTokens", devId).map((row) => String(row.token)),
    );
  }

  purgeExpired(now: number): Promise<void> {
    const maxAge = this.#options.limits.queueMaxAgeSeconds;
    if (maxAge <= 0) return this.#db.run("purgeExpired", () => {}); // 0 = never expire
    return this.#write("purgeExpired", now - maxAge);
  }

  #write(name: Statement, ...params: SQLInputValue[]): Promise<void> {
    return this.#db.run(name, () => this.#db.exec(name, ...params));
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
