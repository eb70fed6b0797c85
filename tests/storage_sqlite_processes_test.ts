/**
 * Several processes sharing one SQLite file (`[main] workers = N`, README "Scaling out") all
 * start when they open a fresh file at the same moment: none fails with "database is locked".
 * The switch to WAL takes a lock that SQLite's busy_timeout does not wait for; before the open
 * retried it, about one open in five failed this way (issue 12).
 */
import { assertEquals } from "./helpers/assert.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { SqliteStorage } from "../src/storage/sqlite_storage.ts";

const CHILD = new URL("./helpers/sqlite_open_child.ts", import.meta.url).pathname;
const PROCESSES = 4;
/** Fresh files opened by all the processes together, one after the other. */
const ROUNDS = 16;
const STEP_MS = 250;

Deno.test("processes opening one fresh SQLite file at once all start", () =>
  withTempDir(async (dir) => {
    // Far enough ahead that every child has loaded its modules before the first round.
    const startAt = Date.now() + 2_000;
    const children = Array.from({ length: PROCESSES }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          CHILD,
          dir,
          String(startAt),
          String(STEP_MS),
          String(ROUNDS),
          String(i),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output());
    // Each child's exit code with what it printed (nothing when every open succeeded).
    const results = (await Promise.all(children)).map((out, i) =>
      `child ${i}: exit ${out.code} ${new TextDecoder().decode(out.stdout).trim()}`.trim()
    );
    assertEquals(results, results.map((_, i) => `child ${i}: exit 0`));

    for (let k = 0; k < ROUNDS; k++) {
      const storage = new SqliteStorage({
        file: `${dir}/round${k}/comet.sqlite`,
        limits: { trustHistoryLength: 10, queueMaxPerUser: 10, queueMaxAgeSeconds: 3600 },
        busyTimeoutMs: 1000,
      });
      await storage.open();
      try {
        for (let i = 0; i < PROCESSES; i++) {
          assertEquals(await storage.getUserData(1, i), `child ${i}`, `round ${k}`);
        }
      } finally {
        await storage.close();
      }
    }
  }));
