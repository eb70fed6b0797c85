/**
 * Checks of `[main] workers = N` against the rest of the config (issue 12). Workers are separate
 * processes that share the WebSocket and CometQL ports (SO_REUSEPORT); worker i serves the admin
 * port `[admin] port + i`, so each worker's /metrics and /health can be scraped on its own.
 */
import type { Config } from "./config.ts";
import { ConfigError, type IniFile } from "./ini.ts";

export function checkWorkers(ini: IniFile, config: Config): void {
  const n = config.main.workers;
  if (n <= 1) return;
  const at = (section: string, key: string) => ini.get(section, key)?.line ?? 0;
  const workersLine = at("main", "workers");
  // Each worker is a process with its own subscribers; only Redis carries a publish that lands
  // on one worker to the browsers held by the others. Without it a message would reach some
  // browsers and silently miss the rest.
  if (config.redis === undefined) {
    throw new ConfigError(
      ini.path,
      workersLine,
      "[main] workers",
      `${n} workers need a [redis] url: each worker holds its own browsers, and ` +
        "only Redis carries a message published on one worker to the browsers of the others",
    );
  }
  for (const section of ["ws", "cometql"] as const) {
    if (config[section].port === 0) {
      throw new ConfigError(
        ini.path,
        at(section, "port"),
        `[${section}] port`,
        `0 (any free port) cannot be shared by ${n} workers: give a fixed port`,
      );
    }
  }
  const admin = config.admin.port;
  if (admin === 0) return;
  const last = admin + n - 1;
  if (last > 65535) {
    throw new ConfigError(
      ini.path,
      at("admin", "port"),
      "[admin] port",
      `worker i serves port ${admin} + i, and ${last} is beyond 65535`,
    );
  }
  for (const section of ["ws", "cometql"] as const) {
    const port = config[section].port;
    if (port >= admin && port <= last) {
      throw new ConfigError(
        ini.path,
        at("admin", "port"),
        "[admin] port",
        `worker i serves port ${admin} + i, so ${n} workers use ${admin}…${last}, ` +
          `which includes the port of [${section}] (${port})`,
      );
    }
  }
}
