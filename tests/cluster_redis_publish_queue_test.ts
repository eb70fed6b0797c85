/**
 * How the shared window's publishes are batched (src/cluster/redis_publish_queue.ts), with a
 * stand-in for the Redis call: alone while few calls are in flight, together (in order) once
 * they wait; a failed call fails its batch only; waiting is bounded.
 */
import assert from "node:assert/strict";
import {
  type QueuedPublish,
  RedisPublishQueue,
  type SendBatch,
} from "../src/cluster/redis_publish_queue.ts";

/** A Redis stand-in: records each call and answers it when the test says so. */
function fakeRedis() {
  const calls: { keys: string[]; args: string[]; answer(): void; fail(e: Error): void }[] = [];
  let offset = 0;
  const send: SendBatch = (keys, args) =>
    new Promise((resolve, reject) => {
      calls.push({
        keys,
        args,
        answer: () => resolve(args.flatMap((_, i) => i % 2 === 0 ? ["ep", ++offset, 1] : [])),
        fail: reject,
      });
    });
  return { calls, send };
}

const publish = (n: number): QueuedPublish => ({
  metaKey: `w:${n}`,
  listKey: `wl:${n}`,
  head: `m${n}`,
  channel: `c${n}`,
});

/** Lets promise reactions (the queue's, after a reply) run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("publish queue: below maxInFlight a publish leaves at once, alone", () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send, 2);
  queue.publish(publish(1));
  queue.publish(publish(2));
  assert.deepEqual(redis.calls.map((c) => c.args), [["m1", "c1"], ["m2", "c2"]]);
  assert.equal(queue.queued, 0);
});

Deno.test("publish queue: at maxInFlight publishes wait; a reply sends them in one call, in order", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send, 1);
  const first = queue.publish(publish(1));
  const later = [2, 3, 4].map((n) => queue.publish(publish(n)));
  assert.equal(redis.calls.length, 1, "one call in flight at most");
  assert.equal(queue.queued, 3);
  redis.calls[0].answer();
  assert.deepEqual(await first, { epoch: "ep", offset: 1, receivers: 1 });
  await settle();
  assert.equal(redis.calls.length, 2, "the waiting ones leave together");
  assert.deepEqual(redis.calls[1].keys, ["w:2", "wl:2", "w:3", "wl:3", "w:4", "wl:4"]);
  assert.deepEqual(redis.calls[1].args, ["m2", "c2", "m3", "c3", "m4", "c4"]);
  redis.calls[1].answer();
  assert.deepEqual((await Promise.all(later)).map((p) => p.offset), [2, 3, 4]);
});

Deno.test("publish queue: a batch is at most maxBatch publishes", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send, 1, 2);
  const all = [1, 2, 3, 4, 5, 6].map((n) => queue.publish(publish(n)));
  for (let i = 0; i < 4; i++) {
    redis.calls[i].answer();
    await settle();
  }
  assert.deepEqual(redis.calls.map((c) => c.args.length / 2), [1, 2, 2, 1]);
  assert.deepEqual((await Promise.all(all)).map((p) => p.offset), [1, 2, 3, 4, 5, 6]);
});

Deno.test("publish queue: a failed call fails its whole batch, the next batch still goes", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send, 1);
  const first = queue.publish(publish(1));
  const batch = [2, 3].map((n) => queue.publish(publish(n)));
  redis.calls[0].answer();
  await first;
  await settle();
  redis.calls[1].fail(new Error("Command timed out"));
  for (const p of batch) await assert.rejects(p, /timed out/);
  await settle();
  const next = queue.publish(publish(4));
  assert.equal(redis.calls.length, 3, "sent at once: nothing in flight");
  redis.calls[2].answer();
  assert.equal((await next).offset, 2);
});

Deno.test("publish queue: past maxWaiting a publish fails at once", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send, 1, 256, 2);
  const sent = queue.publish(publish(1)); // in flight, not waiting
  const waiting = [2, 3].map((n) => queue.publish(publish(n)));
  await assert.rejects(queue.publish(publish(4)), /2 publishes already wait for Redis/);
  assert.equal(redis.calls.length, 1);
  redis.calls[0].answer();
  await sent;
  await settle();
  redis.calls[1].answer();
  assert.deepEqual((await Promise.all(waiting)).map((p) => p.offset), [2, 3]);
});
