/**
 * The private redis-server of tests/helpers/redis_server.ts, used through npm ioredis as the
 * server's drivers use it: it answers, stops and comes back on the same port, keeps data across
 * a stop only when persistent, freezes, and leaves nothing behind.
 */
import { Redis } from "ioredis";
import { startRedis } from "./helpers/redis_server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

function client(url: string): Redis {
  // No retries: a stopped server must show as an error here, not as a wait.
  return new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a private Redis answers ioredis, stops, restarts empty on the same port", async () => {
  const redis = await startRedis();
  try {
    assertEquals(redis.url, `redis://127.0.0.1:${redis.port}`);
    const a = client(redis.url);
    await a.connect();
    await a.set("k", "v");
    assertEquals(await a.get("k"), "v");
    a.disconnect();

    await redis.stop();
    assert.ok(!redis.isRunning());
    await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port: redis.port }));

    await redis.start();
    assert.ok(redis.isRunning());
    const b = client(redis.url);
    await b.connect();
    assertEquals(await b.get("k"), null, "no persistence: a restarted Redis is empty");
    b.disconnect();
  } finally {
    await redis.close();
  }
  assert.ok(!(await exists(redis.dir)), "close() deletes the directory");
});

Deno.test("a persistent Redis keeps acknowledged writes across a crash", async () => {
  const redis = await startRedis({ persistent: true });
  try {
    const a = client(redis.url);
    await a.connect();
    await a.set("k", "kept");
    a.disconnect();
    await redis.stop();
    await redis.start();
    const b = client(redis.url);
    await b.connect();
    assertEquals(await b.get("k"), "kept");
    b.disconnect();
  } finally {
    await redis.close();
  }
});

Deno.test("a frozen Redis holds the connection but answers nothing until thawed", async () => {
  const redis = await startRedis();
  const c = new Redis(redis.url, { commandTimeout: 300, maxRetriesPerRequest: 0 });
  try {
    assertEquals(await c.ping(), "PONG");
    redis.freeze();
    await assert.rejects(() => c.ping(), /timed out/i);
    redis.thaw();
    assertEquals(await c.ping(), "PONG");
  } finally {
    c.disconnect();
    await redis.close();
  }
});
