/**
 * cpp_comet: a CppComet-compatible comet server. Command line as the original
 * (spec: cometql.md §10.3): `--conf FILE`, `--cli`, `--help`; plus `--version` and
 * `--check-config`.
 */
import { loadConfig } from "./src/config/config.ts";
import { Logger } from "./src/log.ts";
import { startServer } from "./src/server.ts";

export const VERSION = "5.0.0";

const HELP = `cpp_comet ${VERSION} — CppComet-compatible comet server (WebSocket + CometQL)

Usage: cpp_comet [--conf FILE] [--check-config] [--version] [--help]

  --conf FILE      configuration file (comet.ini format). Default: ./comet.conf, else
                   /etc/comet-server/comet.conf, /etc/comet-server/comet.ini, ./comet.ini
  --check-config   validate the configuration file and exit (0 = valid)
  --cli            accepted for compatibility with CppComet (control commands are not read)
  --version        print the version and exit
  --help           this text
`;

const DEFAULT_CONFIGS = [
  "./comet.conf",
  "/etc/comet-server/comet.conf",
  "/etc/comet-server/comet.ini",
  "./comet.ini",
];

async function main(args: string[]): Promise<number> {
  let confPath: string | undefined;
  let checkOnly = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") {
      console.log(HELP);
      return 0;
    } else if (a === "--version") {
      console.log(`cpp_comet ${VERSION}`);
      return 0;
    } else if (a === "--conf") {
      confPath = args[++i];
      if (!confPath) return usage("--conf needs a file name");
    } else if (a.startsWith("--conf=")) {
      confPath = a.slice("--conf=".length);
    } else if (a === "--check-config") {
      checkOnly = true;
    } else if (a === "--cli") {
      // CppComet reads control commands from stdin with --cli; we take signals instead.
    } else {
      return usage(`unknown argument: ${a}`);
    }
  }
  confPath ??= DEFAULT_CONFIGS.find(exists) ?? "./comet.conf";

  let config;
  try {
    config = await loadConfig(confPath);
  } catch (e) {
    console.error(`cpp_comet: ${(e as Error).message}`);
    return 2;
  }
  const log = new Logger(config.log.level, config.log.tags);
  for (const w of config.warnings) log.warn("config", w);
  if (checkOnly) {
    console.log(`${confPath}: configuration OK`);
    return 0;
  }

  log.info("main", `cpp_comet ${VERSION} starting with ${confPath}`);
  const server = await startServer(config, log);
  const stop = async (signal: string) => {
    log.info("main", `${signal}: shutting down`);
    const timer = setTimeout(() => {
      log.error("main", "shutdown took too long; exiting");
      Deno.exit(1);
    }, 10_000);
    await server.stop();
    clearTimeout(timer);
    log.info("main", "stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  return -1; // keep running
}

function usage(problem: string): number {
  console.error(`cpp_comet: ${problem}\n\n${HELP}`);
  return 2;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  if (code >= 0) Deno.exit(code);
}
