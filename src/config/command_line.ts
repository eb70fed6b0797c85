/**
 * The command line, compatible with CppComet's (docs/protocol/cometql.md §10.3): `--conf FILE`,
 * `--cli`, `--help`; plus `--version` and `--check-config`. Parsing is pure so it can be tested
 * without starting a process.
 */

/** Start the server, or only validate its config (`--check-config`). */
export interface ConfigCommand {
  action: "check" | "run";
  confPath: string;
  /** False when the path is a default, so errors can suggest `--conf`. */
  confGiven: boolean;
}

export type CommandLine =
  | { action: "help" }
  | { action: "version" }
  | { action: "usage-error"; problem: string }
  | ConfigCommand;

/**
 * Where the config is looked for without `--conf`, in order. The original looked only at
 * `/etc/comet-server/comet.ini` then `./comet.ini`; both still work.
 */
export const DEFAULT_CONFIG_PATHS = [
  "./comet.conf",
  "/etc/comet-server/comet.conf",
  "/etc/comet-server/comet.ini",
  "./comet.ini",
];

export function helpText(version: string): string {
  return `cpp_comet ${version} — CppComet-compatible comet server (WebSocket + CometQL)

Usage: cpp_comet [--conf FILE] [--check-config] [--version] [--help]

  --conf FILE      configuration file (comet.ini format). Without it the first existing of
                   ${DEFAULT_CONFIG_PATHS.join(", ")}
  --check-config   validate the configuration file and exit: 0 valid (warnings are printed),
                   78 invalid (the problem names file, line and key)
  --cli            accepted for compatibility with CppComet (control is by signals instead)
  --version        print the version and exit
  --help           this text

Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads the log levels, [main] password
and the user online/offline event switches from the configuration file.`;
}

export function parseCommandLine(
  args: string[],
  fileExists: (path: string) => boolean = isFile,
): CommandLine {
  let confPath: string | undefined;
  let check = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") return { action: "help" };
    if (arg === "--version") return { action: "version" };
    if (arg === "--conf") {
      confPath = args[++i];
      if (confPath === undefined || confPath === "") {
        return { action: "usage-error", problem: "--conf needs a file name" };
      }
    } else if (arg.startsWith("--conf=")) {
      confPath = arg.slice("--conf=".length);
      if (confPath === "") return { action: "usage-error", problem: "--conf needs a file name" };
    } else if (arg === "--check-config") {
      check = true;
    } else if (arg === "--cli") {
      // CppComet reads control commands from stdin with --cli; we are controlled by signals.
    } else {
      return { action: "usage-error", problem: `unknown argument: ${arg}` };
    }
  }
  const confGiven = confPath !== undefined;
  confPath ??= DEFAULT_CONFIG_PATHS.find(fileExists) ?? DEFAULT_CONFIG_PATHS[0];
  return { action: check ? "check" : "run", confPath, confGiven };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
