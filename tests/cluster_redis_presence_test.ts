/** The Presence conformance suite against Redis (a private redis-server), and its faults. */
import assert from "node:assert/strict";
import { DEFAULT_REDIS_SETTINGS, type RedisSettings } from "../src/cluster/redis_connection.ts";
import { RedisPresence } from "../src/cluster/redis_presence.ts";
import { Logger } from "../src/log.ts";
import { waitUntil } from "./broker_conformance.ts";
import { startRedis } from "./helpers/redis_server.ts";
import { waitFor } from "./helpers/wait_for.ts";
import { presenceConformance, TestNode } from "./presence_conformance.ts";

const quiet = new Logger(0, {}, () => {});
/** One prefix per run of this file: runs sharing a machine (and a reused port) stay apart. */
const FAST: Omit<RedisSettings, "url"> = {
  ...DEFAULT_REDIS_SETTINGS,
  prefix: `test${crypto.randomUUID().slice(0, 8)}:`,
};

presenceConformance("redis", async () => {
  const redis = await startRedis();
  return {
    presence: () => new RedisPresence({ ...FAST, url: redis.url }, quiet),
    shared: true,
    destroy: () => redis.close(),
  };
});

Deno.test("redis presence: Redis restarted → every node writes its state again", async () => {
  const redis = await startRedis();
  const settings = { ...FAST, url: redis.url, heartbeatMs: 100, nodeTtlMs: 500 };
  const a = await new TestNode(new RedisPresence(settings, quiet)).start();
  const b = await new TestNode(new RedisPresence(settings, quiet)).start();
  try {
    let id = 1_000_000;
    const sub = (userId: number) => ({
      id: id++,
      devId: 0,
      userId,
      uuid: "u",
      format: 2,
      userAgent: "",
      ip: "",
      origin: "",
      language: "",
      pipes: new Set<string>(),
      send: () => true,
      sendConfirmed: () => Promise.resolve(true),
      drop: () => {},
    });
    const s = sub(3);
    b.subscribe(s, "web_back");
    await b.connect(s);
    await waitUntil("registered", () => b.presence.size().entries === 2);
    await redis.stop();
    await redis.start();
    await waitFor(
      // Throws until a has reconnected too.
      () => a.presence.subscriberCount(0, "web_back").then((n) => n === 1, () => false),
      "a counts b's subscriber again",
      5000,
      20,
    );
    assert.equal(await a.presence.subscriberCount(0, "web_back"), 1);
    assert.equal(await a.presence.isOnline(0, 3), true);
  } finally {
    await a.presence.close();
    await b.presence.close();
    await redis.close();
  }
});

Deno.test("redis presence: a node that stops heartbeating leaves the node list at its expiry, not at the next heartbeat", async () => {
  const redis = await startRedis();
  // A reads the list rarely; B's registration is short. Only the expiry read along with the
  // list can drop B on time.
  const a = await new TestNode(
    new RedisPresence({ ...FAST, url: redis.url, heartbeatMs: 1500, nodeTtlMs: 6000 }, quiet),
    "a",
  ).start();
  const bPresence = new RedisPresence(
    { ...FAST, url: redis.url, heartbeatMs: 100, nodeTtlMs: 400 },
    quiet,
  );
  await new TestNode(bPresence, "b").start();
  try {
    await waitUntil("A lists B", () => a.presence.nodes().length === 2, 5000);
    // B "dies": no heartbeat, no clean removal (what a SIGKILL leaves behind).
    // deno-lint-ignore no-explicit-any
    const b = bPresence as any;
    clearInterval(b.heartbeat);
    b.redis.disconnect();
    const died = Date.now();
    await waitUntil("B dropped", () => a.presence.nodes().length === 1, 2000);
    const took = Date.now() - died;
    assert.ok(took <= 400 + 100, `dropped ${took} ms after its last heartbeat`);
    assert.deepEqual(a.presence.nodes().map((n) => [n.name, n.self]), [["a", true]]);
  } finally {
    await a.presence.close();
    await redis.close();
  }
});
