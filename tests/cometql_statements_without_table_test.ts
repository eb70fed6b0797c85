/**
 * The statements that do not touch a table (docs/protocol/cometql.md §6, §12): SHOW, DESCRIBE,
 * SELECT without FROM and @@variables, SET, and the status flags that admin scripts read.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

Deno.test("statements that do not touch a table (docs/protocol/cometql.md §6)", () =>
  withCometqlSession(async ({ okOf, rowsOf, errOf }) => {
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
    // docs/protocol/cometql.md §12.3: only FILESYSTEM starts with a `flag` row; scripts read the
    // others by position.
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
  }));
