/**
 * Every CometQL table and every error code (docs/protocol/cometql.md §5, §7, §8), through a real
 * connection to an in-process server. Browser connections are stood in for by fake subscribers
 * registered with the core.
 */
import { expectedSqlState, RawMysqlClient, type Reply } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

/** Browsers are stood in for by fake subscribers registered with the core. */
const fakeBrowser = fakeSubscriber;

Deno.test("CometQL tables and errors", async (t) => {
  const server = await startTestServer();
  const node = server.node;
  const [c, login] = await RawMysqlClient.login(server.qlPort, { database: "CometQL_v1" });
  assert(login.kind === "ok");
  const q = async (sql: string): Promise<Reply> => (await c.query(sql))[0];
  const rowsOf = async (sql: string) => {
    const r = await q(sql);
    assert(r.kind === "rows", `${sql}: ${JSON.stringify(r)}`);
    return r.rows;
  };
  const okOf = async (sql: string) => {
    const r = await q(sql);
    assert(r.kind === "ok", `${sql}: ${JSON.stringify(r)}`);
    return [r.affectedRows, r.insertId];
  };
  const errOf = async (sql: string) => {
    const r = await q(sql);
    assert(r.kind === "err", `${sql}: ${JSON.stringify(r)}`);
    assertEquals(r.sqlState, expectedSqlState(r.code, r.message));
    return [r.code, r.message];
  };
  try {
    await t.step("pipes_messages INSERT publishes to subscribers of the same tenant", async () => {
      const here = fakeBrowser(0);
      const other = fakeBrowser(1);
      node.setSubscriptions(here, ["news"]);
      node.setSubscriptions(other, ["news"]);
      const message = `{"text":"it\\'s \\"quoted\\" \\\\ and\\nnew line ✓"}`;
      assertEquals(
        await okOf(
          `insert into pipes_messages (name, event, message) values ('news', 'add', '${message}')`,
        ),
        [0, 0],
      );
      assertEquals(here.received.length, 1);
      assertEquals(here.received[0].data, `{"text":"it's "quoted" \\ and\nnew line ✓"}`);
      assertEquals([here.received[0].event, here.received[0].pipe], ["add", "news"]);
      assertEquals(other.received.length, 0);
      // Without a column list: id, time, name, index, event, message, user_id.
      await okOf("insert into pipes_messages values ('', 0, 'news', 0, 'e2', 'plain', 0)");
      assertEquals(here.received[1].data, "plain");
      // Multi-row VALUES.
      await okOf(
        "insert into pipes_messages (name, event, message) values ('news','a','1'), ('news','b','2')",
      );
      assertEquals(here.received.slice(2).map((m) => m.data), ["1", "2"]);
      node.setSubscriptions(here, []);
      node.setSubscriptions(other, []);
    });

    await t.step(
      "pipes_messages INSERT validation order and texts (docs/protocol/cometql.md §7.1)",
      async () => {
        const ins = (cols: string, vals: string) =>
          errOf(`insert into pipes_messages (${cols}) values (${vals})`);
        assertEquals(await ins("event, message", "'e', 'm'"), [12, "field `name` is required"]);
        assertEquals(await ins("name, message", "'abc', 'm'"), [12, "field `event` is required"]);
        assertEquals(await ins("name, event", "'abc', 'e'"), [12, "field `message` is required"]);
        assertEquals(await ins("name, event, message", `'${"p".repeat(65)}', 'e', 'm'`), [
          11,
          "Channel name is too long",
        ]);
        assertEquals(await ins("name, event, message", "'ab', 'e', 'm'"), [
          17,
          "Channel name is too short",
        ]);
        const chars = [12, "The channel name can contain only the characters A-Za-z0-9_-"];
        assertEquals(await ins("name, event, message", "'a b c', 'e', 'm'"), chars);
        assertEquals(await ins("name, event, message", `'abc', '${"e".repeat(65)}', 'm'`), [
          11,
          "Channel event_name is too long",
        ]);
        assertEquals(await ins("name, event, message", "'abc', 'e=1', 'm'"), chars);
        assertEquals(
          await okOf("insert into pipes_messages (name, event, message) values ('abc', '', 'm')"),
          [0, 0],
        );
      },
    );

    await t.step("pipes_settings + pipes_messages history: SELECT, LIMIT, DELETE", async () => {
      assertEquals(await okOf("insert into pipes_settings (name, length) values ('hist', 3)"), [
        1,
        0,
      ]);
      assertEquals(await rowsOf("select * from pipes_settings where name = 'hist'"), [[
        "hist",
        "3",
      ]]);
      assertEquals(await rowsOf("select * from pipes_settings where name = 'nosettings'"), []);
      for (let i = 1; i <= 4; i++) {
        await okOf(
          `insert into pipes_messages (name, event, message) values ('hist', 'e', 'm${i}')`,
        );
      }
      await node.flush();
      const all = await rowsOf("select * from pipes_messages where name = 'hist'");
      assertEquals(all.map((r) => [r[2], r[3], r[4], r[5], r[6]]), [
        ["hist", "0", "e", "m2", "0"],
        ["hist", "1", "e", "m3", "0"],
        ["hist", "2", "e", "m4", "0"],
      ]);
      assertEquals(all[0][0]?.length, 36);
      // LIMIT offset, count with MySQL's meaning; named columns in the order written.
      assertEquals(
        await rowsOf("select message, name from pipes_messages where name = 'hist' limit 1, 1"),
        [
          ["m3", "hist"],
        ],
      );
      assertEquals(await rowsOf("select message from pipes_messages where name = 'hist' limit 2"), [
        ["m2"],
        ["m3"],
      ]);
      await okOf(`delete from pipes_messages where id = '${all[0][0]}'`);
      assertEquals(
        (await rowsOf("select message from pipes_messages where name = 'hist'")).length,
        2,
      );
      await okOf("delete from pipes_messages where name = 'hist'");
      assertEquals(await rowsOf("select * from pipes_messages where name = 'hist'"), []);
      assertEquals(await rowsOf("select * from pipes_settings where name = 'hist'"), [[
        "hist",
        "3",
      ]]);
      assertEquals(await okOf("insert into pipes_settings (name, length) values ('hist', 5000)"), [
        1,
        0,
      ]);
      assertEquals(await rowsOf("select length from pipes_settings where name = 'hist'"), [[
        "1000",
      ]]);
      assertEquals(await okOf("delete from pipes_settings where name = 'hist'"), [0, 0]);
      assertEquals(await rowsOf("select * from pipes_settings where name = 'hist'"), []);
      assertEquals(await errOf("insert into pipes_settings (length) values (3)"), [
        12,
        "field `name` is required",
      ]);
      assertEquals(await errOf("insert into pipes_settings (name) values ('x')"), [
        17,
        "Channel name is too short",
      ]);
    });

    await t.step("pipes and users_in_pipes list live subscribers; both are read-only", async () => {
      const a = fakeBrowser(0);
      const b = fakeBrowser(0, { uuid: "second" });
      node.setSubscriptions(a, ["room"]);
      node.setSubscriptions(b, ["room"]);
      assertEquals(await rowsOf("select * from pipes where name in ('room', 'empty')"), [
        ["room", "2"],
        ["empty", "0"],
      ]);
      const users = await rowsOf("select * from users_in_pipes where name = 'room'");
      assertEquals(users.length, 2);
      assert(users.some((r) =>
        JSON.stringify(r) ===
          JSON.stringify([
            "room",
            "0",
            "second",
            "TestAgent/1.0",
            "10.1.2.3",
            "https://example.test",
            "en",
          ])
      ));
      assertEquals(await errOf("insert into pipes (name) values ('x')"), [
        10,
        "Table `pipes` is read only",
      ]);
      assertEquals(await errOf("delete from users_in_pipes where name = 'room'"), [
        10,
        "Table `users_in_pipes` is read only",
      ]);
      node.setSubscriptions(a, []);
      node.setSubscriptions(b, []);
    });

    await t.step(
      "users_auth, users_time, users_messages with an authenticated browser",
      async () => {
        assertEquals(await okOf("insert into users_auth (id, hash) values (12, 'secretHash12')"), [
          1,
          12,
        ]);
        assertEquals(await rowsOf("select * from users_auth where id in (12, 13, 0)"), [[
          "12",
          "secretHash12",
        ]]);
        const browser = fakeBrowser(0);
        await node.attach(browser, "secretHash12", 12);
        assertEquals(browser.userId, 12);
        assertEquals(await rowsOf("select * from users_time where id in (12, 8)"), [["12", "0"], [
          "8",
          "-1",
        ]]);
        // docs/protocol/cometql.md §7.6: key values ≥ 0, so 0 gets a row; a negative one is skipped, not refused.
        assertEquals(await rowsOf("select id from users_time where id in (-1, 0)"), [["0"]]);
        // Online: delivered, not queued.
        assertEquals(
          await okOf("insert into users_messages (id, event, message) values (12, 'hi', 'to you')"),
          [0, 12],
        );
        assertEquals(browser.received.at(-1)?.data, "to you");
        assertEquals(await rowsOf("select * from users_messages where id = 12"), []);
        // Offline: queued, shown, cleared.
        await okOf(
          "insert into users_messages (id, event, message) values (77, 'a', 'one'), (77, 'b', 'two')",
        );
        const queued = await rowsOf("select * from users_messages where id = 77");
        assertEquals(queued.map((r) => [r[0], r[2], r[3]]), [["77", "a", "one"], [
          "77",
          "b",
          "two",
        ]]);
        assertEquals(queued[0][1]?.length, 36);
        assertEquals(await okOf("delete from users_messages where id = 77"), [0, 0]);
        assertEquals(await rowsOf("select * from users_messages where id = 77"), []);
        // DELETE users_auth removes the hash and drops the user's connections.
        assertEquals(await okOf("delete from users_auth where id = 12"), [0, 0]);
        assert(browser.dropped);
        assertEquals(await rowsOf("select * from users_auth where id = 12"), []);
        node.detach(browser);
        const time = await rowsOf("select time from users_time where id = 12");
        assert(Number(time[0][0]) > 1_600_000_000);
        assertEquals(await errOf("insert into users_time (id, time) values (1, 2)"), [
          10,
          "Table `users_time` is read only",
        ]);
      },
    );

    await t.step(
      "users_auth and users_messages validation (docs/protocol/cometql.md §7.5, §7.7)",
      async () => {
        assertEquals(await errOf("insert into users_auth (hash) values ('x')"), [
          12,
          "field `id` is required",
        ]);
        assertEquals(await errOf("insert into users_auth (id) values (1)"), [
          12,
          "field `hash` is required",
        ]);
        assertEquals(await errOf("insert into users_auth (id, hash) values (0, 'x')"), [
          12,
          "The id field must be non-negative",
        ]);
        assertEquals(await errOf("insert into users_auth (id, hash) values (1, 'a-b')"), [
          12,
          "Contains an invalid characters in the string hash",
        ]);
        assertEquals(
          await errOf(`insert into users_auth (id, hash) values (1, '${"h".repeat(33)}')`),
          [
            11,
            "Hash string is too long",
          ],
        );
        assertEquals(
          await errOf("insert into users_messages (id, event, message) values (-1, 'e', 'm')"),
          [
            12,
            "The id field must be non-negative",
          ],
        );
        assertEquals(await errOf("insert into users_messages (id, message) values (1, 'm')"), [
          12,
          "field `event` is required",
        ]);
        assertEquals(
          await errOf(`insert into users_messages (id, event, message) values (1, 'e!', 'm')`),
          [
            12,
            "The channel name can contain only the characters A-Za-z0-9_-",
          ],
        );
      },
    );

    await t.step("users_data stores text per user and tenant", async () => {
      assertEquals(await okOf("insert into users_data (id, data) values (5, 'hello \\'data\\'')"), [
        1,
        5,
      ]);
      assertEquals(await rowsOf("select * from users_data where id = 5"), [["5", "hello 'data'"]]);
      assertEquals(await errOf("insert into users_data (id) values (5)"), [
        12,
        "field `data` is required",
      ]);
      assertEquals(await errOf("insert into users_data (id, data) values (-5, 'x')"), [
        12,
        "The id field must be non-negative",
      ]);
      const [other] = await RawMysqlClient.login(server.qlPort, { user: "3" });
      const [r] = await other.query("select * from users_data where id = 5");
      assert(r.kind === "rows");
      assertEquals(r.rows, []);
      other.close();
      assertEquals(await okOf("delete from users_data where id = 5"), [0, 0]);
      assertEquals(await rowsOf("select * from users_data where id = 5"), []);
    });

    await t.step("revoked_tokens: insert, list, select by token, delete", async () => {
      assertEquals(await okOf("insert into revoked_tokens (token) values ('tok.en.one')"), [1, 1]);
      await okOf("insert into revoked_tokens (token) values ('tok.en.two')");
      assertEquals((await rowsOf("select * from revoked_tokens")).map((r) => r[0]).sort(), [
        "tok.en.one",
        "tok.en.two",
      ]);
      assertEquals(
        await rowsOf("select token from revoked_tokens where token in ('tok.en.two', 'nope')"),
        [
          ["tok.en.two"],
        ],
      );
      assertEquals(await errOf("delete from revoked_tokens"), [
        13,
        "Deleting without transferring the requested values of the primary key is not supported",
      ]);
      await okOf("delete from revoked_tokens where token = 'tok.en.one'");
      assertEquals(await rowsOf("select * from revoked_tokens"), [["tok.en.two"]]);
      assertEquals(await errOf("insert into revoked_tokens (token) values (NULL)"), [
        12,
        "field `token` is required",
      ]);
    });

    await t.step("too-long values are ERR 11 (22001) before storage is touched", async () => {
      // varbinary(600): 650 bytes is refused as input, not reported as a storage outage.
      const listed = (await rowsOf("select * from revoked_tokens")).length;
      const r = await q(`insert into revoked_tokens (token) values ('${"t".repeat(650)}')`);
      assertEquals(r, { kind: "err", code: 11, sqlState: "22001", message: "Token is too long" });
      // 600 bytes of UTF-8 is the limit, not 600 characters.
      assertEquals(
        (await errOf(`insert into revoked_tokens values ('${"é".repeat(301)}')`))[0],
        11,
      );
      assertEquals(await okOf(`insert into revoked_tokens values ('${"é".repeat(300)}')`), [1, 1]);
      assertEquals((await rowsOf("select * from revoked_tokens")).length, listed + 1);
      await okOf(`delete from revoked_tokens where token = '${"é".repeat(300)}'`);
      for (
        const [sql, message] of [
          [`insert into users_auth values (3, '${"a".repeat(33)}')`, "Hash string is too long"],
          [
            `insert into pipes_messages (name, event, message) values ('${
              "p".repeat(65)
            }', 'e', 'm')`,
            "Channel name is too long",
          ],
          [
            `insert into users_messages (id, event, message) values (3, '${"e".repeat(65)}', 'm')`,
            "Channel event_name is too long",
          ],
          [
            `insert into pipes_settings (name, length) values ('${"p".repeat(65)}', 5)`,
            "Channel name is too long",
          ],
        ]
      ) {
        const e = await q(sql);
        assertEquals(e, { kind: "err", code: 11, sqlState: "22001", message }, sql);
      }
    });

    await t.step("user ids beyond the stored int are refused before storage", async () => {
      for (
        const sql of [
          "insert into users_auth (id, hash) values (2147483648, 'h')",
          "insert into users_data (id, data) values (4294967297, 'd')",
          "insert into users_messages (id, event, message) values (2147483648, 'e', 'm')",
        ]
      ) {
        assertEquals(await errOf(sql), [12, "The id field must be at most 2147483647"], sql);
      }
      assertEquals(await okOf("insert into users_auth (id, hash) values (2147483647, 'h')"), [
        1,
        2147483647,
      ]);
      assertEquals(await rowsOf("select * from users_auth where id = 4294967297"), []);
    });

    await t.step("a multi-row INSERT with one bad row changes nothing", async () => {
      const r = await q(
        `insert into users_auth (id, hash) values (41, 'good41'), (42, '${"a".repeat(40)}')`,
      );
      assert(r.kind === "err" && r.code === 11, JSON.stringify(r));
      assertEquals(await rowsOf("select * from users_auth where id = 41"), []);
      const sub = fakeBrowser(0);
      node.setSubscriptions(sub, ["rowpipe"]);
      const bad = await q(
        "insert into pipes_messages (name, event, message) values ('rowpipe', 'e', 'one'), ('x', 'e', 'two')",
      );
      assert(bad.kind === "err" && bad.code === 17, JSON.stringify(bad));
      assertEquals(sub.received, []);
      node.setSubscriptions(sub, []);
    });

    await t.step("column definitions carry the stored column's size in bytes", async () => {
      await okOf("insert into users_auth (id, hash) values (43, 'h43')");
      const auth = await q("select * from users_auth where id = 43");
      assert(auth.kind === "rows");
      // int(11) → 11, varchar(32) in utf8mb4 → 128.
      assertEquals(auth.columns.map((c) => [c.name, c.length]), [["id", 11], ["hash", 128]]);
      const history = await q("select * from pipes_messages where name = 'nothing_here'");
      assert(history.kind === "rows");
      assertEquals(history.columns.map((c) => c.length), [144, 11, 256, 11, 256, 16777215, 11]);
      const tokens = await q("select token from revoked_tokens");
      assert(tokens.kind === "rows");
      assertEquals(tokens.columns[0].length, 600);
      // Computed values: the longest value sent, in bytes.
      const computed = await q("select 'abc' as a, 'ééé' as b");
      assert(computed.kind === "rows");
      assertEquals(computed.columns.map((c) => c.length), [3, 6]);
    });

    await t.step("video-call tables answer clearly; dialogs does not exist", async () => {
      assertEquals((await errOf("select * from conference where name = 'x'"))[0], 10);
      assertEquals(await errOf("insert into conference_members (name) values ('x')"), [
        10,
        "insert into `conference_members` is not ready yet",
      ]);
      assertEquals(await errOf("delete from conference_members where name = 'x'"), [
        10,
        "delete from `conference_members` is not ready yet",
      ]);
      assertEquals(await errOf("insert into dialogs (a) values (1)"), [
        10,
        "Table `dialogs` is not ready yet",
      ]);
      assertEquals(await errOf("select * from dialogs"), [15, "Table doesn't exist"]);
    });

    await t.step(
      "generic rules: columns, WHERE, ORDER BY, unknown tables (docs/protocol/cometql.md §5, §7)",
      async () => {
        assertEquals(await errOf("select * from PIPES where name = 'x'"), [
          15,
          "Table doesn't exist",
        ]);
        assertEquals(await errOf("select nope from pipes where name = 'abc'"), [
          14,
          "Not a specific column",
        ]);
        assertEquals(await errOf("select name, name from pipes where name = 'abc'"), [
          13,
          "Each column in the select used only once",
        ]);
        assertEquals(await errOf("select * from pipes where nope = 'abc'"), [
          14,
          "Not a specific column",
        ]);
        assertEquals(await errOf("select * from pipes where name = 'abc' and name = 'abd'"), [
          13,
          "Each column in the conditions used only once",
        ]);
        assertEquals(await errOf("select * from pipes where name = 'abc' or users = 1"), [
          2,
          "Operator OR is not yet implemented",
        ]);
        assertEquals(await errOf("select * from pipes where name > 'abc'"), [
          2,
          "Operator > is not yet implemented",
        ]);
        assertEquals(await errOf("select * from pipes where name = 'abc' order by name"), [
          2,
          "Token ORDER BY is not yet implemented",
        ]);
        assertEquals(await errOf("select * from pipes"), [
          13,
          "Selection without transferring the requested values of the primary key is not supported",
        ]);
        assertEquals(await errOf("insert into pipes_settings (name, name) values ('abc', 'abd')"), [
          13,
          "Each column in the insert used only once",
        ]);
        assertEquals(await errOf("insert into pipes_settings (name) values ('abc', 1)"), [
          14,
          "Error in columns list",
        ]);
        assertEquals(await errOf("insert into pipes_settings values ('abc')"), [
          14,
          "Error in columns list",
        ]);
        assertEquals(await errOf("insert into pipes_settings (nope) values (1)"), [
          14,
          "Not a specific column",
        ]);
        assertEquals(await errOf("update pipes set a = 1"), [3, "Syntax error in query"]);
        // Column names are case-insensitive like MySQL's; results keep the name as written.
        const r = await q("select NAME as n, Users from pipes where Name = 'abc'");
        assert(r.kind === "rows");
        assertEquals(r.columns.map((col) => col.name), ["n", "Users"]);
      },
    );

    await t.step("statements that do not touch a table (docs/protocol/cometql.md §6)", async () => {
      assertEquals(await rowsOf("show databases"), [["CometQL_v1"]]);
      assertEquals((await rowsOf("show tables")).slice(0, 7).map((r) => r[0]), [
        "users_auth",
        "users_time",
        "users_messages",
        "pipes_messages",
        "users_in_pipes",
        "pipes",
        "pipes_settings",
      ]);
      assertEquals(await rowsOf("describe users_auth"), [
        ["id", "int(11)", "NO", "PRI", null, ""],
        ["hash", "varchar(32)", "NO", "", null, ""],
      ]);
      for (
        const table of [
          "pipes_messages",
          "pipes",
          "users_in_pipes",
          "pipes_settings",
          "users_messages",
          "users_time",
          "users_data",
          "revoked_tokens",
        ]
      ) {
        assert((await rowsOf(`show full columns from ${table}`)).length > 0, table);
      }
      assertEquals(await errOf("describe nope"), [15, "Table doesn't exist"]);
      assertEquals((await rowsOf("show table status")).length, 9);
      assertEquals(await rowsOf("show variables like 'lower_case_table_names'"), [[
        "lower_case_table_names",
        "0",
      ]]);
      assertEquals(await rowsOf("select @@version_comment limit 1"), [[
        "CppComet community 4.09 (AGPL license)(comet-server.com, support@comet-server.com)",
      ]]);
      assertEquals(
        await rowsOf("select @@session.auto_increment_increment, @@sql_mode, @@time_zone"),
        [["1", "", "SYSTEM"]],
      );
      assertEquals((await errOf("select @@no_such_variable"))[0], 15);
      assertEquals(await rowsOf("select database()"), [["CometQL_v1"]]);
      assertEquals(await rowsOf("select 1, 1+1, 'x' as s, 7 div 2, null"), [[
        "1",
        "2",
        "x",
        "3",
        null,
      ]]);
      assertEquals(await rowsOf("select 1 limit 0"), []);
      assertEquals(await rowsOf("show warnings"), []);
      assertEquals(await okOf("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"), [0, 0]);
      assertEquals(await okOf("set autocommit=1, @@session.sql_mode = ''"), [0, 0]);
      assertEquals(await okOf("rollback"), [0, 0]);
      const status = await rowsOf("show global status");
      assertEquals(status.length, 23);
      assertEquals(status[0], ["flag", "global"]);
      assert(Number(status.find((r) => r[0] === "backend_online")?.[1]) >= 1);
      assertEquals((await rowsOf("show session status")).map((r) => r[0]), [
        "flag",
        "id",
        "user_online",
        "server_online",
        "messages",
      ]);
      // docs/protocol/cometql.md §12.3: only FILESYSTEM starts with a `flag` row; scripts read the others by position.
      assertEquals((await rowsOf("show avg status")).map((r) => r[0]), [
        "load_avg_1",
        "load_avg_2",
        "load_avg_3",
        "running_processes",
        "total_processes",
      ]);
      assertEquals((await rowsOf("show uptime status")).map((r) => r[0]), ["os_uptime", "os_idle"]);
      assertEquals((await rowsOf("show ram status"))[0][0], "MemTotal");
      assertEquals((await rowsOf("show filesystem status"))[0][0], "flag");
      assertEquals((await rowsOf("show processlist")).map((r) => r[0]), ["cometql", "ws"]);
    });
  } finally {
    c.close();
    await server.stop();
  }
});
