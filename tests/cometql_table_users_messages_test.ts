/**
 * The users_messages table (docs/protocol/cometql.md §7.5): a private message to a user who is
 * online is delivered, not queued; to one who is offline it is queued until read or deleted. The
 * online user is a fake subscriber attached to the core with a hash stored through users_auth.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

Deno.test("users_messages: delivered to an online user, queued for an offline one", () =>
  withCometqlSession(async ({ node, okOf, rowsOf }) => {
    assertEquals(await okOf("insert into users_auth (id, hash) values (12, 'secretHash12')"), [
      1,
      12,
    ]);
    const browser = fakeSubscriber(0);
    await node.attach(browser, "secretHash12", 12);
    assertEquals(browser.userId, 12);
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
    node.detach(browser);
  }));

Deno.test("users_messages validation (docs/protocol/cometql.md §7.5)", () =>
  withCometqlSession(async ({ errOf }) => {
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
  }));
