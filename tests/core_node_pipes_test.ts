/**
 * Pipes through the core's facade, without sockets (docs/protocol/websocket.md §3, §4;
 * docs/protocol/cometql.md §7.1): subscriptions per tenant, fan-out from CometQL and from a
 * browser, `track_*` announcements and history written behind the publish.
 */
import { assertEquals } from "./helpers/assert.ts";
import { withCoreNode } from "./helpers/core_node.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

Deno.test("publish reaches the pipe's subscribers of that tenant only", () =>
  withCoreNode(({ node }) => {
    const a = fakeSubscriber(0);
    const b = fakeSubscriber(0);
    const otherPipe = fakeSubscriber(0);
    const otherTenant = fakeSubscriber(1);
    node.setSubscriptions(a, ["news"]);
    node.setSubscriptions(b, ["news", "sport"]);
    node.setSubscriptions(otherPipe, ["sport"]);
    node.setSubscriptions(otherTenant, ["news"]);
    assertEquals(node.publish(0, "news", "add", "hello"), 2);
    for (const sub of [a, b]) {
      assertEquals(sub.received.map((m) => [m.pipe, m.event, m.data]), [["news", "add", "hello"]]);
    }
    assertEquals(otherPipe.received, []);
    assertEquals(otherTenant.received, []);
    assertEquals(node.publish(0, "nobody", "e", "x"), 0);
    return Promise.resolve();
  }));

Deno.test("subscriber counts and lists follow setSubscriptions; newest first", () =>
  withCoreNode(({ node }) => {
    const first = fakeSubscriber(0);
    const second = fakeSubscriber(0);
    node.setSubscriptions(first, ["a", "b"]);
    node.setSubscriptions(second, ["a"]);
    assertEquals(node.countSubscribers(0, "a"), 2);
    assertEquals(node.subscribersOf(0, "a"), [second, first]);
    assertEquals(node.countSubscribers(1, "a"), 0, "counts are per tenant");
    // The list replaces the previous one.
    node.setSubscriptions(first, ["b", "c"]);
    assertEquals([...first.pipes].sort(), ["b", "c"]);
    assertEquals(node.countSubscribers(0, "a"), 1);
    // Subscribing twice counts once.
    node.setSubscriptions(second, ["a", "a"]);
    assertEquals(node.countSubscribers(0, "a"), 1);
    node.detach(first);
    node.detach(second);
    assertEquals([node.countSubscribers(0, "a"), node.countSubscribers(0, "b")], [0, 0]);
    return Promise.resolve();
  }));

Deno.test("a closed connection is not counted as delivered", () =>
  withCoreNode(({ node }) => {
    const open = fakeSubscriber(0);
    const closed = fakeSubscriber(0);
    closed.accepting = false;
    node.setSubscriptions(open, ["news"]);
    node.setSubscriptions(closed, ["news"]);
    assertEquals(node.publish(0, "news", "e", "x"), 1);
    return Promise.resolve();
  }));

Deno.test("a browser's web_pipe2 reaches everyone but the sender, with its user id", () =>
  withCoreNode(async ({ node }) => {
    const sender = fakeSubscriber(0, { userId: 7 });
    const other = fakeSubscriber(0);
    node.setSubscriptions(sender, ["web_chat"]);
    node.setSubscriptions(other, ["web_chat"]);
    assertEquals(
      (await node.publishFromBrowser(sender, "web_chat", "say", "hi", false)).delivered,
      1,
    );
    assertEquals(sender.received, []);
    assertEquals(other.received.length, 1);
    assertEquals([other.received[0].pipe, other.received[0].user_id], ["web_chat", 7]);
    node.publishFromBrowser(sender, "web_chat", "say", "anon", true);
    assertEquals(other.received[1].user_id, 0, "anonymous sends hide the user id");
    return Promise.resolve();
  }));

Deno.test("track_ pipes announce subscription and unsubscription to the others", () =>
  withCoreNode(({ node }) => {
    const watcher = fakeSubscriber(0);
    const joiner = fakeSubscriber(0, { userId: 3, uuid: "tab-1" });
    node.setSubscriptions(watcher, ["track_room"]);
    node.setSubscriptions(joiner, ["track_room"]);
    // Resending the same list is silent.
    node.setSubscriptions(joiner, ["track_room"]);
    node.detach(joiner);
    assertEquals(watcher.received.map((m) => [m.event, m.data]), [
      ["subscription", { user_id: 3, uuid: "tab-1" }],
      ["unsubscription", { user_id: 3, uuid: "tab-1" }],
    ]);
    assertEquals(joiner.received, [], "the subscriber itself hears nothing");
    return Promise.resolve();
  }));

Deno.test("history of a pipe with a length is readable after publish; deletable", () =>
  withCoreNode(async ({ node }) => {
    await node.setPipeLength(0, "news", 10);
    assertEquals(node.pipeLength(0, "news"), 10);
    node.publish(0, "news", "add", "one");
    node.publish(0, "news", "add", "two");
    const rows = await node.readHistory(0, "news");
    assertEquals(rows.map((r) => [r.event, r.message]), [["add", "one"], ["add", "two"]]);
    await node.deleteHistoryMessage(0, rows[0].id);
    assertEquals((await node.readHistory(0, "news")).map((r) => r.message), ["two"]);
    await node.deleteHistory(0, "news");
    assertEquals(await node.readHistory(0, "news"), []);
    await node.deletePipeSettings(0, "news");
    assertEquals(node.pipeLength(0, "news"), undefined);
  }));
