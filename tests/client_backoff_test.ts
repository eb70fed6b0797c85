/**
 * Reconnect delays of the browser client: exponential, full jitter, capped.
 */
import assert from "node:assert/strict";
import { reconnectDelay } from "../client/src/reconnect_backoff.ts";

const policy = { baseMs: 1000, maxMs: 30_000 };

Deno.test("backoff: the ceiling doubles per attempt up to the cap", () => {
  const top = () => 0.999999;
  assert.equal(reconnectDelay(0, policy, top), 999);
  assert.equal(reconnectDelay(1, policy, top), 1999);
  assert.equal(reconnectDelay(3, policy, top), 7999);
  assert.equal(reconnectDelay(5, policy, top), 29_999);
  assert.equal(reconnectDelay(50, policy, top), 29_999);
});

Deno.test("backoff: full jitter spreads attempts, never below 100 ms", () => {
  assert.equal(reconnectDelay(4, policy, () => 0), 100);
  assert.equal(reconnectDelay(4, policy, () => 0.5), 8000);
  const samples = Array.from({ length: 200 }, () => reconnectDelay(4, policy));
  assert.ok(samples.every((d) => d >= 100 && d <= 16_000));
  assert.ok(new Set(samples).size > 50);
});
