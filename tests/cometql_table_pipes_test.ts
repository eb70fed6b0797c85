/**
 * The read-only tables of live subscribers, pipes and users_in_pipes (docs/protocol/cometql.md
 * §7.2, §7.3), with browsers stood in for by fake subscribers registered with the core.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

Deno.test("pipes and users_in_pipes list live subscribers; both are read-only", () =>
  withCometqlSession(async ({ node, rowsOf, errOf }) => {
    const a = fakeSubscriber(0);
    const b = fakeSubscriber(0, { uuid: "second" });
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
  }));
