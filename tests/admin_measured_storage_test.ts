/**
 * MeasuredStorage (src/admin/measured_storage.ts): every storage operation is timed once, as
 * failed when it rejects, with the driver's result or error unchanged; the synchronous members
 * pass through untimed; a method replaced on the driver after wrapping is the one that runs.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { measureStorage } from "../src/admin/measured_storage.ts";
import type { Storage } from "../src/storage/storage.ts";

/** Every asynchronous member of Storage with arguments to call it with. */
const CALLS: [keyof Storage, unknown[]][] = [
  ["open", []],
  ["close", []],
  ["getAuthHash", [1, 2]],
  ["setAuthHash", [1, 2, "h"]],
  ["deleteAuthHash", [1, 2]],
  ["getUserData", [1, 2]],
  ["setUserData", [1, 2, "d"]],
  ["deleteUserData", [1, 2]],
  ["getUserTime", [1, 2]],
  ["setUserTime", [1, 2, 3]],
  ["listPipeSettings", []],
  ["setPipeLength", [1, "p", 3]],
  ["deletePipeSettings", [1, "p"]],
  ["appendHistory", [[], () => 1]],
  ["readHistory", [1, "p", 3]],
  ["deleteHistory", [1, "p"]],
  ["deleteHistoryMessage", [1, "id"]],
  ["enqueuePrivate", [{ id: "x" }]],
  ["readQueue", [1, 2, 3]],
  ["deleteQueued", [1, ["a"]]],
  ["clearQueue", [1, 2]],
  ["revokeToken", [1, "t"]],
  ["unrevokeToken", [1, "t"]],
  ["isTokenRevoked", [1, "t"]],
  ["listRevokedTokens", [1]],
  ["purgeExpired", [5]],
];

/** A driver whose every operation resolves to `[name, ...args]` and logs the call. */
function recordingDriver(calls: string[]): Storage {
  const driver: Record<string, unknown> = {
    description: "fake:driver",
    isAvailable: () => true,
  };
  for (const [name] of CALLS) {
    driver[name] = (...args: unknown[]) => {
      calls.push(name);
      return Promise.resolve([name, ...args]);
    };
  }
  return driver as unknown as Storage;
}

Deno.test("every storage operation reaches the driver and is timed once, as succeeded", async () => {
  const calls: string[] = [];
  const timings: boolean[] = [];
  const storage = measureStorage(recordingDriver(calls), (ms, failed) => {
    assertEquals(ms >= 0, true);
    timings.push(failed);
  });
  for (const [name, args] of CALLS) {
    const method = storage[name] as (...a: unknown[]) => Promise<unknown>;
    assertEquals(await method.apply(storage, args), [name, ...args]);
  }
  assertEquals(calls, CALLS.map(([name]) => name));
  assertEquals(timings, CALLS.map(() => false));
});

Deno.test("a rejected operation is timed as failed and rejects with the driver's error", async () => {
  const timings: boolean[] = [];
  const driver = recordingDriver([]);
  driver.readHistory = () => Promise.reject(new Error("disk gone"));
  const storage = measureStorage(driver, (_ms, failed) => timings.push(failed));
  await assert.rejects(storage.readHistory(0, "p", 1), /disk gone/);
  assertEquals(timings, [true]);
});

Deno.test("description and isAvailable pass through untimed; a replaced driver method runs", async () => {
  let timed = 0;
  const driver = recordingDriver([]);
  const storage = measureStorage(driver, () => timed++);
  assertEquals([storage.description, storage.isAvailable()], ["fake:driver", true]);
  driver.isAvailable = () => false;
  assertEquals(storage.isAvailable(), false);
  assertEquals(timed, 0);

  driver.getUserData = () => Promise.resolve("replaced");
  assertEquals(await storage.getUserData(0, 1), "replaced");
  assertEquals(timed, 1);
});
