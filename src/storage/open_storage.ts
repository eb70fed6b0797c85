/**
 * Picks the storage driver from `[db]` (docs/protocol/cometql.md §9, §10.2): an empty `host` means
 * the embedded SQLite file `[db] file`, anything else MySQL/MariaDB. The retention limits of
 * `[retention]` go to the driver, which enforces the queue bounds itself.
 */
import type { Config } from "../config/config.ts";
import { MysqlStorage, type StorageLog } from "./mysql_storage.ts";
import { SqliteStorage } from "./sqlite_storage.ts";
import type { RetentionLimits, Storage } from "./storage.ts";

/**
 * Opens the configured storage. SQLite failures (unwritable file, newer schema) reject; MySQL
 * being down does not: the driver keeps reconnecting and `isAvailable()` tells.
 */
export async function openStorage(config: Config, log: StorageLog): Promise<Storage> {
  const limits = retentionLimitsOf(config);
  const storage: Storage = config.db.host === ""
    ? new SqliteStorage({ file: config.db.file, limits, busyTimeoutMs: config.db.queryTimeoutMs })
    : new MysqlStorage(config.db, limits, log);
  await storage.open();
  log("info", `storage: ${storage.description}`);
  return storage;
}

export function retentionLimitsOf(config: Config): RetentionLimits {
  return {
    trustHistoryLength: config.retention.trustHistoryLength,
    queueMaxPerUser: config.retention.queueMaxPerUser,
    queueMaxAgeSeconds: config.retention.queueMaxAgeDays * 24 * 60 * 60,
    historyDurable: config.retention.historySync,
  };
}
