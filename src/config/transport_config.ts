/**
 * `[main] transport`: which sockets both listeners (browser and CometQL ports) run on.
 *
 * - `libc` (default): the C library's sockets through FFI where they can run (Linux x86_64 or
 *   aarch64, `--allow-ffi`, an IP literal to listen on), `node:net` elsewhere
 *   (net/tcp_listener.ts).
 * - `node`: always `node:net`, for a platform where the FFI transport misbehaves, or to compare.
 *
 * The environment variable `COMET_TRANSPORT` (`libc` or `node`) overrides the file, as it did when
 * it was the only switch; the override is reported among the config warnings, so the log says
 * which one won.
 */
import { ConfigError, type IniFile } from "./ini.ts";

export type Transport = "libc" | "node";

const TRANSPORTS: readonly string[] = ["libc", "node"];

export const TRANSPORT_VARIABLE = "COMET_TRANSPORT";

/** The variable's value, or undefined when unset or not readable (no `--allow-env`). */
export function transportVariable(): string | undefined {
  const permission = Deno.permissions.querySync({ name: "env", variable: TRANSPORT_VARIABLE });
  return permission.state === "granted" ? Deno.env.get(TRANSPORT_VARIABLE) : undefined;
}

/**
 * `[main] transport`, overridden by `COMET_TRANSPORT` when that is set (`variable` is its value);
 * an override is added to `warnings`. Throws ConfigError for a value that is neither.
 */
export function readTransport(
  ini: IniFile,
  warnings: string[],
  variable = transportVariable(),
): Transport {
  const entry = ini.get("main", "transport");
  const configured = entry?.value.trim().toLowerCase() ?? "libc";
  if (!TRANSPORTS.includes(configured)) {
    throw new ConfigError(
      ini.path,
      entry!.line,
      "[main] transport",
      `not a transport: "${entry!.value}" (use libc or node)`,
    );
  }
  if (variable === undefined || variable === "") return configured as Transport;
  const override = variable.trim().toLowerCase();
  if (!TRANSPORTS.includes(override)) {
    throw new ConfigError(
      ini.path,
      0,
      `${TRANSPORT_VARIABLE} (environment)`,
      `not a transport: "${variable}" (use libc or node)`,
    );
  }
  warnings.push(
    `${TRANSPORT_VARIABLE}=${override} in the environment overrides [main] transport ` +
      `(${configured}${entry ? ` at ${ini.path}:${entry.line}` : ", the default"})`,
  );
  return override as Transport;
}
