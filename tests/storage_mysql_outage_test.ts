/**
 * The MySQL driver while MySQL is down, hung or back (docs/protocol/cometql.md §9.4, which we
 * improve on): the server starts anyway, every call fails fast with a StorageError instead of
 * hanging, and the driver reconnects by itself. Uses a private MariaDB that the test stops and
 * starts.
 */
import assert from "node:assert/strict";
import type { DbConfig } from "../src/config/config.ts";
import { MysqlStorage } from "../src/storage/mysql_storage.ts";
import { type Storage, StorageError } from "../src/storage/storage.ts";
import { createMariadb } from "./helpers/mariadb.ts";
import { waitFor } from "./helpers/wait_for.ts";
import { DEFAULT_LIMITS, entry, queued } from "./storage_conformance.ts";

const QUERY_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
/** Slack for a loaded CI machine on top of the configured timeouts. */
const SLACK_MS = 1500;

/** Every Storage method once, with harmless arguments. */
const EVERY_CALL: [string, (s: Storage) => Promise<unknown>][] = [
  ["getAuthHash", (s) => s.getAuthHash(1, 1)],
  ["setAuthHash", (s) => s.setAuthHash(1, 1, "h")],
  ["deleteAuthHash", (s) => s.deleteAuthHash(1, 1)],
  ["getUserData", (s) => s.getUserData(1, 1)],
  ["setUserData", (s) => s.setUserData(1, 1, "d")],
  ["deleteUserData", (s) => s.deleteUserData(1, 1)],
  ["getUserTime", (s) => s.getUserTime(1, 1)],
  ["setUserTime", (s) => s.setUserTime(1, 1, 5)],
  ["listPipeSettings", (s) => s.listPipeSettings()],
  ["setPipeLength", (s) => s.setPipeLength(1, "chat", 5)],
  ["deletePipeSettings", (s) => s.deletePipeSettings(1, "nope")],
  ["appendHistory", (s) => s.appendHistory([entry(1, "chat", "m")], () => 5)],
  ["readHistory", (s) => s.readHistory(1, "chat", 99)],
  ["deleteHistory", (s) => s.deleteHistory(1, "nope")],
  ["deleteHistoryMessage", (s) => s.deleteHistoryMessage(1, "nope")],
  ["enqueuePrivate", (s) => s.enqueuePrivate(queued(1, 1, "m"))],
  ["readQueue", (s) => s.readQueue(1, 1, 10)],
  ["deleteQueued", (s) => s.deleteQueued(1, ["nope"])],
  ["clearQueue", (s) => s.clearQueue(1, 2)],
  ["revokeToken", (s) => s.revokeToken(1, "t")],
  ["unrevokeToken", (s) => s.unrevokeToken(1, "t")],
  ["isTokenRevoked", (s) => s.isTokenRevoked(1, "t")],
  ["listRevokedTokens", (s) => s.listRevokedTokens(1)],
  ["purgeExpired", (s) => s.purgeExpired(2_000_000_000)],
];

const logs: string[] = [];

/** Asserts that `call` rejects with a StorageError within `withinMs`. */
async function assertFailsFast(what: string, call: Promise<unknown>, withinMs: number) {
  const started = performance.now();
  const outcome = await call.then((value) => ({ value }), (error) => ({ error }));
  const took = performance.now() - started;
  const context = `\ndriver log:\n${logs.join("\n")}`;
  if ("value" in outcome) {
    assert.fail(`${what} resolved (${JSON.stringify(outcome.value)}) after ${took} ms${context}`);
  }
  assert.ok(outcome.error instanceof StorageError, `${what}: ${outcome.error}${context}`);
  assert.ok(took < withinMs, `${what} took ${Math.round(took)} ms, limit ${withinMs} ms${context}`);
}

Deno.test({
  name: "mysql outage: start while down, fail fast, recover, survive stop and hang",
  // The test starts and stops mariadbd itself; those child processes outlive single steps.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const mariadb = await createMariadb();
    const config: DbConfig = {
      host: mariadb.host,
      user: mariadb.user,
      password: mariadb.password,
      name: mariadb.database,
      port: mariadb.port,
      file: "",
      poolSize: 4,
      queryTimeoutMs: QUERY_TIMEOUT_MS,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    };
    const storage = new MysqlStorage(config, DEFAULT_LIMITS, (level, msg) => {
      logs.push(`${new Date().toISOString().slice(11, 23)} ${level}: ${msg}`);
    });
    try {
      // 1. MySQL is down at start: open() returns, nothing is available, calls fail fast.
      const opening = performance.now();
      await storage.open();
      assert.ok(performance.now() - opening < CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + SLACK_MS);
      assert.equal(storage.isAvailable(), false);
      assert.ok(
        logs.some((l) => l.includes("error:") && l.includes("retrying")),
        logs.join("\n"),
      );
      for (const [what, call] of EVERY_CALL) await assertFailsFast(what, call(storage), 200);

      // 2. MySQL comes up: the driver connects by itself and creates the schema.
      await mariadb.start();
      await waitFor(() => storage.isAvailable(), "the driver reconnects", 40_000, 50);
      for (const [, call] of EVERY_CALL) await call(storage);
      await storage.setUserData(1, 2, "before the outage");

      // 3. MySQL stops: calls fail fast and the driver notices.
      await mariadb.stop();
      await assertFailsFast("a read after the stop", storage.getUserData(1, 2), QUERY_TIMEOUT_MS);
      await waitFor(() => !storage.isAvailable(), "the loss is noticed", QUERY_TIMEOUT_MS, 50);
      for (const [what, call] of EVERY_CALL) await assertFailsFast(what, call(storage), 200);

      // 4. MySQL is back: recovered without help, data intact.
      await mariadb.start();
      await waitFor(() => storage.isAvailable(), "the driver reconnects again", 40_000, 50);
      assert.equal(await storage.getUserData(1, 2), "before the outage");

      // 5. MySQL hangs (accepts, never answers): a call fails at the query timeout, not later.
      await mariadb.freeze();
      try {
        await assertFailsFast(
          "a read from a hung server",
          storage.getUserData(1, 2),
          QUERY_TIMEOUT_MS + SLACK_MS,
        );
        assert.equal(storage.isAvailable(), false);
        await assertFailsFast("a write while hung", storage.setUserData(1, 2, "x"), 200);
      } finally {
        mariadb.thaw();
      }
      await waitFor(() => storage.isAvailable(), "the driver recovers from the hang", 40_000, 50);
      assert.equal(await storage.getUserData(1, 2), "before the outage");
    } finally {
      await storage.close();
      await mariadb.stop();
    }
  },
});
