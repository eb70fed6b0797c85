/**
 * The command a worker is started with (issue 12, `[main] workers`): this same program, with the
 * same permissions and arguments.
 *
 * - The compiled binary (`deno task compile`) has its permissions and V8 flags built in: it is run
 *   again with the same arguments.
 * - `deno run … main.ts` (`deno task start`) and `deno run … dist/cpp_comet.js` (the bundle): Deno
 *   does not hand back the flags a script was started with (and reading /proc/self/cmdline needs
 *   --allow-all), so the worker gets `deno run` with each permission the supervisor holds in full,
 *   the V8 flags of `deno task start`, then the same script and arguments. A permission granted
 *   only in part (`--allow-net=host`) cannot be passed on: the start is refused when one the
 *   server needs is partial. Workers inherit the working directory and environment, so relative
 *   paths and deno.json resolve as they did for the supervisor.
 *
 * Linux only, as SO_REUSEPORT spreading connections over processes is.
 */
import { fileURLToPath } from "node:url";

export interface WorkerCommand {
  command: string;
  args: string[];
}

/** The V8 flags `deno task start` and `deno task compile` run the server with (deno.json). */
export const SERVER_V8_FLAGS = "--v8-flags=--max-semi-space-size=2";

/** Permissions passed on when held in full; the first four the server cannot run without. */
const NEEDED = ["read", "write", "net", "env"] as const;
const OPTIONAL = ["sys", "ffi", "run"] as const;

/** The command to start a worker with, or why there is none. */
export function workerCommand(): WorkerCommand | { problem: string } {
  if (Deno.build.os !== "linux") {
    return { problem: "workers are supported on Linux only (SO_REUSEPORT load balancing)" };
  }
  const command = Deno.execPath();
  if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") {
    return {
      problem: `starting workers needs permission to run ${command} (--allow-run; ` +
        "`deno task start` and `deno task compile` grant it)",
    };
  }
  if (Deno.build.standalone) return { command, args: [...Deno.args] };
  const partial = NEEDED.filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
  if (partial.length > 0) {
    return {
      problem: `workers are started with the permissions this process holds in full, and ` +
        `${partial.map((p) => `--allow-${p}`).join(", ")} is missing or limited to a list ` +
        "(grant it in full, as `deno task start` does)",
    };
  }
  const granted = [...NEEDED, ...OPTIONAL].filter((name) =>
    Deno.permissions.querySync({ name }).state === "granted"
  );
  const script = Deno.mainModule.startsWith("file:")
    ? fileURLToPath(Deno.mainModule)
    : Deno.mainModule;
  return {
    command,
    args: [
      "run",
      SERVER_V8_FLAGS,
      ...granted.map((name) => `--allow-${name}`),
      "--no-prompt",
      script,
      ...Deno.args,
    ],
  };
}
