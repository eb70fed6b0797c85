/**
 * The MySQL schema at every (re)connect: `db.sql` applied statement by statement (all `CREATE
 * TABLE IF NOT EXISTS`), then the one-time upgrade of a database that CppComet created (spec:
 * docs/protocol/cometql.md §9.1) to what this server needs, recorded in `comet_schema_version`. The
 * upgrade only adds beside the original columns, so CppComet itself could still use the database.
 */
import type { PoolConnection, RowDataPacket } from "mysql2/promise";
import { StorageError } from "./storage.ts";
import schemaText from "../../db.sql" with { type: "text" };

/** The version this server's code writes and reads; raise it with each new upgrade step. */
export const SCHEMA_VERSION = 1;

/** Two servers starting together must not both ALTER the same table. */
const UPGRADE_LOCK = "comet_schema_upgrade";

/** Tables holding text that need utf8mb4 (4-byte characters) and exact (binary) comparison. */
const TEXT_TABLES = [
  "pipe_messages",
  "pipes_settings",
  "users_messages",
  "users_auth",
  "users_data",
];
/** Columns that must hold more than text's 65535 bytes (long messages). */
const LONG_TEXT_COLUMNS = [
  ["pipe_messages", "message"],
  ["users_messages", "message"],
  ["users_data", "data"],
];

/**
 * The statements of `db.sql`, comments removed. Imported as text so `deno compile` and
 * `deno bundle` carry the schema inside the program.
 */
export function schemaStatements(): string[] {
  return schemaText.split("\n").filter((line) => !line.trimStart().startsWith("--")).join("\n")
    .split(/;\s*$/m).map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * Creates missing tables and upgrades an older schema. Quick statements are bounded by
 * `timeoutMs` (a server that accepts but never answers must not stall the reconnect loop);
 * ALTER TABLE of a big original table may take long and is not.
 */
export async function upgradeSchema(
  conn: PoolConnection,
  statements: string[],
  timeoutMs: number,
  log: (msg: string) => void,
): Promise<void> {
  const query = async (sql: string, values: (string | number)[] = []) =>
    (await conn.query<RowDataPacket[]>({ sql, values, timeout: timeoutMs }))[0];
  // Wait for the lock less long than the query timeout, so a busy lock reads as such.
  const lockWaitS = Math.max(1, Math.floor(timeoutMs / 2000));
  const [lock] = await query(`SELECT GET_LOCK(?, ?) AS got`, [UPGRADE_LOCK, lockWaitS]);
  if (Number(lock.got) !== 1) {
    throw new StorageError(`another server is upgrading the schema (lock ${UPGRADE_LOCK})`);
  }
  try {
    const existing = new Set(
      (await query(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
      )).map((row) => String(row.name)),
    );
    for (const sql of statements) {
      // Existing tables are skipped, so a user without CREATE privilege works once db.sql ran.
      const table = /^CREATE TABLE IF NOT EXISTS `(\w+)`/.exec(sql)?.[1];
      if (table && existing.has(table)) continue;
      log(`creating table ${table ?? sql}`);
      await query(sql);
    }
    const [row] = await query("SELECT version FROM comet_schema_version WHERE id = 1");
    const version = row ? Number(row.version) : 0;
    if (version > SCHEMA_VERSION) {
      throw new StorageError(
        `database schema version ${version} is newer than this server's ${SCHEMA_VERSION}`,
      );
    }
    if (version < 1) {
      await upgradeOriginal(conn, query, log);
      await query("REPLACE INTO comet_schema_version (id, version) VALUES (1, 1)");
    }
  } finally {
    await query("DO RELEASE_LOCK(?)", [UPGRADE_LOCK]);
  }
}

type Query = (sql: string, values?: (string | number)[]) => Promise<RowDataPacket[]>;

/** Version 0 → 1: a database CppComet created (or that `db.sql` just created; then a no-op). */
async function upgradeOriginal(conn: PoolConnection, query: Query, log: (msg: string) => void) {
  const alter = async (sql: string) => {
    log(`upgrading the CppComet schema: ${sql}`);
    await conn.query(sql);
  };
  const columnType = async (table: string, column: string) =>
    (await query(
      `SELECT DATA_TYPE AS type FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
      [table, column],
    ))[0]?.type as string | undefined;
  const hasIndex = async (table: string, index: string) =>
    (await query(
      `SELECT 1 FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?`,
      [table, index],
    )).length > 0;

  for (const table of ["pipe_messages", "users_messages"]) {
    if (await columnType(table, "seq")) continue;
    // Existing rows are numbered in time order, so old history and queues keep their order.
    await alter(`ALTER TABLE \`${table}\` ADD COLUMN seq BIGINT NULL`);
    await conn.query("SET @comet_seq = 0");
    await conn.query(
      `UPDATE \`${table}\` SET seq = (@comet_seq := @comet_seq + 1) ORDER BY time, id`,
    );
    await alter(
      `ALTER TABLE \`${table}\` MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY seq (seq)`,
    );
  }
  const indexes = [
    ["pipe_messages", "dev_pipe_seq", "dev_id, pipe_name, seq"],
    ["users_messages", "dev_user_seq", "dev_id, user_id, seq"],
    ["users_messages", "time", "time"],
  ];
  for (const [table, index, columns] of indexes) {
    if (!(await hasIndex(table, index))) {
      await alter(`ALTER TABLE \`${table}\` ADD KEY \`${index}\` (${columns})`);
    }
  }
  for (const table of TEXT_TABLES) {
    const [row] = await query(
      `SELECT TABLE_COLLATION AS c FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
      [table],
    );
    if (row?.c !== "utf8mb4_bin") {
      await alter(`ALTER TABLE \`${table}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    }
  }
  for (const [table, column] of LONG_TEXT_COLUMNS) {
    if ((await columnType(table, column)) === "text") {
      await alter(`ALTER TABLE \`${table}\` MODIFY \`${column}\` MEDIUMTEXT NOT NULL`);
    }
  }
}
