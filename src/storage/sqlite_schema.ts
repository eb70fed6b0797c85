/**
 * The schema of the embedded SQLite storage (docs/protocol/storage.md): the tables of `db.sql`
 * (same names and columns as the MySQL driver's), created and upgraded by numbered migrations.
 */
import type { DatabaseSync } from "node:sqlite";
import { StorageError } from "./storage.ts";

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
 * Applies the migrations the file has not had yet, each in its own transaction. The version is
 * read inside the write lock: several processes opening one file at once (README "Scaling
 * out") apply each migration once.
 */
export function applyMigrations(db: DatabaseSync): void {
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
