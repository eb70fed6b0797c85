/** The users_data table (docs/protocol/cometql.md §7.8): text per user, kept apart per tenant. */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { RawMysqlClient } from "./helpers/sql_clients.ts";

Deno.test("users_data stores text per user and tenant", () =>
  withCometqlSession(async ({ server, okOf, rowsOf, errOf }) => {
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
  }));
