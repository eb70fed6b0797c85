import assert from "node:assert/strict";
import { newMessageId } from "../src/core/message_id.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("message ids are version 7 UUIDs carrying their millisecond", () => {
  const later = Date.now() + 10_000_000; // after any id made before in this process
  const id = newMessageId(later);
  assert.match(id, UUID_V7);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), later);
});

Deno.test("message ids made later sort after earlier ones, also within one millisecond", () => {
  const ms = Date.now() + 20_000_000;
  const ids = [newMessageId(ms - 5)];
  for (let i = 0; i < 5000; i++) ids.push(newMessageId(ms)); // past the 4 096 a millisecond holds
  ids.push(newMessageId(ms - 1_000)); // the clock went back: still after the others
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} !< ${ids[i]} at ${i}`);
    assert.match(ids[i], UUID_V7);
  }
  assert.equal(new Set(ids).size, ids.length);
});
