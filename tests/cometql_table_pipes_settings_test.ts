/**
 * The pipes_settings table (docs/protocol/cometql.md §7.4) and the pipe history it bounds, read and
 * cleared through pipes_messages SELECT and DELETE (§7.1).
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("pipes_settings + pipes_messages history: SELECT, LIMIT, DELETE", () =>
  withCometqlSession(async ({ node, okOf, rowsOf, errOf }) => {
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
  }));
