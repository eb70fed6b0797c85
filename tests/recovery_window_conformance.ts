/**
 * One conformance suite for every recovery window driver (docs/protocol/recovery.md §1, §4, §5):
 * the memory window of a single node and the Redis window of a cluster answer "what did I miss"
 * the same way. Each driver's test file calls `recoveryWindowConformance` with a factory; the
 * driver's own bounds (bytes, pipes, snapshots) are tested beside it.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import type { Recovery, StreamPosition, WindowEntry } from "../src/core/recovery_window.ts";

export interface WindowLimitsUnderTest {
  windowMessages: number;
  windowSeconds: number;
}

/** A driver behind one asynchronous face, with a clock the test moves. */
export interface WindowUnderTest {
  append(
    devId: number,
    pipe: string,
    body: string,
    extra?: { event?: string; userId?: number; fromBrowser?: boolean },
  ): Promise<StreamPosition>;
  /** No `from`: the current position only. */
  since(devId: number, pipe: string, from?: StreamPosition): Promise<Recovery>;
  advance(seconds: number): void;
  /** Every stream's continuity is lost (memory: the link was down; Redis: its data is gone). */
  loseStreams(): Promise<void>;
  close(): Promise<void>;
}

export type WindowFactory = (limits: WindowLimitsUnderTest) => Promise<WindowUnderTest>;

const LIMITS: WindowLimitsUnderTest = { windowMessages: 5, windowSeconds: 120 };

function offsets(r: Recovery): number[] | string {
  return r.kind === "recovered" ? r.entries.map((e) => e.offset) : `${r.kind}`;
}

export function recoveryWindowConformance(name: string, make: WindowFactory): void {
  const test = (
    title: string,
    body: (w: WindowUnderTest) => Promise<void>,
    limits: Partial<WindowLimitsUnderTest> = {},
  ) =>
    Deno.test(`${name} window: ${title}`, async () => {
      const w = await make({ ...LIMITS, ...limits });
      try {
        await body(w);
      } finally {
        await w.close();
      }
    });

  test("offsets count up per pipe and tenant from 1; the epoch stays", async (w) => {
    const a1 = await w.append(0, "a", "x");
    const a2 = await w.append(0, "a", "y");
    const b1 = await w.append(0, "b", "z");
    const other = await w.append(7, "a", "w");
    assertEquals([a1.offset, a2.offset, b1.offset, other.offset], [1, 2, 1, 1]);
    assertEquals(a1.epoch, a2.epoch);
    assert(a1.epoch !== b1.epoch, "every stream gets its own epoch");
    assertEquals((await w.since(0, "a")).position, { epoch: a1.epoch, offset: 2 });
    assert(/^[0-9a-f]{12}$/.test(a1.epoch));
    const quiet = (await w.since(0, "quiet")).position;
    assertEquals(quiet.offset, 0);
    assertEquals((await w.since(0, "quiet")).position, quiet, "a quiet stream keeps its epoch");
  });

  test("since() gives exactly the messages after the offset, in order", async (w) => {
    const { epoch } = await w.append(0, "a", "1");
    for (let i = 2; i <= 4; i++) await w.append(0, "a", String(i));
    assertEquals(offsets(await w.since(0, "a", { epoch, offset: 1 })), [2, 3, 4]);
    assertEquals(offsets(await w.since(0, "a", { epoch, offset: 4 })), [], "nothing missed");
    assertEquals(offsets(await w.since(0, "a", { epoch, offset: 0 })), [1, 2, 3, 4]);
    assertEquals((await w.since(0, "a", { epoch, offset: 5 })).kind, "ahead");
    const other = await w.since(0, "a", { epoch: "0123456789ab", offset: 2 });
    assertEquals(other.kind === "lost" && other.reason, "epoch");
    assertEquals(other.position, { epoch, offset: 4 });
  });

  test("entries come back as published (event, body, sender)", async (w) => {
    const bodies = ["", 'it\'s "quoted" \\ \0 nul', "emoji 😀 Привет 你好", "x".repeat(100_000)];
    const { epoch } = await w.append(0, "a", "first");
    for (const body of bodies) await w.append(0, "a", body, { event: "ev 😀" });
    await w.append(0, "a", "from a browser", { userId: 42, fromBrowser: true });
    const r = await w.since(0, "a", { epoch, offset: 1 });
    assert(r.kind === "recovered");
    const picked = (e: WindowEntry) => [e.event, e.message, e.userId, e.fromBrowser];
    assertEquals(r.entries.map(picked), [
      ...bodies.map((b) => ["ev 😀", b, 0, false]),
      ["e", "from a browser", 42, true],
    ]);
  }, { windowMessages: 10 });

  test("the last N messages per pipe; an older offset is a gap", async (w) => {
    const { epoch } = await w.append(0, "a", "1");
    for (let i = 2; i <= 12; i++) await w.append(0, "a", String(i));
    assertEquals(offsets(await w.since(0, "a", { epoch, offset: 7 })), [8, 9, 10, 11, 12]);
    const gap = await w.since(0, "a", { epoch, offset: 6 });
    assertEquals(gap.kind === "lost" && gap.reason, "gap");
    assertEquals(gap.position, { epoch, offset: 12 });
  });

  test("messages older than T seconds leave it, the position stays", async (w) => {
    const { epoch } = await w.append(0, "a", "old");
    w.advance(5);
    await w.append(0, "a", "newer");
    w.advance(6);
    assertEquals(offsets(await w.since(0, "a", { epoch, offset: 1 })), [2]);
    assertEquals((await w.since(0, "a", { epoch, offset: 0 })).kind, "lost");
    w.advance(10);
    assertEquals(offsets(await w.since(0, "a", { epoch, offset: 2 })), [], "up to date");
    assertEquals((await w.since(0, "a", { epoch, offset: 1 })).kind, "lost");
  }, { windowSeconds: 10 });

  test("a stream whose continuity is lost starts a new epoch", async (w) => {
    const seen = await w.append(0, "a", "1");
    await w.loseStreams();
    const next = await w.append(0, "a", "2");
    assert(next.epoch !== seen.epoch, "a new epoch");
    assertEquals(next.offset, 1);
    const r = await w.since(0, "a", seen);
    assertEquals(r.kind === "lost" && r.reason, "epoch");
    assertEquals(r.position, { epoch: next.epoch, offset: next.offset });
  });
}
