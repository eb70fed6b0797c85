/**
 * cpp_comet: a CppComet-compatible comet server. Command line as the original
 * (docs/protocol/cometql.md §10.3): `--conf FILE`, `--cli`, `--help`; plus `--version` and
 * `--check-config`. This file is the process around the server: config, pidfile, signals, exit
 * codes.
 */
import { type ConfigCommand, helpText, parseCommandLine } from "./src/config/command_line.ts";
import { type Config, loadConfig } from "./src/config/config.ts";
import { ConfigError } from "./src/config/ini.ts";
import { Logger } from "./src/log.ts";
import { type RunningServer, startServer } from "./src/server.ts";
import { workerCommand } from "./src/workers/worker_command.ts";
import { announceReady, watchSupervisor, workerIndex } from "./src/workers/worker_role.ts";
import { WorkerSupervisor } from "./src/workers/worker_supervisor.ts";

export const VERSION = "5.0.0";

/** sysexits.h codes, so a service manager can tell a bad config (no restart) from a crash. */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;
const EXIT_FAILURE = 1;

/** A graceful stop that takes longer than this is cut short (exit 1); systemd waits longer. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(args: string[]): Promise<number | "running"> {
  const command = parseCommandLine(args);
  switch (command.action) {
    case "help":
      console.log(helpText(VERSION));
      return 0;
    case "version":
      console.log(`cpp_comet ${VERSION}`);
      return 0;
    case "usage-error":
      console.error(`cpp_comet: ${command.problem}\n\n${helpText(VERSION)}`);
      return EXIT_USAGE;
  }
  const config = await readConfig(command);
  if (typeof config === "number") return config;
  if (command.action === "check") {
    for (const w of config.warnings) console.error(`warning: ${w}`);
    console.log(`${command.confPath}: configuration OK`);
    return 0;
  }
  return await run(config);
}

async function readConfig(command: ConfigCommand): Promise<Config | number> {
  try {
    return await loadConfig(command.confPath);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`cpp_comet: ${e.message}`);
    if (!command.confGiven) console.error(`cpp_comet: use --conf FILE to name the config file`);
    return EXIT_CONFIG;
  }
}

async function run(config: Config): Promise<number | "running"> {
  const log = new Logger(config.log.level, config.log.tags);
  const worker = workerIndex(config.main.workers);
  if (config.main.workers > 1 && worker === undefined) return await supervise(config, log);
  // A worker's warnings were already logged once by the supervisor.
  if (worker === undefined) { for (const w of config.warnings) log.warn("config", w); }
  log.info(
    "main",
    `cpp_comet ${VERSION} starting with ${config.path} (pid ${Deno.pid}` +
      (worker === undefined ? ")" : `, worker ${worker} of ${config.main.workers})`),
  );
  // The pidfile is the supervisor's when there are workers.
  const pidfile = worker === undefined ? config.main.pidfile : "";
  // Before the start, which may wait for storage: an early SIGHUP or SIGTERM must not kill the
  // process with the signal's default action.
  const signals = listenForSignals(log, config.path, pidfile, worker !== undefined);
  let server: RunningServer;
  try {
    server = await startServer(config, log, { version: VERSION, worker });
  } catch (e) {
    log.critical("main", `cannot start: ${(e as Error).message ?? e}`);
    return EXIT_FAILURE;
  }
  if (pidfile && !writePidfile(pidfile, log)) {
    await server.stop();
    return EXIT_FAILURE;
  }
  log.info(
    "main",
    `listening: ws ${config.ws.ip}:${server.wsPort}, cometql ${config.cometql.ip}:${server.qlPort}` +
      (server.adminPort ? `, admin ${config.admin.ip}:${server.adminPort}` : ""),
  );
  signals.started(server);
  if (worker !== undefined) announceReady();
  return "running";
}

/**
 * `[main] workers = N`: this process starts N workers sharing the ports, restarts the ones that
 * die, forwards SIGHUP, and stops them all on SIGTERM/SIGINT (exit 0 when each stopped cleanly).
 */
