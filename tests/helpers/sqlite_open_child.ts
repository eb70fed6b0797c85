/**
 * A child process for tests/storage_sqlite_processes_test.ts. For each round k it waits until
 * the wall-clock time START_AT_MS + k * STEP_MS (every child uses the same times, so their opens
 * overlap), opens the fresh file DIR/round<k>/comet.sqlite as the server does at start, writes
 * one row keyed by its index and closes. Exits 0, or prints the first error and exits 1.
 *
 *   deno run -A tests/helpers/sqlite_open_child.ts DIR START_AT_MS STEP_MS ROUNDS INDEX
 */
import { SqliteStorage } from "../../src/storage/sqlite_storage.ts";

const [dir, startAt, step, rounds, index] = Deno.args.map((a, i) => i === 0 ? a : Number(a));

for (let k = 0; k < Number(rounds); k++) {
  const at = Number(startAt) + k * Number(step);
  // Sleep to just before the moment, then spin: the opens must overlap to the millisecond.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now() - 20)));
  while (Date.now() < at) {
    // spin
  }
  const storage = new SqliteStorage({
    file: `${dir}/round${k}/comet.sqlite`,
    limits: { trustHistoryLength: 10, queueMaxPerUser: 10, queueMaxAgeSeconds: 3600 },
    busyTimeoutMs: 10_000,
  });
  try {
    await storage.open();
    await storage.setUserData(1, Number(index), `child ${index}`);
    await storage.close();
  } catch (e) {
    console.log(`round ${k}: ${e}`);
    Deno.exit(1);
  }
}
