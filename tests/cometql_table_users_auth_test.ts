/**
 * The users_auth table (docs/protocol/cometql.md §7.7) with an authenticated browser, and the
 * users_time table it feeds (§7.6); the browser is stood in for by a fake subscriber attached to
 * the core with the hash the backend stored.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

Deno.test("users_auth and users_time with an authenticated browser", () =>
  withCometqlSession(async ({ node, okOf, rowsOf, errOf }) => {
    assertEquals(await okOf("insert into users_auth (id, hash) values (12, 'secretHash12')"), [
      1,
      12,
    ]);
    assertEquals(await rowsOf("select * from users_auth where id in (12, 13, 0)"), [[
      "12",
      "secretHash12",
    ]]);
    const browser = fakeSubscriber(0);
    await node.attach(browser, "secretHash12", 12);
    assertEquals(browser.userId, 12);
    assertEquals(await rowsOf("select * from users_time where id in (12, 8)"), [["12", "0"], [
      "8",
      "-1",
    ]]);
    // docs/protocol/cometql.md §7.6: key values ≥ 0, so 0 gets a row; a negative one is skipped,
    // not refused.
    assertEquals(await rowsOf("select id from users_time where id in (-1, 0)"), [["0"]]);
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
  }));

Deno.test("users_auth validation (docs/protocol/cometql.md §7.7)", () =>
  withCometqlSession(async ({ errOf }) => {
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
  }));
