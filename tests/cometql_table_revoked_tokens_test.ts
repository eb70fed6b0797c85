/** The revoked_tokens table (docs/protocol/cometql.md §7.9): the JWTs a backend has revoked. */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("revoked_tokens: insert, list, select by token, delete", () =>
  withCometqlSession(async ({ okOf, rowsOf, errOf }) => {
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
  }));
