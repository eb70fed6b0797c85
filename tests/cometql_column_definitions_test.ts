/**
 * The column length in a result set's column definitions (docs/protocol/cometql.md §2.6): the
 * stored column's size in bytes, since clients size their result buffers by it.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

Deno.test("column definitions carry the stored column's size in bytes", () =>
  withCometqlSession(async ({ q, okOf }) => {
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
  }));
