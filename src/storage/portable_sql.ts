/**
 * The statements both drivers run unchanged: the same tables and columns (CppComet's `db.sql`,
 * spec cometql.md §9.1), in SQL that MySQL/MariaDB and SQLite both accept (REPLACE, `?`
 * parameters). Driver-specific statements (multi-row inserts, trims) stay in each driver.
 */
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
  deleteHistory: "DELETE FROM pipe_messages WHERE dev_id = ? AND pipe_name = ?",
  deleteHistoryMessage: "DELETE FROM pipe_messages WHERE dev_id = ? AND id = ?",
  clearQueue: "DELETE FROM users_messages WHERE dev_id = ? AND user_id = ?",
  revokeToken: "REPLACE INTO revoked_tokens (dev_id, token, time) VALUES (?, ?, ?)",
  unrevokeToken: "DELETE FROM revoked_tokens WHERE dev_id = ? AND token = ?",
  isTokenRevoked: "SELECT 1 AS found FROM revoked_tokens WHERE dev_id = ? AND token = ?",
  listRevokedTokens: "SELECT token FROM revoked_tokens WHERE dev_id = ? ORDER BY token",
  purgeExpired: "DELETE FROM users_messages WHERE time < ?",
} as const;
