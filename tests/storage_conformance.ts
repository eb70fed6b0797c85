/**
 * One conformance suite for every Storage driver (docs/protocol/cometql.md §7, §9): each driver's
 * test file calls `storageConformance` with a factory, and the same cases run against each. The
 * suite opens, tracks and closes the Storages; a driver only says how to make one and how to delete
 * its data.
 */
import assert from "node:assert/strict";
import {
  type HistoryEntry,
  type QueuedMessage,
  type RetentionLimits,
  type Storage,
  StorageError,
} from "../src/storage/storage.ts";

export interface StorageUnderTest {
  /** A new, unopened Storage on this test's (initially empty) data; called again to reopen. */
  create(): Storage;
  /** Deletes the data, once every Storage created is closed. */
  destroy(): Promise<void>;
  /** Context for a failure to become available after `open()`, e.g. the driver's log. */
  diagnostics?(): string;
}

export const DEFAULT_LIMITS: RetentionLimits = {
  trustHistoryLength: 100,
  queueMaxPerUser: 1000,
  queueMaxAgeSeconds: 0,
};

/** Texts that break naive storage: quotes, backslashes, NUL, 4-byte characters, > 64 KB. */
const AWKWARD_TEXTS = [
  `it's "quoted" \\ back\\slash \\' \\0 end`,
  "nul\0inside\0\0and at the end\0",
  "emoji 😀👍🏽 𝄞 and cyrillic Привет, chinese 你好",
  "line\nbreaks\r\n\ttab \x1a ctrl-z",
  "",
  "x".repeat(70_000) + "😀",
];

