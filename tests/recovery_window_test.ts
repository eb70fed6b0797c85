/**
 * The in-memory recovery window (docs/protocol/recovery.md §1, §4): offsets, the per-pipe count
 * bound, the age bound, the byte bound, the pipe bound, and the snapshot a graceful stop saves.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import {
  MemoryRecoveryWindow,
  type MemoryWindowLimits,
} from "../src/core/memory_recovery_window.ts";
import { parseSnapshot } from "../src/core/recovery_window_file.ts";
import type { Recovery } from "../src/core/recovery_window.ts";

const LIMITS: MemoryWindowLimits = {
  windowMessages: 5,
  windowSeconds: 120,
  maxBytes: 1 << 20,
  maxPipes: 100,
  positionTtlSeconds: 3600,
};

function windowAt(limits: Partial<MemoryWindowLimits> = {}) {
  let now = 1000;
  const w = new MemoryRecoveryWindow({ ...LIMITS, ...limits }, () => now, false);
  return {
    w,
    publish: (pipe: string, body: string, devId = 0) =>
      w.append(devId, pipe, now, "ev", body, 0, false)!,
    advance: (s: number) => now += s,
  };
}

function offsets(r: Recovery): number[] | string {
  return r.kind === "recovered" ? r.entries.map((e) => e.offset) : `${r.kind}`;
}

Deno.test("window: offsets count up per pipe and tenant from 1; the epoch stays", () => {
  const { w, publish } = windowAt();
  const a1 = publish("a", "x");
  const a2 = publish("a", "y");
  const b1 = publish("b", "z");
  const other = publish("a", "w", 7);
  assertEquals([a1.offset, a2.offset, b1.offset, other.offset], [1, 2, 1, 1]);
  assertEquals(a1.epoch, a2.epoch);
  assert(a1.epoch !== b1.epoch, "every stream gets its own epoch");
  assertEquals(w.position(0, "a"), { epoch: a1.epoch, offset: 2 });
  assert(/^[0-9a-f]{12}$/.test(a1.epoch));
});

Deno.test("window: since() gives exactly the messages after the offset, in order", () => {
  const { w, publish } = windowAt();
  const epoch = publish("a", "1").epoch;
  for (let i = 2; i <= 4; i++) publish("a", String(i));
  assertEquals(offsets(w.since(0, "a", { epoch, offset: 1 })), [2, 3, 4]);
  assertEquals(offsets(w.since(0, "a", { epoch, offset: 4 })), [], "nothing missed");
  assertEquals(offsets(w.since(0, "a", { epoch, offset: 0 })), [1, 2, 3, 4]);
  assertEquals(w.since(0, "a", { epoch, offset: 5 }).kind, "ahead");
  const other = w.since(0, "a", { epoch: "0123456789ab", offset: 2 });
  assertEquals(other.kind === "lost" && other.reason, "epoch");
  assertEquals(other.position, { epoch, offset: 4 });
});

Deno.test("window: the last N messages per pipe; an older offset is a gap", () => {
  const { w, publish } = windowAt({ windowMessages: 5 });
  const epoch = publish("a", "1").epoch;
  for (let i = 2; i <= 12; i++) publish("a", String(i));
  assertEquals(offsets(w.since(0, "a", { epoch, offset: 7 })), [8, 9, 10, 11, 12]);
  const gap = w.since(0, "a", { epoch, offset: 6 });
  assertEquals(gap.kind === "lost" && gap.reason, "gap");
  assertEquals(w.stats().messages, 5);
});

Deno.test("window: messages older than T seconds leave it, the position stays", () => {
  const { w, publish, advance } = windowAt({ windowSeconds: 10 });
  const epoch = publish("a", "old").epoch;
  advance(5);
  publish("a", "newer");
  advance(6);
  assertEquals(offsets(w.since(0, "a", { epoch, offset: 1 })), [2]);
  assertEquals(w.since(0, "a", { epoch, offset: 0 }).kind, "lost");
  advance(10);
  assertEquals(offsets(w.since(0, "a", { epoch, offset: 2 })), [], "up to date: recovered");
  assertEquals(w.stats().messages, 0);
});

Deno.test("window: the byte bound drops the globally oldest messages first", () => {
  // 1,666 estimated bytes each: two fit, three do not.
  const { w, publish } = windowAt({ maxBytes: 4000, windowMessages: 1000 });
  const a = publish("a", "x".repeat(500)).epoch;
  const b = publish("b", "x".repeat(500)).epoch;
  publish("a", "x".repeat(500));
  assert(w.stats().bytes <= 4000);
  assertEquals(w.since(0, "a", { epoch: a, offset: 0 }).kind, "lost", "a:1 was the oldest");
  assertEquals(offsets(w.since(0, "b", { epoch: b, offset: 0 })), [1]);
  assertEquals(offsets(w.since(0, "a", { epoch: a, offset: 1 })), [2]);
});

Deno.test("window: beyond max_pipes the oldest position is forgotten (new epoch)", () => {
  const { w, publish } = windowAt({ maxPipes: 2 });
  const first = publish("p1", "x");
  publish("p2", "x");
  publish("p3", "x");
  assertEquals(w.stats().pipes, 2);
  const r = w.since(0, "p1", first);
  assertEquals(r.kind === "lost" && r.reason, "epoch");
});

Deno.test("window: window_messages = 0 turns positions off; no resume is recovered", () => {
  const { w } = windowAt({ windowMessages: 0 });
  assertEquals(w.append(0, "a", 1000, "e", "m", 0, false), undefined);
  const at = w.position(0, "a");
  assertEquals(w.since(0, "a", at).kind, "lost");
});

Deno.test("window: a snapshot restores the same epochs, offsets and messages", () => {
  const { w, publish } = windowAt();
  const epoch = publish("a", "1").epoch;
  publish("a", "2");
  w.position(0, "quiet");
  const text = JSON.stringify(w.snapshot());
  const snapshot = parseSnapshot(text)!;
  const { w: again, publish: publishAgain } = windowAt();
  again.restore(snapshot);
  assertEquals(offsets(again.since(0, "a", { epoch, offset: 0 })), [1, 2]);
  assertEquals(publishAgain("a", "3").offset, 3);
  assertEquals(again.position(0, "quiet").offset, 0);
  assertEquals(again.stats().pipes, 2);
});

Deno.test("window file: anything but a well-formed snapshot is refused", () => {
  for (
    const text of [
      "",
      "{",
      "null",
      '{"version":2,"streams":[]}',
      '{"version":1,"streams":[{"devId":0,"pipe":"a","epoch":"e","top":2,"lastPublish":0,' +
      '"entries":[[1,0,"e","m",0,false]]}]}', // offsets must end at top
    ]
  ) assertEquals(parseSnapshot(text), undefined, text);
});