async function supervise(config: Config, log: Logger): Promise<number | "running"> {
  for (const w of config.warnings) log.warn("config", w);
  const n = config.main.workers;
  log.info(
    "main",
    `cpp_comet ${VERSION} starting ${n} workers with ${config.path} (pid ${Deno.pid})`,
  );
  const command = workerCommand();
  if ("problem" in command) {
    log.critical("main", `cannot start workers: ${command.problem}`);
    return EXIT_FAILURE;
  }
  const pidfile = config.main.pidfile;
  const supervisor = new WorkerSupervisor({ count: n, command, log });
  let stopSignal: string | undefined;
  const exit = (code: number): never => {
    removePidfile(pidfile);
    Deno.exit(code);
  };
  const stop = async (signal: string) => {
    if (stopSignal !== undefined) {
      log.warn("main", `${signal} again: killing the workers and exiting now`);
      supervisor.kill();
      exit(EXIT_FAILURE);
    }
    stopSignal = signal;
    log.info("main", `${signal}: stopping ${n} workers`);
    const code = await supervisor.stop();
    log.info("main", code === 0 ? "stopped" : "stopped; a worker did not stop cleanly");
    exit(code);
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGHUP", () => {
    log.info("main", "SIGHUP: each worker reloads the config file");
    supervisor.signal("SIGHUP");
  });
  try {
    await supervisor.start();
  } catch (e) {
    if (stopSignal !== undefined) return "running"; // the stop in progress exits
    log.critical("main", `cannot start: ${(e as Error).message}`);
    return EXIT_FAILURE;
  }
  if (pidfile && !writePidfile(pidfile, log)) {
    await supervisor.stop();
    return EXIT_FAILURE;
  }
  const { ws, cometql, admin } = config;
  const adminPorts = admin.port === 0
    ? ""
    : `, admin ${admin.ip}:${admin.port}…${admin.port + n - 1}`;
  log.info(
    "main",
    `listening: ws ${ws.ip}:${ws.port}, cometql ${cometql.ip}:${cometql.port}${adminPorts} ` +
      `(${n} workers ready: pids ${supervisor.pids().join(", ")})`,
  );
  return "running";
}

/**
 * SIGTERM/SIGINT: graceful stop, exit 0 (1 if it takes longer than SHUTDOWN_TIMEOUT_MS; a
 * second signal exits at once, as in the original). SIGHUP: reload the config file.
 */
function listenForSignals(log: Logger, confPath: string, pidfile: string, isWorker: boolean) {
  let server: RunningServer | undefined;
  let stopSignal: string | undefined;
  const exit = (code: number): never => {
    removePidfile(pidfile);
    Deno.exit(code);
  };
  const gracefulStop = async (running: RunningServer, signal: string) => {
    log.info("main", `${signal}: shutting down`);
    setTimeout(() => {
      log.error("main", `shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting`);
      exit(EXIT_FAILURE);
    }, SHUTDOWN_TIMEOUT_MS);
    await running.stop();
    log.info("main", "stopped");
    exit(0);
  };
  const stop = (signal: string) => {
    if (stopSignal !== undefined) {
      // A worker's stop is timed by its supervisor, and a service manager may signal the whole
      // group as well as the supervisor: a repeated signal must not cut the flush short.
      if (isWorker) return;
      log.warn("main", `${signal} again: exiting now`);
      exit(EXIT_FAILURE);
    }
    stopSignal = signal;
    if (server === undefined) {
      log.info("main", `${signal}: stopping as soon as the start completes`);
    } else {
      gracefulStop(server, signal);
    }
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  // Ctrl-C in a terminal reaches every process of the group; a worker waits for the supervisor's
  // SIGTERM instead.
  Deno.addSignalListener("SIGINT", () => isWorker || stop("SIGINT"));
  if (isWorker) watchSupervisor(() => stop("supervisor gone"));
  Deno.addSignalListener("SIGHUP", async () => {
    if (server === undefined || stopSignal !== undefined) {
      log.warn("main", "SIGHUP while starting or stopping: ignored");
      return;
    }
    log.info("main", `SIGHUP: reloading ${confPath}`);
    try {
      server.reload(await loadConfig(confPath));
    } catch (e) {
      // A bad edit must never take a running server down.
      const why = e instanceof Error ? e.message : String(e);
      log.error("config", `reload failed, keeping the running configuration: ${why}`);
    }
  });
  return {
    /** The server is up: serve a stop that arrived during the start, or wait for signals. */
    started(running: RunningServer) {
      server = running;
      if (stopSignal !== undefined) gracefulStop(running, stopSignal);
    },
  };
}

/** Removes the pidfile only if it is still ours (another instance may have taken it over). */
function removePidfile(pidfile: string): void {
  if (!pidfile) return;
  try {
    if (Deno.readTextFileSync(pidfile).trim() === String(Deno.pid)) Deno.removeSync(pidfile);
  } catch {
    // already gone: nothing to clean up
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  if (code !== "running") Deno.exit(code);
}

/** Writes this process's pid; false (logged) when the file cannot be written. */
function writePidfile(pidfile: string, log: Logger): boolean {
  try {
    Deno.writeTextFileSync(pidfile, `${Deno.pid}\n`);
    return true;
  } catch (e) {
    log.critical("main", `cannot write pidfile ${pidfile}: ${(e as Error).message}`);
    return false;
  }
}
