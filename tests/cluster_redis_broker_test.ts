/** The Broker conformance suite against Redis (a private redis-server), and its faults. */
import assert from "node:assert/strict";
import { ClusterUnavailableError } from "../src/cluster/cluster_error.ts";
import { pipeTopic } from "../src/cluster/broker.ts";
import { RedisBroker } from "../src/cluster/redis_broker.ts";
import { DEFAULT_REDIS_SETTINGS } from "../src/cluster/redis_connection.ts";
import { Logger } from "../src/log.ts";
import { brokerConformance, startNode, waitUntil } from "./broker_conformance.ts";
import { startRedis, type TestRedis } from "./helpers/redis_server.ts";

const quiet = new Logger(0, {}, () => {});

/** One prefix per run of this file: runs sharing a machine (and a reused port) stay apart. */
const RUN = crypto.randomUUID().slice(0, 8);

function redisBroker(redis: TestRedis, prefix = `test${RUN}:`): RedisBroker {
  return new RedisBroker({ ...DEFAULT_REDIS_SETTINGS, url: redis.url, prefix }, quiet);
}

brokerConformance("redis", async () => {
  const redis = await startRedis();
  return { node: () => redisBroker(redis), destroy: () => redis.close() };
});

Deno.test("redis broker: key prefixes keep two deployments on one Redis apart", async () => {
  const redis = await startRedis();
  const a = await startNode({
    node: () => redisBroker(redis, `one${RUN}:`),
    destroy: () => redis.close(),
  });
  const b = await startNode({
    node: () => redisBroker(redis, `two${RUN}:`),
    destroy: () => redis.close(),
  });
  try {
    await b.broker.subscribe(pipeTopic(0, "web_x"));
    assert.equal(await a.broker.publish(pipeTopic(0, "web_x"), "m"), 0);
  } finally {
    await a.broker.close();
    await b.broker.close();
    await redis.close();
  }
});

Deno.test("redis broker: Redis down → publishes refused at once; back → subscriptions restored", async () => {
  const redis = await startRedis();
  const backend = { node: () => redisBroker(redis), destroy: () => redis.close() };
  const a = await startNode(backend);
  const b = await startNode(backend);
  try {
    const topic = pipeTopic(0, "web_fault");
    await b.broker.subscribe(topic);
    await redis.stop();
    await waitUntil("a sees Redis down", () => !a.broker.isAvailable());
    await assert.rejects(a.broker.publish(topic, "lost?"), ClusterUnavailableError);
    await redis.start();
    await waitUntil("both back", () => a.broker.isAvailable() && b.reconnects === 1, 10_000);
    assert.equal(await a.broker.publish(topic, "after restart"), 1);
    await waitUntil("delivered", () => b.received.length === 1);
    assert.deepEqual(b.received, ["after restart"]);
  } finally {
    await a.broker.close();
    await b.broker.close();
    await redis.close();
  }
});
