/**
 * The recovery window conformance suite against Redis (a private redis-server), and what only
 * this driver does: the publication that carries the position to every node, the publisher
 * included, in the same command.
 */
import assert from "node:assert/strict";
import { pipeTopic } from "../src/cluster/broker.ts";
import { ClusterUnavailableError } from "../src/cluster/cluster_error.ts";
import { RedisBroker } from "../src/cluster/redis_broker.ts";
import { DEFAULT_REDIS_SETTINGS } from "../src/cluster/redis_connection.ts";
import { RedisRecoveryWindow } from "../src/cluster/redis_recovery_window.ts";
import { decodeClusterMessage, encodeUnpositioned } from "../src/core/cluster_messages.ts";
import { Logger } from "../src/log.ts";
import { waitUntil } from "./broker_conformance.ts";
import { startRedis, type TestRedis } from "./helpers/redis_server.ts";
import {
  recoveryWindowConformance,
  type WindowLimitsUnderTest,
} from "./recovery_window_conformance.ts";

const quiet = new Logger(0, {}, () => {});
const RUN = crypto.randomUUID().slice(0, 8);

async function redisWindow(redis: TestRedis, limits: WindowLimitsUnderTest) {
  let now = 1000;
  const prefix = `rw${RUN}:`;
  const broker = new RedisBroker({ ...DEFAULT_REDIS_SETTINGS, url: redis.url, prefix }, quiet);
  const received: string[] = [];
  await broker.start({ message: (p) => received.push(p), reconnected: () => {} });
  const window = new RedisRecoveryWindow(
    broker,
    prefix,
    { ...limits, positionTtlSeconds: 3600 },
    () => now,
  );
  return {
    broker,
    window,
    received,
    advance: (s: number) => now += s,
    publish: (devId: number, pipe: string, body: string, extra: {
      event?: string;
      userId?: number;
      fromBrowser?: boolean;
    } = {}) => {
      const event = extra.event ?? "e";
      const head = extra.fromBrowser
        ? encodeUnpositioned({
          kind: "web",
          devId,
          pipe,
          event,
          body,
          userId: extra.userId ?? 0,
          time: now,
        })
        : encodeUnpositioned({ kind: "pipe", devId, pipe, event, message: body, time: now });
      return window.publish(devId, pipe, pipeTopic(devId, pipe), head);
    },
  };
}

recoveryWindowConformance("redis", async (limits) => {
  const redis = await startRedis();
  const w = await redisWindow(redis, limits);
  return {
    append: async (devId, pipe, body, extra) => (await w.publish(devId, pipe, body, extra)).at,
    since: (devId, pipe, from) => w.window.since(devId, pipe, from),
    advance: w.advance,
    loseStreams: async () => {
      await redis.stop();
      await redis.start();
      await waitUntil("the broker back", () => w.broker.isAvailable(), 10_000);
    },
    close: async () => {
      await w.broker.close();
      await redis.close();
    },
  };
});

Deno.test("redis window: the publication carries the position, to the publisher too", async () => {
  const redis = await startRedis();
  const w = await redisWindow(redis, { windowMessages: 10, windowSeconds: 120 });
  try {
    const topic = pipeTopic(3, "web_a");
    await w.broker.subscribe(topic);
    const { at, receivers } = await w.publish(3, "web_a", "hello");
    assert.equal(receivers, 0, "no other node listens");
    await waitUntil("its own publication", () => w.received.length === 1);
    const m = decodeClusterMessage(w.received[0]);
    assert.equal(m?.kind, "pipe");
    assert.deepEqual(m?.kind === "pipe" && [m.message, m.at], ["hello", at]);
  } finally {
    await w.broker.close();
    await redis.close();
  }
});

Deno.test("redis window: with Redis down a publish and a read fail clearly, nothing kept", async () => {
  const redis = await startRedis();
  const w = await redisWindow(redis, { windowMessages: 10, windowSeconds: 120 });
  try {
    const { at } = await w.publish(0, "web_a", "kept");
    await redis.stop();
    await waitUntil("the link down", () => !w.broker.isAvailable());
    await assert.rejects(w.publish(0, "web_a", "lost"), ClusterUnavailableError);
    await assert.rejects(w.window.since(0, "web_a", at), ClusterUnavailableError);
  } finally {
    await w.broker.close();
    await redis.close();
  }
});

Deno.test("redis window: concurrent publishes share script calls and keep their order", async () => {
  const redis = await startRedis();
  const w = await redisWindow(redis, { windowMessages: 1000, windowSeconds: 120 });
  try {
    const calls = async () => {
      const stats = await w.broker.publisher.info("commandstats");
      const counts = [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)];
      return counts.reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await calls();
    const published = await Promise.all(
      Array.from({ length: 200 }, (_, i) => w.publish(0, i % 2 ? "a" : "b", `m${i}`)),
    );
    const used = (await calls()) - before;
    // 4 leave alone (maxInFlight), the other 196 wait and leave together; the first call may
    // be sent twice (EVALSHA, then EVAL when Redis did not have the script yet).
    assert.ok(used >= 5 && used <= 6, `${used} script calls for 200 publishes`);
    // Per pipe, offsets in the order the publishes were made.
    for (const parity of [0, 1]) {
      const offsets = published.filter((_, i) => i % 2 === parity).map((p) => p.at.offset);
      assert.deepEqual(offsets, Array.from({ length: 100 }, (_, i) => i + 1));
    }
    const kept = await w.window.since(0, "a", { ...published[1].at, offset: 0 });
    assert.equal(kept.kind, "recovered");
    assert.deepEqual(
      kept.kind === "recovered" && kept.entries.map((e) => e.message),
      Array.from({ length: 100 }, (_, i) => `m${2 * i + 1}`),
    );
  } finally {
    await w.broker.close();
    await redis.close();
  }
});
