/**
 * The storage conformance suite against the MySQL driver on a real MariaDB (started by
 * `helpers/mariadb.ts`, a fresh database per test), and the upgrade of a database that CppComet
 * created (docs/protocol/cometql.md §9.1).
 */
import assert from "node:assert/strict";
import type { DbConfig } from "../src/config/config.ts";
import { MysqlStorage } from "../src/storage/mysql_storage.ts";
import type { RetentionLimits } from "../src/storage/storage.ts";
import { startMariadb } from "./helpers/mariadb.ts";
import { DEFAULT_LIMITS, entry, queued, storageConformance } from "./storage_conformance.ts";

const mariadb = await startMariadb();
let databases = 0;

/** A new, empty database on the test server, and a DbConfig pointing at it. */
async function freshDatabase(): Promise<DbConfig> {
  const name = `comet_${Deno.pid}_${++databases}`;
  await mariadb.sql(`CREATE DATABASE ${name}`);
  return {
    host: mariadb.host,
    user: mariadb.user,
    password: mariadb.password,
    name,
    port: mariadb.port,
    file: "",
    poolSize: 4,
    queryTimeoutMs: 5000,
    connectTimeoutMs: 2000,
  };
}

const logs: string[] = [];
const log = (level: string, msg: string) => logs.push(`${level}: ${msg}`);

storageConformance("mysql", async (limits: RetentionLimits) => {
  const db = await freshDatabase();
  return {
    create: () => new MysqlStorage(db, limits, log),
    destroy: async () => {
      await mariadb.sql(`DROP DATABASE ${db.name}`);
    },
    diagnostics: () => logs.join("\n"),
  };
});

/**
 * CppComet's own tables, as an existing installation has them: utf8, text, no seq. The ids sort
 * opposite to the times, so only ordering by time can give the expected order.
 */
const ORIGINAL_SCHEMA = `
CREATE TABLE pipe_messages (id varchar(36) NOT NULL, time int NOT NULL, dev_id int NOT NULL,
  pipe_name varchar(64) NOT NULL, event varchar(64) NOT NULL, message text NOT NULL,
  user_id int NOT NULL, PRIMARY KEY (id), KEY time (time), KEY dev_id (dev_id))
  ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE pipes_settings (dev_id int NOT NULL, name varchar(128) NOT NULL,
  type char(1) NOT NULL, length int NOT NULL, PRIMARY KEY (dev_id, name))
  ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE users_messages (id varchar(36) NOT NULL, time int NOT NULL, dev_id int NOT NULL,
  user_id int NOT NULL, event varchar(64) NOT NULL, message text NOT NULL, PRIMARY KEY (id),
  KEY time (time)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE users_time (dev_id int NOT NULL, user_id int NOT NULL, time int NOT NULL,
  PRIMARY KEY (dev_id, user_id)) ENGINE=MEMORY;
CREATE TABLE users_auth (dev_id int NOT NULL, user_id int NOT NULL, hash varchar(32) NOT NULL,
  PRIMARY KEY (dev_id, user_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO pipe_messages VALUES ('cccc-early', 1001, 1, 'chat', 'e', 'first', 0),
  ('aaaa-late', 1005, 1, 'chat', 'e', 'third', 0), ('bbbb-mid', 1003, 1, 'chat', 'e', 'second', 0);
INSERT INTO users_messages VALUES ('zz', 2001, 1, 9, 'e', 'q1'), ('aa', 2002, 1, 9, 'e', 'q2');
INSERT INTO pipes_settings VALUES (1, 'chat', '0', 3);
INSERT INTO users_time VALUES (1, 9, 1234);
INSERT INTO users_auth VALUES (1, 9, 'oldhash');`;

Deno.test("mysql: a CppComet database is upgraded in place and keeps its data", async () => {
  const db = await freshDatabase();
  await mariadb.sql(`USE ${db.name}; ${ORIGINAL_SCHEMA}`);
  const storage = new MysqlStorage(db, DEFAULT_LIMITS, log);
  await storage.open();
  try {
    assert.equal(storage.isAvailable(), true, logs.join("\n"));
    // Old rows are ordered by time, new ones come after them.
    const added = entry(1, "chat", "fourth 😀", 1000);
    await storage.appendHistory([added], () => 3);
    const history = await storage.readHistory(1, "chat", 99);
    assert.deepEqual(history.map((e) => e.message), ["second", "third", "fourth 😀"]);
    const q3 = queued(1, 9, "q3 😀", 2000);
    await storage.enqueuePrivate(q3);
    assert.deepEqual((await storage.readQueue(1, 9, 10)).map((m) => m.message), [
      "q1",
      "q2",
      q3.message,
    ]);
    assert.deepEqual(await storage.listPipeSettings(), [{ devId: 1, pipe: "chat", length: 3 }]);
    assert.equal(await storage.getUserTime(1, 9), 1234);
    assert.equal(await storage.getAuthHash(1, 9), "oldhash");
    // Tables the original had not (users_data, revoked_tokens) are created.
    await storage.setUserData(1, 9, "new table");
    assert.equal(await storage.getUserData(1, 9), "new table");
    const version = await mariadb.sql(`SELECT version FROM ${db.name}.comet_schema_version`);
    assert.equal(version.trim(), "1");
    // Messages longer than text's 64 KB fit; users_time keeps the engine the user chose.
    const columns = await mariadb.sql(
      `SELECT TABLE_NAME, DATA_TYPE, COLLATION_NAME FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = '${db.name}' AND COLUMN_NAME = 'message'
         AND TABLE_NAME IN ('pipe_messages', 'users_messages') ORDER BY TABLE_NAME`,
    );
    assert.equal(
      columns,
      "pipe_messages\tmediumtext\tutf8mb4_bin\nusers_messages\tmediumtext\tutf8mb4_bin\n",
    );
    const engine = await mariadb.sql(
      `SELECT ENGINE FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = '${db.name}' AND TABLE_NAME = 'users_time'`,
    );
    assert.equal(engine.trim(), "MEMORY");
  } finally {
    await storage.close();
  }
  // A second start finds nothing to upgrade.
  const again = new MysqlStorage(db, DEFAULT_LIMITS, log);
  await again.open();
  assert.equal(again.isAvailable(), true);
  assert.equal((await again.readHistory(1, "chat", 99)).length, 3);
  await again.close();
  await mariadb.sql(`DROP DATABASE ${db.name}`);
});
