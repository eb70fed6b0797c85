/**
 * The statements both drivers run unchanged: the same tables and columns (CppComet's `db.sql`,
 * docs/protocol/cometql.md §9.1), in SQL that MySQL/MariaDB and SQLite both accept (REPLACE, `?`
 * parameters). Trims stay in each driver (MySQL cannot DELETE with a subquery on the same table).
 */

/** `pipe_messages` columns in the order history rows are inserted and read. */
export const HISTORY_COLUMNS = "id, time, dev_id, pipe_name, event, message, user_id";
/** `users_messages` columns in the order queue rows are inserted and read. */
export const QUEUE_COLUMNS = "id, time, dev_id, user_id, event, message";

export const PORTABLE_SQL = {
  getAuthHash: "SELECT hash FROM users_auth WHERE dev_id = ? AND user_id = ?",
  setAuthHash: "REPLACE INTO users_auth (dev_id, user_id, hash) VALUES (?, ?, ?)",
  deleteAuthHash: "DELETE FROM users_auth WHERE dev_id = ? AND user_id = ?",
  getUserData: "SELECT data FROM users_data WHERE dev_id = ? AND user_id = ?",
  setUserData: "REPLACE INTO users_data (dev_id, user_id, data) VALUES (?, ?, ?)",
  deleteUserData: "DELETE FROM users_data WHERE dev_id = ? AND user_id = ?",
  getUserTime: "SELECT time FROM users_time WHERE dev_id = ? AND user_id = ?",
  setUserTime: "REPLACE INTO users_time (dev_id, user_id, time) VALUES (?, ?, ?)",
  listPipeSettings: "SELECT dev_id, name, length FROM pipes_settings",
  setPipeLength: "REPLACE INTO pipes_settings (dev_id, name, type, length) VALUES (?, ?, '0', ?)",
  deletePipeSettings: "DELETE FROM pipes_settings WHERE dev_id = ? AND name = ?",
  /** Newest first (the caller reverses); `seq` is insertion order. */
  readHistory: `SELECT ${HISTORY_COLUMNS} FROM pipe_messages
    WHERE dev_id = ? AND pipe_name = ? ORDER BY seq DESC LIMIT ?`,
  deleteHistory: "DELETE FROM pipe_messages WHERE dev_id = ? AND pipe_name = ?",
  deleteHistoryMessage: "DELETE FROM pipe_messages WHERE dev_id = ? AND id = ?",
  readQueue: `SELECT ${QUEUE_COLUMNS} FROM users_messages
    WHERE dev_id = ? AND user_id = ? ORDER BY seq LIMIT ?`,
  clearQueue: "DELETE FROM users_messages WHERE dev_id = ? AND user_id = ?",
  revokeToken: "REPLACE INTO revoked_tokens (dev_id, token, time) VALUES (?, ?, ?)",
  unrevokeToken: "DELETE FROM revoked_tokens WHERE dev_id = ? AND token = ?",
  isTokenRevoked: "SELECT 1 AS found FROM revoked_tokens WHERE dev_id = ? AND token = ?",
  listRevokedTokens: "SELECT token FROM revoked_tokens WHERE dev_id = ? ORDER BY token",
  purgeExpired: "DELETE FROM users_messages WHERE time < ?",
} as const;

/** `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows of `columns`. */
export function insertSql(table: string, columns: string, rows: number): string {
  const row = `(${marks(columns.split(",").length)})`;
  return `INSERT INTO ${table} (${columns}) VALUES ${Array(rows).fill(row).join(", ")}`;
}

/** `n` parameter marks: `?, ?, …`. */
export function marks(n: number): string {
  return Array(n).fill("?").join(", ");
}

/** A non-negative whole count for LIMIT/OFFSET, whatever the caller passed. */
export function countOf(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
