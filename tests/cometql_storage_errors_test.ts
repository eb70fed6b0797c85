/**
 * A storage backend that fails: CometQL answers ERR 500 with a clear text at once, never hangs
 * (brief of issue 3; docs/protocol/cometql.md §9.4 describes the original blocking for seconds
 * instead).
 */
import { buildConfig } from "../src/config/config.ts";
import { parseIni } from "../src/config/ini.ts";
import { CometNode } from "../src/core/comet_node.ts";
import { Logger } from "../src/log.ts";
import { cometqlError } from "../src/cometql/cometql_error.ts";
import { runQuery } from "../src/cometql/execution/query_executor.ts";
import type { SessionContext } from "../src/cometql/session_context.ts";
import { type Storage, StorageError } from "../src/storage/storage.ts";
import { assertEquals } from "./helpers/assert.ts";

function failingStorage(): Storage {
  return new Proxy({} as Storage, {
    get: (_, key) =>
      key === "description"
        ? "failing"
        : key === "isAvailable"
        ? () => false
        : () => Promise.reject(new StorageError("database is down")),
  });
}

Deno.test("storage failures become ERR 500 `Storage unavailable: …`", async () => {
  const config = buildConfig(parseIni("", "test.conf"));
  const node = new CometNode(config, failingStorage(), new Logger(0, {}, () => {}));
  const session: SessionContext = {
    node,
    devId: 0,
    database: null,
    connectionId: 1,
    user: "root",
    host: "127.0.0.1",
    lastInsertId: 0,
    multiStatements: true,
  };
  const run = async (sql: string) => (await runQuery(session, sql, sql.length))[0];
  const unavailable = cometqlError(500, "Storage unavailable: database is down");
  for (
    const sql of [
      "select * from users_auth where id = 1",
      "insert into users_auth (id, hash) values (1, 'h')",
      "insert into users_messages (id, event, message) values (1, 'e', 'queued')",
      "select * from users_messages where id = 1",
      "insert into users_data (id, data) values (1, 'd')",
      "select * from users_data where id = 1",
      "delete from users_data where id = 1",
      "insert into revoked_tokens (token) values ('t')",
      "select * from revoked_tokens",
      "insert into pipes_settings (name, length) values ('abc', 1)",
      "select * from users_time where id = 1",
    ]
  ) {
    assertEquals(await run(sql), unavailable, sql);
  }
  // Statements that need no storage still work.
  assertEquals((await run("select * from pipes where name = 'abc'")).kind, "rows");
  assertEquals(node.stats.qlQueries, 12);
});
