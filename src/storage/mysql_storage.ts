/**
 * Production storage on MySQL/MariaDB (docs/protocol/cometql.md §9.1), chosen when `[db] host` is
 * set. The tables are CppComet's own (`db.sql`), so an existing CppComet database keeps working.
 *
 * Availability (fail fast while down, reconnect in the background) lives in `mysql_pool.ts`;
 * the schema and the upgrade of an original database in `mysql_schema_upgrade.ts`. History and
 * queue rows are ordered by their AUTO_INCREMENT `seq`, which is exact insertion order.
 */
import type { PoolConnection, RowDataPacket } from "mysql2/promise";
import type { DbConfig } from "../config/config.ts";
import { MysqlPool, type StorageLog } from "./mysql_pool.ts";
import { schemaStatements, upgradeSchema } from "./mysql_schema_upgrade.ts";
import {
  countOf,
  HISTORY_COLUMNS,
  insertSql,
  marks,
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
} from "./storage.ts";

export type { StorageLog };

/**
 * Multi-row statements use only these row counts (a short chunk is padded or split), so each
 * connection prepares a handful of statements, not one per batch size.
 */
const BATCH_SIZES = [64, 8, 1];
/** Keeps one multi-row INSERT well below MySQL's default max_allowed_packet (16 MB). */
const BATCH_MAX_BYTES = 4 * 1024 * 1024;

const SQL = PORTABLE_SQL;
const decoder = new TextDecoder();

type Value = string | number;

export class MysqlStorage implements Storage {
  readonly #pool: MysqlPool;

  constructor(db: DbConfig, private readonly limits: RetentionLimits, log: StorageLog) {
    const schema = schemaStatements();
    const prepare = (conn: PoolConnection) =>
      upgradeSchema(conn, schema, db.queryTimeoutMs, (msg) => log("info", msg));
    this.#pool = new MysqlPool(db, log, prepare);
  }

  get description(): string {
    return this.#pool.description;
  }

  /** Never fails, not even while MySQL is down: see `isAvailable()`. */
  open(): Promise<void> {
    return this.#pool.open();
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  isAvailable(): boolean {
    return this.#pool.isAvailable();
  }

  async getAuthHash(devId: number, userId: number): Promise<string | null> {
    const [row] = await this.#rows(SQL.getAuthHash, [devId, userId]);
    return row ? String(row.hash) : null;
  }

  setAuthHash(devId: number, userId: number, hash: string): Promise<void> {
    return this.#write(SQL.setAuthHash, [devId, userId, hash]);
  }

  deleteAuthHash(devId: number, userId: number): Promise<void> {
    return this.#write(SQL.deleteAuthHash, [devId, userId]);
  }

  async getUserData(devId: number, userId: number): Promise<string | null> {
    const [row] = await this.#rows(SQL.getUserData, [devId, userId]);
    return row ? String(row.data) : null;
  }

  setUserData(devId: number, userId: number, data: string): Promise<void> {
    return this.#write(SQL.setUserData, [devId, userId, data]);
  }

  deleteUserData(devId: number, userId: number): Promise<void> {
    return this.#write(SQL.deleteUserData, [devId, userId]);
  }

  async getUserTime(devId: number, userId: number): Promise<number | null> {
    const [row] = await this.#rows(SQL.getUserTime, [devId, userId]);
    return row ? Number(row.time) : null;
  }

  setUserTime(devId: number, userId: number, time: number): Promise<void> {
    return this.#write(SQL.setUserTime, [devId, userId, time]);
  }

  async listPipeSettings(): Promise<PipeSetting[]> {
    const rows = await this.#rows(SQL.listPipeSettings, []);
    return rows.map((r) => ({ devId: r.dev_id, pipe: String(r.name), length: r.length }));
  }

  setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    return this.#write(SQL.setPipeLength, [devId, pipe, length]);
  }

