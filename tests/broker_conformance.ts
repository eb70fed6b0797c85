/**
 * One conformance suite for every Broker driver (issue 12): each driver's test file calls
 * `brokerConformance` with a factory of nodes sharing one backend (an in-process hub, one
 * Redis), and the same cases run against each.
 */
import assert from "node:assert/strict";
import type { Broker } from "../src/cluster/broker.ts";
import { CONTROL_TOPIC, pipeTopic, userTopic } from "../src/cluster/broker.ts";

export interface BrokerBackend {
  /** A new, unstarted node on the shared backend. */
  node(): Broker;
  destroy(): Promise<void>;
}

/** A started node and what it received, in order. */
export interface NodeUnderTest {
  broker: Broker;
  received: string[];
  reconnects: number;
}

export async function startNode(backend: BrokerBackend): Promise<NodeUnderTest> {
  const n: NodeUnderTest = { broker: backend.node(), received: [], reconnects: 0 };
  await n.broker.start({
    message: (payload) => n.received.push(payload),
    reconnected: () => n.reconnects++,
  });
  return n;
}

export async function waitUntil(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const AWKWARD = ["", 'it\'s "quoted" \\ \0 nul', "emoji 😀 Привет 你好", "x".repeat(100_000)];

export function brokerConformance(name: string, make: () => Promise<BrokerBackend>): void {
  const test = (title: string, body: (start: () => Promise<NodeUnderTest>) => Promise<void>) =>
    Deno.test(`${name} broker: ${title}`, async () => {
      const backend = await make();
      const nodes: NodeUnderTest[] = [];
      try {
        await body(async () => {
          const n = await startNode(backend);
          nodes.push(n);
          return n;
        });
      } finally {
        for (const n of nodes) await n.broker.close();
        await backend.destroy();
      }
    });

  test("a publish reaches every other subscribed node once, never the publisher", async (start) => {
    const [a, b, c, d] = [await start(), await start(), await start(), await start()];
    assert.equal(a.broker.shared, true);
    const topic = pipeTopic(0, "web_room");
    await a.broker.subscribe(topic);
    await b.broker.subscribe(topic);
    await c.broker.subscribe(topic);
    assert.equal(await a.broker.publish(topic, "hello"), 2, "b and c");
    await waitUntil("b and c", () => b.received.length === 1 && c.received.length === 1);
    // Proves that no copy arrives (at a, d, or twice): there is no event to wait for.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([a.received, b.received, c.received, d.received], [
      [],
      ["hello"],
      ["hello"],
      [],
    ]);
    assert.equal(await d.broker.publish(topic, "from d"), 3);
    await waitUntil("a, b, c", () => a.received.length === 1 && c.received.length === 2);
  });

  test("topics are separate: pipes, users, tenants and the control topic", async (start) => {
    const [a, b] = [await start(), await start()];
    await b.broker.subscribe(pipeTopic(1, "web_x"));
    await b.broker.subscribe(userTopic(1, 5));
    await b.broker.subscribe(CONTROL_TOPIC);
    assert.equal(await a.broker.publish(pipeTopic(2, "web_x"), "other tenant"), 0);
    assert.equal(await a.broker.publish(userTopic(1, 6), "other user"), 0);
    assert.equal(await a.broker.publish(pipeTopic(1, "web_x"), "pipe"), 1);
    assert.equal(await a.broker.publish(userTopic(1, 5), "user"), 1);
    assert.equal(await a.broker.publish(CONTROL_TOPIC, "control"), 1);
    await waitUntil("three messages", () => b.received.length === 3);
    assert.deepEqual(b.received, ["pipe", "user", "control"]);
  });

  test("subscriptions are counted; after the last unsubscribe nothing arrives", async (start) => {
    const [a, b] = [await start(), await start()];
    const topic = pipeTopic(0, "web_count");
    await b.broker.subscribe(topic);
    await b.broker.subscribe(topic);
    b.broker.unsubscribe(topic);
    assert.equal(await a.broker.publish(topic, "still"), 1);
    await waitUntil("still", () => b.received.length === 1);
    b.broker.unsubscribe(topic);
    // The unsubscribe is in effect once a later subscribe on another topic answered.
    await b.broker.subscribe(pipeTopic(0, "web_other"));
    assert.equal(await a.broker.publish(topic, "gone"), 0);
    // Proves that nothing more arrives: there is no event to wait for.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(b.received, ["still"]);
  });

  test("one publisher's messages arrive in publish order, texts exact", async (start) => {
    const [a, b] = [await start(), await start()];
    const topic = pipeTopic(0, "web_order");
    await b.broker.subscribe(topic);
    const sent: string[] = [...AWKWARD];
    for (let i = 0; i < 2000; i++) sent.push(`m${i}`);
    await Promise.all(sent.map((m) => a.broker.publish(topic, m)));
    await waitUntil("all messages", () => b.received.length === sent.length);
    assert.deepEqual(b.received, sent);
  });

  test("a closed node receives nothing and is not counted", async (start) => {
    const [a, b] = [await start(), await start()];
    const topic = pipeTopic(0, "web_closed");
    await b.broker.subscribe(topic);
    await b.broker.close();
    assert.equal(await a.broker.publish(topic, "after close"), 0);
    // Proves that nothing arrives: there is no event to wait for.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(b.received, []);
  });
}
