/**
 * The in-memory recovery window (docs/protocol/recovery.md §1, §4): the conformance suite every
 * window driver passes, then what only this driver has: the byte bound, the pipe bound, and the
 * snapshot a graceful stop saves.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import {
  MemoryRecoveryWindow,
  type MemoryWindowLimits,
} from "../src/core/memory_recovery_window.ts";
import { parseSnapshot } from "../src/core/recovery_window_file.ts";
import type { Recovery } from "../src/core/recovery_window.ts";
import { recoveryWindowConformance } from "./recovery_window_conformance.ts";

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

recoveryWindowConformance("memory", (limits) => {
  let now = 1000;
  const w = new MemoryRecoveryWindow({ ...LIMITS, ...limits }, () => now, false);
  return Promise.resolve({
    append: (devId, pipe, body, extra = {}) =>
      Promise.resolve(
        w.append(
          devId,
          pipe,
          now,
          extra.event ?? "e",
          body,
          extra.userId ?? 0,
          extra.fromBrowser ?? false,
        )!,
      ),
    since: (devId, pipe, from) =>
      Promise.resolve(
        from === undefined
          ? { kind: "recovered", entries: [], position: w.position(devId, pipe) }
          : w.since(devId, pipe, from),
      ),
    advance: (s) => now += s,
    loseStreams: () => Promise.resolve(w.forgetAll()),
    close: () => Promise.resolve(w.close()),
  });
});

Deno.test("window: the count bound frees the memory of the dropped messages", () => {
  const { w, publish } = windowAt({ windowMessages: 5 });
  for (let i = 1; i <= 12; i++) publish("a", String(i));
  assertEquals(w.stats().messages, 5);
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
