/**
 * A mysql2 connection pool that keeps the server running while MySQL is down
 * (docs/protocol/cometql.md §9.4 describes the original, which retried and then exited; we must
 * not).
 *
 * `open()` makes one bounded attempt and otherwise leaves a background loop retrying with
 * backoff. While MySQL is unreachable every call rejects at once with a StorageError; a call that
 * outlives `[db] query_timeout` rejects too. Either failure marks MySQL lost and restarts the loop,
 * which builds a fresh pool, so no dead connection is ever reused.
 */
import mysql from "mysql2/promise";
import type { Pool, PoolConnection } from "mysql2/promise";
import type { DbConfig } from "../config/config.ts";
import { StorageError } from "./storage.ts";

export type StorageLog = (level: "info" | "warn" | "error", msg: string) => void;

/** Reconnect delays double from the first to the last, then stay there. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Error codes that mean the connection, not the statement, failed. */
const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_SERVER_SHUTDOWN",
  "ER_CON_COUNT_ERROR",
]);

export class MysqlPool {
  readonly description: string;
  #pool: Pool | null = null;
  #available = false;
  #closed = true;
  #attempt: Promise<void> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelayMs = RETRY_FIRST_MS;

  /** `prepare` runs on a fresh connection at every (re)connect, before any call is served. */
  constructor(
    private readonly db: DbConfig,
    private readonly log: StorageLog,
    private readonly prepare: (conn: PoolConnection) => Promise<void>,
  ) {
    this.description = `mysql://${db.user}@${db.host}:${db.port}/${db.name}`;
  }

  /** Resolves once connected, or once the first attempt failed and the retry loop runs. */
  async open(): Promise<void> {
    if (!this.#closed) return;
    this.#closed = false;
    const deadline = this.db.connectTimeoutMs + this.db.queryTimeoutMs;
    await withDeadline(this.#connect(), deadline).catch(() => {
      this.log("warn", `${this.description}: still connecting after ${deadline} ms; continuing`);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#available = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#attempt;
    await this.#dropPool();
  }

  isAvailable(): boolean {
    return this.#available;
  }

  /**
   * Runs `work` on a pooled connection within `[db] query_timeout`. Rejects at once while MySQL
   * is unavailable; every failure is a StorageError (its `cause` is the driver's error).
   */
  async use<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    const pool = this.#servingPool();
    let conn: PoolConnection | undefined;
    const job = (async () => {
      conn = await pool.getConnection();
      let succeeded = false;
      try {
        const result = await work(conn);
        succeeded = true;
        return result;
      } finally {
        // A failed transaction or dead socket must not go back to the pool; closing the
        // connection also makes the server roll back what the transaction had done.
        if (succeeded) conn.release();
        else conn.destroy();
      }
    })();
    try {
      return await withDeadline(job, this.db.queryTimeoutMs);
    } catch (e) {
      // A query stuck past the deadline must not keep its connection (nor a transaction) open.
      if (e instanceof DeadlineError) conn?.destroy();
      if (e instanceof DeadlineError || isConnectionError(e)) this.#lost(pool, e);
      throw new StorageError(`${this.description}: ${reasonOf(e)}`, { cause: e });
    }
  }

  /** For calls with nothing to send: resolves or rejects as a real call would now. */
  ready(): Promise<void> {
    try {
      this.#servingPool();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Runs `work` in one transaction, retried once on deadlock (two nodes trimming one pipe). */
  transaction(work: (conn: PoolConnection) => Promise<void>): Promise<void> {
    const once = () =>
      this.use(async (conn) => {
        await conn.query("START TRANSACTION");
        await work(conn);
        await conn.query("COMMIT");
      });
    return once().catch((e: StorageError) => {
      if ((e.cause as { code?: string } | undefined)?.code !== "ER_LOCK_DEADLOCK") throw e;
      return once();
    });
  }

  #servingPool(): Pool {
    if (this.#closed) throw new StorageError(`${this.description}: storage is closed`);
    if (!this.#available || !this.#pool) {
      throw new StorageError(`${this.description}: MySQL is unavailable`);
    }
    return this.#pool;
  }

  /** One connect-and-prepare attempt; on failure schedules the next. Never rejects. */
  #connect(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#attempt ??= (async () => {
      const pool = this.#pool ?? this.#createPool();
      try {
        const conn = await pool.getConnection();
        try {
          await this.prepare(conn);
        } finally {
          conn.release();
        }
        if (this.#closed) return;
        this.#available = true;
        this.#retryDelayMs = RETRY_FIRST_MS;
        this.log("info", `${this.description}: connected`);
      } catch (e) {
        await this.#dropPool();
        if (this.#closed) return;
        const delay = this.#retryDelayMs;
        this.#retryDelayMs = Math.min(delay * 2, RETRY_MAX_MS);
        this.log("error", `${this.description}: ${reasonOf(e)}; retrying in ${delay} ms`);
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#connect();
        }, delay);
      } finally {
        this.#attempt = null;
      }
    })();
    return this.#attempt;
  }

  #createPool(): Pool {
    this.#pool = mysql.createPool({
      host: this.db.host,
      port: this.db.port,
      user: this.db.user,
      password: this.db.password,
      database: this.db.name,
      connectionLimit: this.db.poolSize,
      connectTimeout: this.db.connectTimeoutMs,
      // utf8mb4 so 4-byte characters survive (the original's `SET NAMES utf8` mangled them).
      charset: "UTF8MB4_BIN",
      enableKeepAlive: true,
      // Statements are prepared per connection; bound them well below the server's limit.
      maxPreparedStatements: 64,
    });
    return this.#pool;
  }

  async #dropPool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await withDeadline(pool.end(), this.db.connectTimeoutMs).catch(() => {});
  }

  /** A connection-level failure: stop serving and reconnect in the background. */
  #lost(pool: Pool, e: unknown): void {
    if (pool !== this.#pool || this.#closed) return;
    this.#available = false;
    this.log("error", `${this.description}: connection lost (${reasonOf(e)}); reconnecting`);
    this.#dropPool().then(() => this.#connect());
  }
}

class DeadlineError extends Error {}

/** Rejects with DeadlineError after `ms`; a late result of `work` is then ignored. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => {}); // a late rejection has already been reported as the deadline
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function isConnectionError(e: unknown): boolean {
  const err = e as { fatal?: boolean; code?: string } | undefined;
  return err?.fatal === true || CONNECTION_ERRORS.has(err?.code ?? "");
}

function reasonOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: string }).code;
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}
