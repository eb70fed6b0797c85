/**
 * The two sets of tests, decided by one rule so that a new test file lands in the right one
 * without being listed anywhere:
 *
 * - **integration**: the file starts the real server (in this process or as a child process) or
 *   an external program — MariaDB, PHP, Python, Perl, the mysql CLI, Chromium, `deno` itself.
 *   It calls one of `INTEGRATION_MARKERS` (the test helpers that do that, and `Deno.Command`).
 * - **unit**: every other `tests/*_test.ts`. They run in seconds on a machine with only Deno.
 *
 * `deno task test:unit` runs the unit set *without* `--allow-run` and `--allow-ffi`, so a unit
 * test that reaches a program anyway (through a helper of a helper) fails with a permission
 * error instead of quietly needing MariaDB. `deno task test` (CI) still runs every test.
 *
 *   deno run --allow-read --allow-run tools/test_sets.ts unit|integration [--list]
 */

/** Calls that make a test file an integration test. */
export const INTEGRATION_MARKERS = [
  "startTestServer", // tests/helpers/server.ts: the whole server in this process, real sockets
  "withTestServer",
  "CometqlSession(", // tests/helpers/cometql_session.ts: startTestServer + a logged-in backend
  "startServer(", // src/server.ts directly
  "spawnComet", // tests/helpers/comet_process.ts: the server as a child process
  "startMariadb", // tests/helpers/mariadb.ts
  "createMariadb",
  "launchBrowser", // tests/helpers/browser.ts: Chromium
  "runPhp", // tests/helpers/sql_clients.ts: external MySQL clients
  "runPython",
  "runMysqlCli",
  "startRedis", // tests/helpers/redis_server.ts: redis-server
  "startCluster", // tests/helpers/cluster.ts: redis-server and server processes
  "WorkerSupervisor", // src/workers/worker_supervisor.ts: starts worker programs
  "Deno.Command", // any other program
] as const;

export type TestSet = "unit" | "integration";

/** The set a test file belongs to, from its source text. */
export function testSetOf(source: string): TestSet {
  return INTEGRATION_MARKERS.some((m) => source.includes(m)) ? "integration" : "unit";
}

/** The `*_test.ts` files of `dir` in `set`, sorted. */
export async function testFiles(dir: string, set: TestSet): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith("_test.ts")) continue;
    const path = `${dir}/${e.name}`;
    if (testSetOf(await Deno.readTextFile(path)) === set) files.push(path);
  }
  return files.sort();
}

/** Permissions of the unit set: everything but starting programs and loading native code. */
export const UNIT_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
];

if (import.meta.main) {
  const set = Deno.args[0];
  if (set !== "unit" && set !== "integration") {
    console.error("usage: tools/test_sets.ts unit|integration [--list]");
    Deno.exit(2);
  }
  const dir = new URL("../tests", import.meta.url).pathname;
  const files = await testFiles(dir, set);
  if (Deno.args.includes("--list")) {
    console.log(files.join("\n"));
    Deno.exit(0);
  }
  const permissions = set === "unit" ? UNIT_PERMISSIONS : ["--allow-all"];
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["test", ...permissions, ...files],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(code);
}
