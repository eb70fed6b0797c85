/**
 * UserRegistry (src/core/user_registry.ts): a user is online while one connection is registered;
 * the time of leaving is remembered for status requests, for at most a bounded number of offline
 * users, the longest-offline forgotten first.
 */
import { assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";
import { withCoreNode } from "./helpers/core_node.ts";
import { UserRegistry } from "../src/core/user_registry.ts";

Deno.test("online from the first connection to the last; the leaving time is remembered", () => {
  const users = new UserRegistry();
  const a = fakeSubscriber(3, { userId: 7 });
  const b = fakeSubscriber(3, { userId: 7 });
  assertEquals([users.add(a), users.add(b)], [true, false]);
  assertEquals(users.isOnline(3, 7), true);
  assertEquals(users.remove(a, 100), false);
  assertEquals(users.remove(b, 200), true);
  assertEquals([users.isOnline(3, 7), users.lastSeenOf(3, 7)], [false, 200]);
  assertEquals(users.lastSeenOf(4, 7), undefined, "another tenant's user 7 was never seen");
  users.add(fakeSubscriber(3, { userId: 7 }));
  assertEquals([users.lastSeenOf(3, 7), users.lastSeenUsers], [undefined, 0]);
});

Deno.test("past the bound the longest-offline user is forgotten, not one who left later", () => {
  const users = new UserRegistry(3);
  const leave = (userId: number, at: number) => {
    const sub = fakeSubscriber(0, { userId });
    users.add(sub);
    users.remove(sub, at);
  };
  for (let id = 1; id <= 3; id++) leave(id, 100 + id);
  leave(1, 200); // user 1 leaves again: now the latest
  leave(4, 300); // one too many: user 2 left longest ago
  assertEquals(users.lastSeenUsers, 3);
  assertEquals(
    [1, 2, 3, 4].map((id) => users.lastSeenOf(0, id)),
    [200, undefined, 103, 300],
  );
  for (let id = 10; id < 1000; id++) leave(id, 1000 + id);
  assertEquals(users.lastSeenUsers, 3, "a stream of users leaving never grows the map");
});

Deno.test("[limits] last_seen_users_max bounds the node's registry", async () => {
  await withCoreNode(async ({ node }) => {
    for (let id = 1; id <= 5; id++) {
      const sub = fakeSubscriber(0, { userId: id });
      node.users.add(sub);
      node.users.remove(sub, 100 + id);
    }
    assertEquals(node.users.lastSeenUsers, 2);
    assertEquals([node.users.lastSeenOf(0, 3), node.users.lastSeenOf(0, 5)], [undefined, 105]);
    assertEquals(await node.lastOnline(0, 1), -1, "forgotten and never stored: unknown");
  }, "[limits]\nlast_seen_users_max = 2\n");
});
