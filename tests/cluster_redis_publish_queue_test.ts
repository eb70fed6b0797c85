/**
 * How the shared window's publishes are batched (src/cluster/redis_publish_queue.ts), with a
 * stand-in for the Redis call: the publishes of one turn leave together, in order, without
 * waiting for an earlier call's reply; a failed call fails its batch only.
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

/** Lets the queue's microtask run (and nothing that waits for a macrotask). */
const endOfTurn = () => Promise.resolve();

Deno.test("publish queue: the publishes of one turn leave in one call, in order", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send);
  const batch = [1, 2, 3].map((n) => queue.publish(publish(n)));
  assert.equal(redis.calls.length, 0, "not before the turn's work is done");
  await endOfTurn();
  assert.equal(redis.calls.length, 1);
  assert.deepEqual(redis.calls[0].keys, ["w:1", "wl:1", "w:2", "wl:2", "w:3", "wl:3"]);
  assert.deepEqual(redis.calls[0].args, ["m1", "c1", "m2", "c2", "m3", "c3"]);
  redis.calls[0].answer();
  assert.deepEqual(
    await Promise.all(batch),
    [1, 2, 3].map((offset) => ({
      epoch: "ep",
      offset,
      receivers: 1,
    })),
  );
});

Deno.test("publish queue: a later turn does not wait for the reply to an earlier call", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send);
  const first = queue.publish(publish(1));
  await endOfTurn();
  const second = queue.publish(publish(2));
  await endOfTurn();
  assert.equal(redis.calls.length, 2, "two calls in flight");
  assert.deepEqual(redis.calls.map((c) => c.args), [["m1", "c1"], ["m2", "c2"]]);
  redis.calls[0].answer();
  redis.calls[1].answer();
  assert.deepEqual([(await first).offset, (await second).offset], [1, 2]);
});

Deno.test("publish queue: a batch is at most maxBatch publishes", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send, 2);
  const all = [1, 2, 3, 4, 5].map((n) => queue.publish(publish(n)));
  await endOfTurn();
  assert.deepEqual(redis.calls.map((c) => c.args.length / 2), [2, 2, 1]);
  for (const call of redis.calls) call.answer();
  assert.deepEqual((await Promise.all(all)).map((p) => p.offset), [1, 2, 3, 4, 5]);
});

Deno.test("publish queue: a failed call fails its whole batch and nothing else", async () => {
  const redis = fakeRedis();
  const queue = new RedisPublishQueue(redis.send);
  const failed = [1, 2].map((n) => queue.publish(publish(n)));
  await endOfTurn();
  const next = queue.publish(publish(3));
  await endOfTurn();
  redis.calls[0].fail(new Error("Command timed out"));
  for (const p of failed) await assert.rejects(p, /timed out/);
  redis.calls[1].answer();
  assert.equal((await next).offset, 1);
});
