/**
 * Users through the core's facade, without sockets (docs/protocol/websocket.md §5, §6):
 * authorization on attach, private messages live and queued, the device limit, presence events,
 * last-seen times and kicks on hash deletion or token revocation.
 */
import { SignJWT } from "jose";
import { assert, assertEquals } from "./helpers/assert.ts";
import { withCoreNode } from "./helpers/core_node.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";
import { TEST_PASSWORD } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait_for.ts";

/**
 * Connections per user and node that receive private messages (docs/protocol/websocket.md §5.5).
 */
const MAX_DEVICES_PER_USER = 16;

Deno.test("attach: serverInfo first; a right hash authorizes, anything else is anonymous", () =>
  withCoreNode(async ({ node }) => {
    await node.setAuthHash(0, 5, "good");
    const user = fakeSubscriber(0);
    await node.attach(user, "good", 5);
    assertEquals(user.userId, 5);
    assertEquals(user.received[0].event, "serverInfo");
    assertEquals([user.received[0].authorized, user.received[0].data], [true, "good"]);
    assertEquals(node.authorizedConnections(0), 1);

    const stranger = fakeSubscriber(0);
    await node.attach(stranger, "bad", 5);
    assertEquals(stranger.userId, 0);
    assertEquals([stranger.received[0].authorized, stranger.received[0].data], [false, ""]);
    assertEquals(node.authorizedConnections(0), 1);
    node.detach(user);
    assertEquals(node.authorizedConnections(0), 0);
  }));

Deno.test("a private message reaches every connection of the user, at most 16", () =>
  withCoreNode(async ({ node }) => {
    await node.setAuthHash(0, 8, "h");
    const tabs = Array.from({ length: MAX_DEVICES_PER_USER + 1 }, () => fakeSubscriber(0));
    for (const tab of tabs) await node.attach(tab, "h", 8);
    assertEquals(await node.sendPrivate(0, 8, "ping", "hi"), MAX_DEVICES_PER_USER);
    assertEquals(tabs[0].received.at(-1), { data: "hi", event: "ping", pipe: "msg" });
    assertEquals(tabs.at(-1)!.received.length, 1, "the 17th tab only got serverInfo");
  }));

Deno.test("offline: private messages are queued and delivered on the next attach, in order", () =>
  withCoreNode(async ({ node, storage }) => {
    await node.setAuthHash(0, 9, "h");
    assertEquals(await node.sendPrivate(0, 9, "e", "first"), 0);
    assertEquals(await node.sendPrivate(0, 9, "e", "second"), 0);
    assertEquals((await storage.readQueue(0, 9, 10)).length, 2);
    const tab = fakeSubscriber(0);
    await node.attach(tab, "h", 9);
    assertEquals(tab.received.slice(1).map((m) => [m.data, m.fromQueue]), [
      ["first", true],
      ["second", true],
    ]);
    assertEquals(await storage.readQueue(0, 9, 10), [], "delivered messages leave the queue");
  }));

Deno.test("a queued message the connection did not take stays queued", () =>
  withCoreNode(async ({ node, storage }) => {
    await node.setAuthHash(0, 9, "h");
    await node.sendPrivate(0, 9, "e", "kept");
    const closing = fakeSubscriber(0);
    let sends = 0;
    const send = closing.send;
    // serverInfo goes through, then the connection is gone.
    closing.send = (m) => sends++ === 0 && send(m);
    await node.attach(closing, "h", 9);
    assertEquals((await storage.readQueue(0, 9, 10)).map((m) => m.message), ["kept"]);
  }));

Deno.test("cluster traffic (queue: false) is never queued", () =>
  withCoreNode(async ({ node, storage }) => {
    assertEquals(await node.sendPrivate(0, 4, "e", "x", { queue: false }), 0);
    assertEquals(await storage.readQueue(0, 4, 10), []);
  }));

Deno.test("presence: user_status_ pipes hear online and offline; last seen is kept", () =>
  withCoreNode(async ({ node, storage }) => {
    await node.setAuthHash(0, 11, "h");
    const watcher = fakeSubscriber(0);
    node.setSubscriptions(watcher, ["user_status_11"]);
    assertEquals(await node.lastOnline(0, 11), -1, "never seen");
    const tab1 = fakeSubscriber(0);
    const tab2 = fakeSubscriber(0);
    await node.attach(tab1, "h", 11);
    await node.attach(tab2, "h", 11);
    assertEquals(await node.lastOnline(0, 11), 0, "online");
    node.detach(tab1);
    assertEquals(await node.lastOnline(0, 11), 0, "still one tab");
    const before = Math.floor(Date.now() / 1000);
    node.detach(tab2);
    const seen = await node.lastOnline(0, 11);
    assert(seen >= before && seen <= before + 1, String(seen));
    assertEquals(watcher.received.map((m) => m.event), ["online", "offline"]);
    // users_time is written in the background.
    await waitFor(async () => (await storage.getUserTime(0, 11)) === seen, "users_time stored");
  }));

Deno.test("presence events and last-online times can be switched off", () =>
  withCoreNode(
    async ({ node, storage }) => {
      await node.setAuthHash(0, 11, "h");
      const watcher = fakeSubscriber(0);
      node.setSubscriptions(watcher, ["user_status_11"]);
      const tab = fakeSubscriber(0);
      await node.attach(tab, "h", 11);
      node.detach(tab);
      await node.flush();
      assertEquals(watcher.received, []);
      assertEquals(await storage.getUserTime(0, 11), null);
    },
    "[main]\nsend_user_online_events = false\nsend_user_offline_events = false\n" +
      "save_users_last_online_time = false\n",
  ));

Deno.test("deleting a user's hash drops all their connections", () =>
  withCoreNode(async ({ node }) => {
    await node.setAuthHash(0, 6, "h");
    const tab = fakeSubscriber(0);
    const bystander = fakeSubscriber(0);
    await node.attach(tab, "h", 6);
    await node.attach(bystander, "", 0);
    await node.deleteAuthHash(0, 6);
    assertEquals([tab.dropped, bystander.dropped], [true, false]);
    assertEquals(await node.getAuthHash(0, 6), null);
  }));

Deno.test("revoking a valid JWT drops its user and removes the hash", () =>
  withCoreNode(async ({ node, storage }) => {
    const token = await new SignJWT({ user_id: 14 })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(`${TEST_PASSWORD}0`));
    assertEquals(await node.verifyJwt(0, token, 14), true);
    const tab = fakeSubscriber(0);
    await node.attach(tab, token, 14);
    assertEquals(tab.userId, 14);
    await node.revokeToken(0, token);
    assert(tab.dropped);
    assertEquals(await storage.isTokenRevoked(0, token), true);
    assertEquals(await node.getAuthHash(0, 14), null);
    const again = fakeSubscriber(0);
    await node.attach(again, token, 14);
    assertEquals(again.userId, 0, "the revoked token no longer logs in");
  }));

Deno.test("a connection closed while authorizing is never registered", () =>
  withCoreNode(async ({ node }) => {
    await node.setAuthHash(0, 2, "h");
    const tab = fakeSubscriber(0);
    const attaching = node.attach(tab, "h", 2);
    node.detach(tab);
    await attaching;
    assertEquals(tab.received, []);
    assertEquals(node.authorizedConnections(0), 0);
  }));
