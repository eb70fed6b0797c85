/**
 * PipeHistory on an in-memory SQLite (docs/protocol/cometql.md §7.1, §7.4;
 * docs/protocol/websocket.md §3.3): which pipes keep messages, how many, the batched background
 * writer and its errors.
 */
import { PipeHistory } from "../src/core/pipe_history.ts";
import { Logger } from "../src/log.ts";
import type { Storage } from "../src/storage/storage.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { memoryStorage } from "./helpers/core_node.ts";
import { waitFor } from "./helpers/wait_for.ts";

const TRUST_LENGTH = 3;

async function withHistory(
  fn: (h: PipeHistory, storage: Storage, errors: { count: number; log: string[] }) => Promise<void>,
  flushMs = 1000,
): Promise<void> {
  const storage = await memoryStorage();
  const errors = { count: 0, log: [] as string[] };
  const log = new Logger(200, {}, (line) => errors.log.push(line));
  const history = new PipeHistory(storage, log, flushMs, TRUST_LENGTH, () => errors.count++);
  try {
    await fn(history, storage, errors);
  } finally {
    await history.flush();
    await storage.close();
  }
}

Deno.test("a pipe without settings keeps no history", () =>
  withHistory(async (h) => {
    assertEquals(h.length(0, "news"), undefined);
    h.record(0, "news", "add", "hello", 0);
    assertEquals(await h.read(0, "news", 99), []);
  }));

Deno.test("a pipe with a length keeps that many newest messages, oldest first", () =>
  withHistory(async (h) => {
    await h.setLength(0, "news", 2);
    assertEquals(h.length(0, "news"), 2);
    for (const m of ["one", "two", "three"]) h.record(0, "news", "add", m, 7);
    const rows = await h.read(0, "news", 99);
    assertEquals(rows.map((r) => r.message), ["two", "three"]);
    assertEquals(rows.map((r) => [r.devId, r.pipe, r.event, r.userId]), [
      [0, "news", "add", 7],
      [0, "news", "add", 7],
    ]);
    assert(rows[0].id !== rows[1].id, "every message gets its own id");
  }));

Deno.test("read limit, tenants and the empty event name", () =>
  withHistory(async (h) => {
    await h.setLength(0, "news", 10);
    await h.setLength(1, "news", 10);
    for (const m of ["a", "b", "c"]) h.record(0, "news", "", m, 0);
    h.record(1, "news", "e", "other tenant", 0);
    assertEquals((await h.read(0, "news", 2)).length, 2);
    const rows = await h.read(0, "news", 99);
    assertEquals(rows.map((r) => r.message), ["a", "b", "c"]);
    // An empty event is stored as the original did: the text "undefined".
    assertEquals(rows[0].event, "undefined");
    assertEquals((await h.read(1, "news", 99)).map((r) => r.message), ["other tenant"]);
  }));

Deno.test("trust_ pipes always keep [retention] trust_history_length messages", () =>
  withHistory(async (h) => {
    for (let i = 1; i <= 5; i++) h.record(0, "trust_room", "e", `m${i}`, 0);
    assertEquals((await h.read(0, "trust_room", 99)).map((r) => r.message), ["m3", "m4", "m5"]);
  }));

Deno.test("record only batches; flush writes the batch to storage", () =>
  withHistory(async (h, storage) => {
    await h.setLength(0, "news", 5);
    h.record(0, "news", "e", "batched", 0);
    // flushMs is 1000 here: nothing is in storage until the batch is written.
    assertEquals(await storage.readHistory(0, "news", 99), []);
    await h.flush();
    assertEquals((await storage.readHistory(0, "news", 99)).map((r) => r.message), ["batched"]);
  }));

Deno.test("the batch is written by itself within flushMs", () =>
  withHistory(async (h, storage) => {
    await h.setLength(0, "news", 5);
    h.record(0, "news", "e", "timed", 0);
    await waitFor(
      async () => (await storage.readHistory(0, "news", 99)).length === 1,
      "the timer wrote the batch",
    );
  }, 5));

Deno.test("settings are stored: a new PipeHistory on the same storage loads them", () =>
  withHistory(async (h, storage) => {
    await h.setLength(3, "kept", 42);
    const again = new PipeHistory(storage, new Logger(0), 5, TRUST_LENGTH, () => {});
    assertEquals(again.length(3, "kept"), undefined);
    await again.load();
    assertEquals(again.length(3, "kept"), 42);
    assertEquals(again.keep(3, "kept"), 42);
  }));

Deno.test("deleting the settings stops history and removes what was kept", () =>
  withHistory(async (h) => {
    await h.setLength(0, "news", 5);
    h.record(0, "news", "e", "before", 0);
    await h.deleteSettings(0, "news");
    assertEquals(h.length(0, "news"), undefined);
    h.record(0, "news", "e", "after", 0);
    assertEquals(await h.read(0, "news", 99), []);
  }));

Deno.test("a failed history write is counted and logged, and later writes still happen", () =>
  withHistory(async (h, storage, errors) => {
    await h.setLength(0, "news", 5);
    const append = storage.appendHistory.bind(storage);
    storage.appendHistory = () => Promise.reject(new Error("disk full"));
    h.record(0, "news", "e", "lost", 0);
    await h.flush();
    assertEquals(errors.count, 1);
    assert(errors.log.some((l) => l.includes("history write of 1 messages failed")), errors.log[0]);
    storage.appendHistory = append;
    h.record(0, "news", "e", "kept", 0);
    assertEquals((await h.read(0, "news", 99)).map((r) => r.message), ["kept"]);
  }));
