/**
 * Error codes that are not one table's validation (docs/protocol/cometql.md §5, §7.10, §8): the
 * video-call tables that are not ready, an unknown table, and the generic rules on columns, WHERE
 * and ORDER BY every table shares. Each table's own validation texts are in its
 * cometql_table_*_test.ts.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

Deno.test("video-call tables answer clearly; dialogs does not exist", () =>
  withCometqlSession(async ({ errOf }) => {
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
  }));

Deno.test(
  "generic rules: columns, WHERE, ORDER BY, unknown tables (docs/protocol/cometql.md §5, §7)",
  () =>
    withCometqlSession(async ({ q, errOf }) => {
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
    }),
);