  deletePipeSettings(devId: number, pipe: string): Promise<void> {
    return this.#pool.transaction(async (conn) => {
      await conn.execute(SQL.deletePipeSettings, [devId, pipe]);
      await conn.execute(SQL.deleteHistory, [devId, pipe]);
    });
  }

  appendHistory(
    entries: HistoryEntry[],
    keepOf: (devId: number, pipe: string) => number,
  ): Promise<void> {
    if (entries.length === 0) return this.#pool.ready();
    return this.#pool.transaction(async (conn) => {
      const rows = entries.map((
        e,
      ) => [e.id, e.time, e.devId, e.pipe, e.event, e.message, e.userId]);
      await insertRows(conn, "pipe_messages", HISTORY_COLUMNS, rows);
      // docs/protocol/cometql.md §7.1 effect 1: each touched pipe keeps its newest `keep` rows.
      for (const { devId, pipe } of pipesOf(entries)) {
        await trimNewest(conn, "pipe_messages", "pipe_name", devId, pipe, keepOf(devId, pipe));
      }
    });
  }

  async readHistory(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.#rows(SQL.readHistory, [devId, pipe, limitParam(limit)]);
    return rows.reverse().map((r) => ({
      id: String(r.id),
      devId: r.dev_id,
      pipe: String(r.pipe_name),
      event: String(r.event),
      message: String(r.message),
      userId: r.user_id,
      time: r.time,
    }));
  }

  deleteHistory(devId: number, pipe: string): Promise<void> {
    return this.#write(SQL.deleteHistory, [devId, pipe]);
  }

  deleteHistoryMessage(devId: number, id: string): Promise<void> {
    return this.#write(SQL.deleteHistoryMessage, [devId, id]);
  }

  enqueuePrivate(m: QueuedMessage): Promise<void> {
    return this.#pool.transaction(async (conn) => {
      const row = [m.id, m.time, m.devId, m.userId, m.event, m.message];
      await insertRows(conn, "users_messages", QUEUE_COLUMNS, [row]);
      // RetentionLimits.queueMaxPerUser: the user's oldest rows beyond the bound are dropped.
      const keep = this.limits.queueMaxPerUser;
      await trimNewest(conn, "users_messages", "user_id", m.devId, m.userId, keep);
    });
  }

  async readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]> {
    const rows = await this.#rows(SQL.readQueue, [devId, userId, limitParam(limit)]);
    return rows.map((r) => ({
      id: String(r.id),
      devId: r.dev_id,
      userId: r.user_id,
      event: String(r.event),
      message: String(r.message),
      time: r.time,
    }));
  }

  deleteQueued(devId: number, ids: string[]): Promise<void> {
    if (ids.length === 0) return this.#pool.ready();
    return this.#pool.transaction(async (conn) => {
      for (let i = 0; i < ids.length; i += BATCH_SIZES[0]) {
        const chunk = ids.slice(i, i + BATCH_SIZES[0]);
        // Padding with the last id again changes nothing and keeps the statement's shape.
        const size = BATCH_SIZES.findLast((s) => s >= chunk.length)!;
        while (chunk.length < size) chunk.push(chunk[chunk.length - 1]);
        await conn.execute(
          `DELETE FROM users_messages WHERE dev_id = ? AND id IN (${marks(size)})`,
          [devId, ...chunk],
        );
      }
    });
  }

  clearQueue(devId: number, userId: number): Promise<void> {
    return this.#write(SQL.clearQueue, [devId, userId]);
  }

  revokeToken(devId: number, token: string): Promise<void> {
    const oversized = oversizedTokenError(token);
    if (oversized) return Promise.reject(oversized);
    return this.#write(SQL.revokeToken, [devId, token, Math.floor(Date.now() / 1000)]);
  }

  unrevokeToken(devId: number, token: string): Promise<void> {
    return this.#write(SQL.unrevokeToken, [devId, token]);
  }

  async isTokenRevoked(devId: number, token: string): Promise<boolean> {
    return (await this.#rows(SQL.isTokenRevoked, [devId, token])).length > 0;
  }

  async listRevokedTokens(devId: number): Promise<string[]> {
    const rows = await this.#rows(SQL.listRevokedTokens, [devId]);
    return rows.map((r) => decoder.decode(r.token)); // varbinary arrives as bytes
  }

  purgeExpired(now: number): Promise<void> {
    const maxAge = this.limits.queueMaxAgeSeconds;
    if (maxAge <= 0) return this.#pool.ready(); // 0 = never expire
    return this.#write(SQL.purgeExpired, [now - maxAge]);
  }

  async #rows(sql: string, params: Value[]): Promise<RowDataPacket[]> {
    return await this.#pool.use(async (conn) =>
      (await conn.execute<RowDataPacket[]>(sql, params))[0]
    );
  }

  async #write(sql: string, params: Value[]): Promise<void> {
    await this.#pool.use((conn) => conn.execute(sql, params));
  }
}

/** INSERTs `rows` in as few statements as the batch sizes and the packet bound allow. */
async function insertRows(
  conn: PoolConnection,
  table: string,
  columns: string,
  rows: Value[][],
): Promise<void> {
  let i = 0;
  while (i < rows.length) {
    const size = BATCH_SIZES.find((s) =>
      s <= rows.length - i && (s === 1 || bytesOf(rows.slice(i, i + s)) <= BATCH_MAX_BYTES)
    )!;
    await conn.execute(insertSql(table, columns, size), rows.slice(i, i + size).flat());
    i += size;
  }
}

/** Deletes all but the newest `keep` rows (by seq) of one pipe or one user of a tenant. */
async function trimNewest(
  conn: PoolConnection,
  table: string,
  keyColumn: string,
  devId: number,
  key: Value,
  keep: number,
): Promise<void> {
  // MySQL cannot DELETE with a subquery on the same table, hence two statements.
  const [rows] = await conn.execute<RowDataPacket[]>(
    `SELECT seq FROM ${table} WHERE dev_id = ? AND ${keyColumn} = ?
     ORDER BY seq DESC LIMIT 1 OFFSET ?`,
    [devId, key, limitParam(keep)],
  );
  if (rows.length === 0) return;
  await conn.execute(
    `DELETE FROM ${table} WHERE dev_id = ? AND ${keyColumn} = ? AND seq <= ?`,
    [devId, key, String(rows[0].seq)],
  );
}

/** Upper bound of the bytes `rows` take on the wire (UTF-16 units × 3). */
function bytesOf(rows: Value[][]): number {
  let n = 0;
  for (const row of rows) for (const v of row) n += typeof v === "string" ? v.length * 3 : 8;
  return n;
}

/**
 * A LIMIT/OFFSET count bound as a decimal string: mysql2 sends JS numbers as DOUBLE, which
 * MySQL 8 refuses for LIMIT in prepared statements; MySQL and MariaDB both accept a string there.
 */
function limitParam(n: number): string {
  return String(countOf(n));
}