export function storageConformance(
  name: string,
  make: (limits: RetentionLimits) => Promise<StorageUnderTest>,
): void {
  const test = (
    title: string,
    body: (s: Storage, reopen: () => Promise<Storage>) => Promise<void>,
    limits = DEFAULT_LIMITS,
  ) =>
    Deno.test(`${name}: ${title}`, async () => {
      const under = await make(limits);
      const opened: Storage[] = [];
      /** Opens another Storage on the same data (after the previous one was closed). */
      const open = async () => {
        const storage = under.create();
        opened.push(storage);
        await storage.open();
        assert.equal(storage.isAvailable(), true, under.diagnostics?.() ?? "not available");
        return storage;
      };
      try {
        await body(await open(), open);
      } finally {
        for (const storage of opened) await storage.close();
        await under.destroy();
      }
    });

  test("users_auth: set, replace, get, delete; tenants and users apart", async (s) => {
    assert.equal(await s.getAuthHash(1, 7), null);
    await s.setAuthHash(1, 7, "hash-one");
    await s.setAuthHash(2, 7, "other-tenant");
    await s.setAuthHash(1, 8, "other-user");
    assert.equal(await s.getAuthHash(1, 7), "hash-one");
    await s.setAuthHash(1, 7, "replaced+/=_");
    assert.equal(await s.getAuthHash(1, 7), "replaced+/=_");
    await s.deleteAuthHash(1, 7);
    assert.equal(await s.getAuthHash(1, 7), null);
    assert.equal(await s.getAuthHash(2, 7), "other-tenant");
    assert.equal(await s.getAuthHash(1, 8), "other-user");
    await s.deleteAuthHash(1, 999); // deleting nothing is fine
  });

  test("users_data: set, replace, get, delete; awkward texts round-trip exactly", async (s) => {
    assert.equal(await s.getUserData(1, 5), null);
    for (const text of AWKWARD_TEXTS) {
      await s.setUserData(1, 5, text);
      assert.equal(await s.getUserData(1, 5), text);
    }
    await s.setUserData(2, 5, "tenant two");
    await s.deleteUserData(1, 5);
    assert.equal(await s.getUserData(1, 5), null);
    assert.equal(await s.getUserData(2, 5), "tenant two");
  });

  test("users_time: unknown is null, 0 means online, replaced by the last write", async (s) => {
    assert.equal(await s.getUserTime(1, 3), null);
    await s.setUserTime(1, 3, 0);
    assert.equal(await s.getUserTime(1, 3), 0);
    await s.setUserTime(1, 3, 1_700_000_000);
    await s.setUserTime(2, 3, 42);
    assert.equal(await s.getUserTime(1, 3), 1_700_000_000);
    assert.equal(await s.getUserTime(2, 3), 42);
  });

  test("pipes_settings: list, set, replace; delete drops the history too", async (s) => {
    assert.deepEqual(await s.listPipeSettings(), []);
    await s.setPipeLength(1, "chat", 10);
    await s.setPipeLength(1, "chat", 20);
    await s.setPipeLength(2, "chat", 5);
    await s.setPipeLength(1, "news", 0);
    const byKey = (a: { devId: number; pipe: string }, b: { devId: number; pipe: string }) =>
      a.devId - b.devId || (a.pipe < b.pipe ? -1 : 1);
    assert.deepEqual((await s.listPipeSettings()).sort(byKey), [
      { devId: 1, pipe: "chat", length: 20 },
      { devId: 1, pipe: "news", length: 0 },
      { devId: 2, pipe: "chat", length: 5 },
    ]);
    const keep = () => 20;
    await s.appendHistory([entry(1, "chat", "a"), entry(2, "chat", "b"), entry(1, "x", "c")], keep);
    await s.deletePipeSettings(1, "chat");
    assert.deepEqual((await s.listPipeSettings()).sort(byKey), [
      { devId: 1, pipe: "news", length: 0 },
      { devId: 2, pipe: "chat", length: 5 },
    ]);
    assert.deepEqual(await s.readHistory(1, "chat", 99), []);
    assert.deepEqual(messagesOf(await s.readHistory(2, "chat", 99)), ["b"]);
    assert.deepEqual(messagesOf(await s.readHistory(1, "x", 99)), ["c"]);
  });

  test("history: trimmed per pipe to keepOf, insertion order within one second", async (s) => {
    // Same second, ids in no particular order: only insertion order can sort these.
    const first = Array.from({ length: 8 }, (_, i) => entry(1, "chat", `m${i}`, 1000));
    const other = [entry(1, "news", "n0", 1000), entry(2, "chat", "t0", 1000)];
    const keeps: Record<string, number> = { "1 chat": 5, "1 news": 3, "2 chat": 3 };
    const keepOf = (devId: number, pipe: string) => keeps[`${devId} ${pipe}`];
    await s.appendHistory([first[0], other[0], ...first.slice(1), other[1]], keepOf);
    assert.deepEqual(messagesOf(await s.readHistory(1, "chat", 99)), [
      "m3",
      "m4",
      "m5",
      "m6",
      "m7",
    ]);
    const more = ["m8", "m9"].map((m) => entry(1, "chat", m, 999)); // clock went back a second
    await s.appendHistory(more, keepOf);
    const stored = await s.readHistory(1, "chat", 99);
    assert.deepEqual(messagesOf(stored), ["m5", "m6", "m7", "m8", "m9"]);
    assert.deepEqual(stored[3], more[0]);
    assert.deepEqual(messagesOf(await s.readHistory(1, "news", 99)), ["n0"]);
    assert.deepEqual(messagesOf(await s.readHistory(2, "chat", 99)), ["t0"]);
    await s.appendHistory([entry(2, "chat", "t1")], () => 0);
    assert.deepEqual(await s.readHistory(2, "chat", 99), []);
    await s.appendHistory([], keepOf);
  });

  test("history: a large batch over several pipes keeps every row and its order", async (s) => {
    // 150 rows: more than one multi-row INSERT chunk plus a remainder, pipes interleaved.
    const rows = Array.from(
      { length: 150 },
      (_, i) => entry(1, i % 3 === 0 ? "big_a" : "big_b", `r${i}`, 5000),
    );
    await s.appendHistory(rows, () => 1000);
    assert.deepEqual(await s.readHistory(1, "big_a", 99), rows.filter((_, i) => i % 3 === 0));
    assert.deepEqual(
      messagesOf(await s.readHistory(1, "big_b", 99)),
      messagesOf(rows.filter((_, i) => i % 3 !== 0).slice(-99)),
    );
  });

  test("history: readHistory gives the newest `limit`, oldest first", async (s) => {
    const all = Array.from({ length: 10 }, (_, i) => entry(3, "feed", `${i}`, 2000 + (i >> 2)));
    await s.appendHistory(all, () => 100);
    assert.deepEqual(await s.readHistory(3, "feed", 4), all.slice(6));
    assert.deepEqual(await s.readHistory(3, "feed", 99), all);
    assert.deepEqual(await s.readHistory(3, "feed", 0), []);
    assert.deepEqual(await s.readHistory(4, "feed", 99), []);
  });

  test("history: delete a pipe's history or one message, within the tenant", async (s) => {
    const a = [entry(1, "chat", "a0"), entry(1, "chat", "a1"), entry(1, "chat", "a2")];
    const b = entry(2, "chat", "b0");
    await s.appendHistory([...a, b, entry(1, "other", "o")], () => 10);
    await s.deleteHistoryMessage(1, a[1].id);
    await s.deleteHistoryMessage(1, b.id); // another tenant's message: untouched
    assert.deepEqual(messagesOf(await s.readHistory(1, "chat", 99)), ["a0", "a2"]);
    assert.deepEqual(messagesOf(await s.readHistory(2, "chat", 99)), ["b0"]);
    await s.deleteHistory(1, "chat");
    assert.deepEqual(await s.readHistory(1, "chat", 99), []);
    assert.deepEqual(messagesOf(await s.readHistory(1, "other", 99)), ["o"]);
    assert.deepEqual(messagesOf(await s.readHistory(2, "chat", 99)), ["b0"]);
  });

  test("queue: insertion order, limit, exact deletes, clear per user", async (s) => {
    const q = Array.from({ length: 6 }, (_, i) => queued(1, 10, `q${i}`, 3000));
    const otherUser = queued(1, 11, "u11");
    const otherTenant = queued(2, 10, "t2");
    for (const m of [q[0], q[1], otherUser, q[2], otherTenant, q[3], q[4], q[5]]) {
      await s.enqueuePrivate(m);
    }
    assert.deepEqual(await s.readQueue(1, 10, 100), q);
    assert.deepEqual(await s.readQueue(1, 10, 2), q.slice(0, 2));
    assert.deepEqual(await s.readQueue(1, 10, 0), []);
    await s.deleteQueued(1, [q[0].id, q[2].id, otherTenant.id, crypto.randomUUID()]);
    assert.deepEqual(await s.readQueue(1, 10, 100), [q[1], q[3], q[4], q[5]]);
    assert.deepEqual(await s.readQueue(2, 10, 100), [otherTenant]);
    await s.deleteQueued(1, []);
    const many = Array.from({ length: 150 }, (_, i) => queued(1, 12, `x${i}`));
    for (const m of many) await s.enqueuePrivate(m);
    await s.deleteQueued(1, many.slice(0, 140).map((m) => m.id));
    assert.deepEqual(await s.readQueue(1, 12, 100), many.slice(140));
    await s.clearQueue(1, 10);
    assert.deepEqual(await s.readQueue(1, 10, 100), []);
    assert.deepEqual(await s.readQueue(1, 11, 100), [otherUser]);
    assert.deepEqual(await s.readQueue(2, 10, 100), [otherTenant]);
  });

  test("queue: at most queueMaxPerUser rows per user, the oldest dropped", async (s) => {
    const q = Array.from({ length: 8 }, (_, i) => queued(1, 20, `q${i}`, 4000));
    for (const m of q) await s.enqueuePrivate(m);
    const other = queued(1, 21, "other");
    await s.enqueuePrivate(other);
    assert.deepEqual(await s.readQueue(1, 20, 100), q.slice(3));
    assert.deepEqual(await s.readQueue(1, 21, 100), [other]);
  }, { ...DEFAULT_LIMITS, queueMaxPerUser: 5 });

  test("queue: purgeExpired drops rows older than queueMaxAgeSeconds", async (s) => {
    const now = 1_800_000_000;
    const rows = [now - 7200, now - 3601, now - 3600, now].map((t) => queued(1, 30, `${t}`, t));
    rows.push(queued(2, 30, "old, other tenant", now - 9999));
    for (const m of rows) await s.enqueuePrivate(m);
    await s.purgeExpired(now);
    assert.deepEqual(await s.readQueue(1, 30, 100), rows.slice(2, 4));
    assert.deepEqual(await s.readQueue(2, 30, 100), []);
  }, { ...DEFAULT_LIMITS, queueMaxAgeSeconds: 3600 });

  test("queue: purgeExpired keeps everything when queueMaxAgeSeconds is 0", async (s) => {
    const old = queued(1, 31, "ancient", 1);
    await s.enqueuePrivate(old);
    await s.purgeExpired(1_800_000_000);
    assert.deepEqual(await s.readQueue(1, 31, 100), [old]);
  });

  test("revoked_tokens: revoke, check, list per tenant, un-revoke; 600 bytes fit", async (s) => {
    const long = "e".repeat(600);
    await s.revokeToken(1, "b.token");
    await s.revokeToken(1, "a.token");
    await s.revokeToken(1, "a.token"); // twice is once
    await s.revokeToken(1, long);
    await s.revokeToken(2, "c.token");
    assert.equal(await s.isTokenRevoked(1, "a.token"), true);
    assert.equal(await s.isTokenRevoked(1, long), true);
    assert.equal(await s.isTokenRevoked(1, "c.token"), false);
    assert.equal(await s.isTokenRevoked(1, "A.TOKEN"), false);
    assert.deepEqual(await s.listRevokedTokens(1), ["a.token", "b.token", long]);
    await s.unrevokeToken(1, "a.token");
    assert.equal(await s.isTokenRevoked(1, "a.token"), false);
    assert.deepEqual(await s.listRevokedTokens(2), ["c.token"]);
    await assert.rejects(s.revokeToken(1, long + "e"), StorageError);
  });

  test("awkward texts round-trip in history and queue", async (s) => {
    const history = AWKWARD_TEXTS.map((text) => entry(1, "chat", text));
    await s.appendHistory(history, () => 100);
    assert.deepEqual(await s.readHistory(1, "chat", 99), history);
    const messages = AWKWARD_TEXTS.map((text) => queued(1, 1, text));
    for (const m of messages) await s.enqueuePrivate(m);
    assert.deepEqual(await s.readQueue(1, 1, 100), messages);
  });

  test("pipe names and events compare exactly (case matters)", async (s) => {
    await s.appendHistory([entry(1, "Chat", "upper"), entry(1, "chat", "lower")], () => 10);
    await s.setPipeLength(1, "Chat", 3);
    await s.setPipeLength(1, "chat", 4);
    assert.deepEqual(messagesOf(await s.readHistory(1, "Chat", 99)), ["upper"]);
    assert.equal((await s.listPipeSettings()).length, 2);
  });

  test("everything survives close and reopen", async (s, reopen) => {
    const h = [entry(1, "chat", "kept 😀"), entry(1, "chat", "also\0kept")];
    const m = queued(1, 2, "queued");
    await s.setAuthHash(1, 2, "hash");
    await s.setUserData(1, 2, "data");
    await s.setUserTime(1, 2, 77);
    await s.setPipeLength(1, "chat", 10);
    await s.appendHistory(h, () => 10);
    await s.enqueuePrivate(m);
    await s.revokeToken(1, "tok");
    await s.close();
    assert.equal(s.isAvailable(), false);
    await assert.rejects(s.getAuthHash(1, 2), StorageError);
    const t = await reopen();
    assert.equal(t.isAvailable(), true);
    assert.equal(await t.getAuthHash(1, 2), "hash");
    assert.equal(await t.getUserData(1, 2), "data");
    assert.equal(await t.getUserTime(1, 2), 77);
    assert.deepEqual(await t.listPipeSettings(), [{ devId: 1, pipe: "chat", length: 10 }]);
    assert.deepEqual(await t.readHistory(1, "chat", 99), h);
    assert.deepEqual(await t.readQueue(1, 2, 10), [m]);
    assert.equal(await t.isTokenRevoked(1, "tok"), true);
    // Order continues after reopening: new rows come after the old ones.
    const later = entry(1, "chat", "later", h[0].time - 5);
    await t.appendHistory([later], () => 10);
    assert.deepEqual(await t.readHistory(1, "chat", 99), [...h, later]);
  });
}

let clock = 1_700_000_000;

export function entry(devId: number, pipe: string, message: string, time = clock++): HistoryEntry {
  return { id: crypto.randomUUID(), devId, pipe, event: "evt", message, userId: devId * 10, time };
}

export function queued(
  devId: number,
  userId: number,
  message: string,
  time = clock++,
): QueuedMessage {
  return { id: crypto.randomUUID(), devId, userId, event: "private", message, time };
}

function messagesOf(entries: HistoryEntry[]): string[] {
  return entries.map((e) => e.message);
}
