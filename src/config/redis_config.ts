/**
 * The `[redis]` section of comet.conf: where the nodes of one comet server meet (issue 12).
 *
 *   [redis]
 *   url = redis://[[user]:password@]host[:port][/db]   ; no url → one node, local engines
 *   key_prefix = comet:          ; every key and PUB/SUB channel of this server starts with it
 *   connect_timeout = 2000       ; ms to (re)connect before a command fails
 *   command_timeout = 2000       ; ms a command may take before it fails with a clear error
 *   heartbeat = 1000             ; ms between a node's presence heartbeats
 *   node_ttl = 5000              ; ms after its last heartbeat a node counts as dead
 *
 * `rediss://` (TLS) is refused: it has not been tested here, and an option that silently does
 * something untested is worse than a clear "no". Reach a remote Redis over a tunnel instead.
 */
import { ConfigError, type IniEntry, type IniFile } from "./ini.ts";

export interface RedisConfig {
  /** The url as written (for the driver); it may hold a password, so it is never logged. */
  url: string;
  /** The same url parsed and checked; `password` and `username` are "" when absent. */
  host: string;
  port: number;
  username: string;
  password: string;
  db: number;
  /** Prefix of every key and channel, so several comet servers can share one Redis. */
  prefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** A node refreshes its presence entry this often. */
  heartbeatMs: number;
  /** A node whose heartbeat is older than this is dead: its users go offline everywhere. */
  nodeTtlMs: number;
}

/** Keys of `[redis]`, for the unknown-key warnings (unused_entry_warnings.ts). */
export const REDIS_KEYS = [
  "url",
  "key_prefix",
  "connect_timeout",
  "command_timeout",
  "heartbeat",
  "node_ttl",
];

export const DEFAULT_REDIS_PORT = 6379;

type IntReader = (key: string, def: number, min: number, max: number) => number;

/**
 * The `[redis]` settings, or undefined when there is no url (then every other `[redis]` key is
 * pointless, which `warnings` gets told). `int` reads a range-checked integer of `[redis]`.
 */
export function readRedisConfig(
  ini: IniFile,
  int: IntReader,
  warnings: string[],
): RedisConfig | undefined {
  const urlEntry = ini.get("redis", "url");
  if (urlEntry === undefined || urlEntry.value === "") {
    const other = ini.entries.find((e) => e.section === "redis");
    if (other !== undefined) {
      warnings.push(
        `${ini.path}:${other.line}: [redis] has no url: Redis is off and this section has no effect`,
      );
    }
    return undefined;
  }
  const address = parseRedisUrl(urlEntry, ini.path);
  const prefixEntry = ini.get("redis", "key_prefix");
  const prefix = prefixEntry?.value ?? "comet:";
  if (prefixEntry && !/^[\x21-\x7e]{0,64}$/.test(prefix)) {
    throw new ConfigError(
      ini.path,
      prefixEntry.line,
      "[redis] key_prefix",
      "use at most 64 printable ASCII characters without spaces",
    );
  }
  const heartbeatMs = int("heartbeat", 1000, 100, 60000);
  const nodeTtlMs = int("node_ttl", 5000, 300, 600000);
  if (nodeTtlMs < 2 * heartbeatMs) {
    throw new ConfigError(
      ini.path,
      (ini.get("redis", "node_ttl") ?? ini.get("redis", "heartbeat"))?.line ?? 0,
      "[redis] node_ttl",
      `${nodeTtlMs} ms is less than twice the heartbeat (${heartbeatMs} ms): ` +
        "one late heartbeat would declare a live node dead",
    );
  }
  return {
    url: urlEntry.value,
    ...address,
    prefix,
    connectTimeoutMs: int("connect_timeout", 2000, 100, 600000),
    commandTimeoutMs: int("command_timeout", 2000, 100, 600000),
    heartbeatMs,
    nodeTtlMs,
  };
}

/**
 * `redis://[[user]:password@]host[:port][/db]`, the url form redis-cli and the client libraries
 * use. Errors never quote the url: it may contain a password.
 */
export function parseRedisUrl(
  e: IniEntry,
  path: string,
): Pick<RedisConfig, "host" | "port" | "username" | "password" | "db"> {
  const fail = (problem: string): never => {
    throw new ConfigError(path, e.line, "[redis] url", problem);
  };
  const form = "expected redis://[:password@]host[:port][/db]";
  let url: URL;
  try {
    url = new URL(e.value);
  } catch {
    return fail(`not a url (${form})`);
  }
  if (url.protocol === "rediss:") {
    fail("rediss:// (TLS) is not supported; reach a remote Redis through a tunnel (README)");
  }
  if (url.protocol !== "redis:") fail(`unsupported scheme ${url.protocol}// (${form})`);
  if (url.search !== "" || url.hash !== "") {
    fail("query parameters are not supported; use the keys of [redis]");
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") fail(`no host (${form})`);
  const port = url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port);
  if (port < 1) fail("port 0 is out of range 1…65535");
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d{1,5}$/.test(dbText)) fail(`the database must be a number (${form})`);
  const db = dbText === "" ? 0 : Number(dbText);
  return {
    host,
    port,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    db,
  };
}
