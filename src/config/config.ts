/**
 * comet.conf → one typed, validated Config with defaults (docs/protocol/cometql.md §10.2).
 *
 * An original comet.ini loads unchanged: CppComet sections and keys we do not use produce
 * warnings, never a failure. Values that are clearly wrong (a port of 70000, `yes please` for a
 * boolean, a non-number) are errors naming file, line and key, where the original silently read
 * garbage as 0 or false.
 */
import { ConfigError, type IniEntry, type IniFile, parseIni } from "./ini.ts";
import { LIMITS_KEYS, type LimitsConfig, readLimits } from "./limits.ts";
import { logTagLevels } from "./log_tags.ts";
import { readRedisConfig, REDIS_KEYS, type RedisConfig } from "./redis_config.ts";
import { readTransport, type Transport } from "./transport_config.ts";
import { checkWorkers } from "./workers_config.ts";

export interface ListenerConfig {
  ip: string;
  port: number;
}

export interface DbConfig {
  /** Empty host → embedded SQLite at `file`. */
  host: string;
  user: string;
  password: string;
  name: string;
  port: number;
  /** SQLite database file (embedded storage). */
  file: string;
  poolSize: number;
  /** Milliseconds a storage operation may take before it fails with a clear error. */
  queryTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface Config {
  path: string;
  main: {
    password: string;
    nodeName: string;
    sendUserOnlineEvents: boolean;
    sendUserOfflineEvents: boolean;
    saveUsersLastOnlineTime: boolean;
    /** File the pid is written to at start and removed from at exit; empty = none. */
    pidfile: string;
    /**
     * Worker processes sharing the listening ports (`auto` = one per core); 1 = this process
     * serves alone. More than one needs `redis`.
     */
    workers: number;
    fragmentBufMaxSize: number;
    /** Sockets of both listeners, `libc` or `node` (transport_config.ts). */
    transport: Transport;
    devIndexSize: number;
    baseDir: string;
  };
  db: DbConfig;
  ws: ListenerConfig & {
    /** Bytes a connection may have queued unsent before it is dropped (slow consumer). */
    maxBacklog: number;
  };
  cometql: ListenerConfig & {
    /** Longest accepted COM_QUERY text in bytes. */
    maxQuerySize: number;
    /**
     * Legacy option: string literals keep their backslashes, as CppComet kept them (for code
     * that never escaped its values). Off: MySQL's unescaping (docs/compatibility.md point 2).
     */
    verbatimBackslashes: boolean;
    /** Tenants (dev_id) that get `verbatimBackslashes` while it is off for the server. */
    verbatimBackslashesDevIds: ReadonlySet<number>;
  };
  /** Prometheus `/metrics` and `/health`, the HTTP API and the dashboard; port 0 = off. */
  admin: ListenerConfig & {
    /** Bearer key of the HTTP API and the dashboard; empty = `[main] password`. */
    apiKey: string;
  };
  retention: {
    /** Most messages kept for a `trust_*` pipe (the original kept them forever). */
    trustHistoryLength: number;
    /** Most queued private messages per user; the oldest are dropped beyond it. */
    queueMaxPerUser: number;
    /** Queued private messages older than this many days are dropped (0 = never). */
    queueMaxAgeDays: number;
    /** History rows are written in batches at most this many ms after the publish. */
    historyFlushMs: number;
    /** Acknowledge a history publish only once it is stored (slower; see README). */
    historySync: boolean;
  };
  /**
   * Scale-out (issue 12): several nodes as one server through Redis; undefined without a
   * `[redis]` url (one node, local engines).
   */
  redis?: RedisConfig;
  /** The recovery window every pipe keeps for resumed subscriptions (docs/protocol/recovery.md). */
  recovery: {
    /** Most messages kept per pipe; 0 turns positions and recovery off. */
    windowMessages: number;
    /** Messages older than this many seconds leave the window. */
    windowSeconds: number;
    /** Bound on the memory all windows together hold (bodies and events, estimated bytes). */
    maxBytes: number;
    /** Most pipes whose position is tracked; beyond it the longest idle ones are forgotten. */
    maxPipes: number;
    /** A pipe's position (epoch and offset) is kept this long after its last message. */
    positionTtlSeconds: number;
    /**
     * Where a graceful stop saves the windows, loaded (and removed) at the next start; empty
     * when `save_on_stop = false` (every restart then starts new epochs).
     */
    file: string;
  };
  /** Global level and per-tag levels, tags already mapped to our LogTag names. */
  log: { level: number; tags: Record<string, number> };
  /** Bounds on what clients can make the server hold (limits.ts). */
  limits: LimitsConfig;
  contentTypes: Record<string, string>;
  warnings: string[];
}

/** Keys each section of ours reads. `"any"`: every key is data (log tags, mime types). */
const USED: Record<string, Set<string> | "any"> = {
  main: new Set([
    "password",
    "node_name",
    "send_user_online_events",
    "send_user_offline_events",
    "save_users_last_online_time",
    "pidfile",
    "workers",
    "fragment_buf_max_size",
    "transport",
    "dev_index_size",
    "base_dir",
  ]),
  db: new Set([
    "host",
    "user",
    "password",
    "name",
    "port",
    "file",
    "pool_size",
    "query_timeout",
    "connect_timeout",
  ]),
  ws: new Set(["ip", "port", "max_backlog"]),
  cometql: new Set([
    "ip",
    "port",
    "max_query_size",
    "verbatim_backslashes",
    "verbatim_backslashes_dev_ids",
  ]),
  admin: new Set(["ip", "port", "api_key"]),
  retention: new Set([
    "trust_history_length",
    "queue_max_per_user",
    "queue_max_age_days",
    "history_flush_ms",
    "history_sync",
  ]),
  limits: LIMITS_KEYS,
  redis: new Set(REDIS_KEYS),
  recovery: new Set([
    "window_messages",
    "window_seconds",
    "max_bytes",
    "max_pipes",
    "position_ttl_seconds",
    "file",
    "save_on_stop",
  ]),
  log: "any",
  "content-type": "any",
};

/** Keys of CppComet's comet.ini that have no effect here (threading, buffers, statistics). */
const SERVICE_KEYS = [
  "thread_num",
  "statistics",
  "buf_size",
  "backlog",
  "epoll_size",
  "uptimeTestInterval",
  "maxUptime",
  "benchmark",
];
const ORIGINAL_UNUSED: Record<string, Set<string>> = {
  main: new Set([
    "useQueryLoger",
    "fragment_buf_size",
    "api_version",
    "isTest",
    // Socket reads use the transport's own buffers; results are streamed, never cut.
    "buf_size",
    "answer_buf_size",
  ]),
  // The server never gives up on MySQL: it retries in the background (storage.md §4).
  db: new Set(["buf_size", "connection_attempts"]),
  ws: new Set([...SERVICE_KEYS, "host"]),
  cometql: new Set(SERVICE_KEYS),
};

/**
 * CppComet's own cluster (docs/protocol/cometql.md §11) is replaced by the nodes meeting in Redis.
 */
const REPLACED_BY_REDIS =
  "CppComet's cluster has no effect here: use [redis] (README, Scaling out)";

/** CppComet sections this server does not implement; their presence is worth one warning. */
const ORIGINAL_UNSUPPORTED: Record<string, string> = {
  cometqlproxy: REPLACED_BY_REDIS,
  freeswitch: "FreeSWITCH integration is not implemented",
  sip: "FreeSWITCH integration is not implemented",
  statistics: "usage reporting is never sent; see /metrics on the [admin] port",
  benchmark: "see /metrics on the [admin] port",
};

/** Reads and validates a config file; throws ConfigError naming file, line and key. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : (e as Error).message;
    throw new ConfigError(path, 0, "", `cannot read config file: ${why}`);
  }
  return buildConfig(parseIni(text, path));
}

export function buildConfig(ini: IniFile): Config {
  const warnings = unusedEntryWarnings(ini);
  const r = new Reader(ini);
  const config: Config = {
    path: ini.path,
    main: {
      password: r.str("main", "password", "password"),
      nodeName: r.str("main", "node_name", "NoName"),
      sendUserOnlineEvents: r.bool("main", "send_user_online_events", true),
      sendUserOfflineEvents: r.bool("main", "send_user_offline_events", true),
      saveUsersLastOnlineTime: r.bool("main", "save_users_last_online_time", true),
      pidfile: r.str("main", "pidfile", ""),
      workers: r.workers(),
      fragmentBufMaxSize: r.int("main", "fragment_buf_max_size", 103840, 1024, 64 * 1024 * 1024),
      transport: readTransport(ini, warnings),
      devIndexSize: r.int("main", "dev_index_size", 100000, 1, 1 << 30),
      baseDir: r.str("main", "base_dir", ""),
    },
    db: {
      host: r.address("db", "host", "", true),
      user: r.str("db", "user", "root"),
      password: r.str("db", "password", ""),
      name: r.str("db", "name", "comet_db"),
      port: r.int("db", "port", 3306, 1, 65535),
      file: r.str("db", "file", "./data/comet.sqlite"),
      poolSize: r.int("db", "pool_size", 8, 1, 1000),
      queryTimeoutMs: r.int("db", "query_timeout", 5000, 100, 600000),
      connectTimeoutMs: r.int("db", "connect_timeout", 3000, 100, 600000),
    },
    ws: {
      ip: r.address("ws", "ip", "0.0.0.0"),
      port: r.int("ws", "port", 8087, 0, 65535),
      maxBacklog: r.int("ws", "max_backlog", 4 * 1024 * 1024, 1024, 1 << 30),
    },
    cometql: {
      ip: r.address("cometql", "ip", "0.0.0.0"),
      port: r.int("cometql", "port", 3307, 0, 65535),
      maxQuerySize: r.int("cometql", "max_query_size", 1024 * 1024, 9000, 16 * 1024 * 1024 - 1),
      verbatimBackslashes: r.bool("cometql", "verbatim_backslashes", false),
      verbatimBackslashesDevIds: new Set(r.intList("cometql", "verbatim_backslashes_dev_ids")),
    },
    admin: {
      ip: r.address("admin", "ip", "127.0.0.1"),
      port: r.int("admin", "port", 8089, 0, 65535),
      apiKey: r.str("admin", "api_key", ""),
    },
    retention: {
      trustHistoryLength: r.int("retention", "trust_history_length", 10000, 1, 10000000),
      queueMaxPerUser: r.int("retention", "queue_max_per_user", 1000, 1, 10000000),
      queueMaxAgeDays: r.int("retention", "queue_max_age_days", 30, 0, 36500),
      historyFlushMs: r.int("retention", "history_flush_ms", 20, 0, 10000),
      historySync: r.bool("retention", "history_sync", false),
    },
    recovery: {
      windowMessages: r.int("recovery", "window_messages", 1000, 0, 1000000),
      windowSeconds: r.int("recovery", "window_seconds", 120, 1, 86400),
      maxBytes: r.int("recovery", "max_bytes", 64 * 1024 * 1024, 0, 2 ** 40),
      maxPipes: r.int("recovery", "max_pipes", 100000, 1, 100000000),
      positionTtlSeconds: r.int("recovery", "position_ttl_seconds", 86400, 1, 365 * 86400),
      file: "",
    },
    log: { level: r.int("log", "level", 400, 0, 600), tags: {} },
    limits: readLimits((key, def, min, max) => r.int("limits", key, def, min, max)),
    contentTypes: {},
    warnings,
  };
  const tagEntries = ini.entries.filter((e) => e.section === "log" && e.key !== "level");
  config.log.tags = logTagLevels(tagEntries, (e) => intOf(e, ini.path, 0, 600), warnings, ini.path);
  for (const e of ini.entries) {
    if (e.section === "content-type") config.contentTypes[e.key] = e.value;
  }
  config.redis = readRedisConfig(
    ini,
    (key, def, min, max) => r.int("redis", key, def, min, max),
    warnings,
  );
  checkWorkers(ini, config);
  // Beside the SQLite file by default, so a data directory holds everything a restart needs.
  config.recovery.file = r.bool("recovery", "save_on_stop", true)
    ? r.str("recovery", "file", siblingPath(config.db.file, "recovery.json"))
    : "";
  checkPortClashes(ini, config);
  return config;
}

/** Warnings for sections and keys that have no effect, so typos and dead settings are visible. */
function unusedEntryWarnings(ini: IniFile): string[] {
  const warnings: string[] = [];
  const reported = new Set<string>();
  const ignoredOriginal = new Map<string, { line: number; keys: string[] }>();
  for (const e of ini.entries) {
    const used = USED[e.section];
    if (used === "any" || used?.has(e.key)) continue;
    if (used === undefined) {
      if (reported.has(e.section)) continue;
      reported.add(e.section);
      const why = e.section === ""
        ? "key outside any [section] (ignored)"
        : ORIGINAL_UNSUPPORTED[e.section] === undefined
        ? `unknown section [${e.section}] (ignored)`
        : `section [${e.section}] ignored: ${ORIGINAL_UNSUPPORTED[e.section]}`;
      warnings.push(`${ini.path}:${e.line}: ${why}`);
    } else if (e.section === "ws" && e.key === "cluster") {
      if (reported.has("ws.cluster")) continue;
      reported.add("ws.cluster");
      warnings.push(`${ini.path}:${e.line}: [ws] cluster: ${REPLACED_BY_REDIS}`);
    } else if (ORIGINAL_UNUSED[e.section]?.has(e.key)) {
      const group = ignoredOriginal.get(e.section) ?? { line: e.line, keys: [] };
      group.keys.push(e.key);
      ignoredOriginal.set(e.section, group);
    } else {
      warnings.push(`${ini.path}:${e.line}: [${e.section}] ${e.key}: unknown key (ignored)`);
    }
  }
  for (const [section, { line, keys }] of ignoredOriginal) {
    warnings.push(
      `${ini.path}:${line}: [${section}] ${keys.join(", ")}: CppComet settings with no effect here`,
    );
  }
  return warnings;
}

/** Two of our listeners on the same port would make the second fail at bind time. */
function checkPortClashes(ini: IniFile, config: Config): void {
  const listeners: [string, ListenerConfig][] = [
    ["ws", config.ws],
    ["cometql", config.cometql],
    ["admin", config.admin],
  ];
  const wildcard = (ip: string) => ip === "0.0.0.0" || ip === "::";
  for (let i = 0; i < listeners.length; i++) {
    for (let j = 0; j < i; j++) {
      const [name, a] = listeners[i];
      const [otherName, b] = listeners[j];
      if (a.port === 0 || a.port !== b.port) continue;
      if (a.ip !== b.ip && !wildcard(a.ip) && !wildcard(b.ip)) continue;
      // Blame the port written last in the file (the other may be a default).
      const [blamed, other] = (ini.get(name, "port")?.line ?? 0) >=
          (ini.get(otherName, "port")?.line ?? 0)
        ? [name, otherName]
        : [otherName, name];
      throw new ConfigError(
        ini.path,
        ini.get(blamed, "port")?.line ?? 0,
        `[${blamed}] port`,
        `${a.port} is also the port of [${other}]`,
      );
    }
  }
}

/** Typed access to ini values with range checks; errors name file, line and key. */
class Reader {
  constructor(private ini: IniFile) {}

  str(section: string, key: string, def: string): string {
    return this.ini.get(section, key)?.value ?? def;
  }

  /**
   * docs/protocol/cometql.md §10.1: the original reads only `true`/`True`/`TRUE` as true and
   * anything else as false; we accept the usual spellings and reject the rest rather than guess.
   */
  bool(section: string, key: string, def: boolean): boolean {
    const e = this.ini.get(section, key);
    if (!e) return def;
    const v = e.value.toLowerCase();
    if (v === "true" || v === "1" || v === "yes" || v === "on") return true;
    if (v === "false" || v === "0" || v === "no" || v === "off") return false;
    throw new ConfigError(
      this.ini.path,
      e.line,
      `[${section}] ${key}`,
      `not a boolean: "${e.value}" (use true or false)`,
    );
  }

  int(section: string, key: string, def: number, min: number, max: number): number {
    const e = this.ini.get(section, key);
    return e ? intOf(e, this.ini.path, min, max) : def;
  }

  /** Comma-separated non-negative integers (`15, 20`); absent or empty → none. */
  intList(section: string, key: string): number[] {
    const e = this.ini.get(section, key);
    if (!e || e.value.trim() === "") return [];
    return e.value.split(",").map((part) =>
      intOf({ ...e, value: part.trim() }, this.ini.path, 0, 2 ** 31 - 1)
    );
  }

  /** `[main] workers`: a count, or `auto` for one per core. */
  workers(): number {
    const e = this.ini.get("main", "workers");
    if (e?.value.toLowerCase() === "auto") return Math.max(1, navigator.hardwareConcurrency);
    return e ? intOf(e, this.ini.path, 1, 1024) : 1;
  }

  /** A listen or connect address: IPv4, IPv6 or a host name (the original accepted garbage). */
  address(section: string, key: string, def: string, emptyAllowed = false): string {
    const e = this.ini.get(section, key);
    if (!e) return def;
    if (e.value === "" && emptyAllowed) return "";
    if (!isAddress(e.value)) {
      throw new ConfigError(
        this.ini.path,
        e.line,
        `[${section}] ${key}`,
        `not an IP address or host name: "${e.value}"`,
      );
    }
    return e.value;
  }
}

function intOf(e: IniEntry, path: string, min: number, max: number): number {
  const where = `[${e.section}] ${e.key}`;
  if (!/^-?\d+$/.test(e.value)) {
    throw new ConfigError(path, e.line, where, `not an integer: "${e.value}"`);
  }
  const n = Number(e.value);
  if (n < min || n > max) {
    throw new ConfigError(path, e.line, where, `${n} is out of range ${min}…${max}`);
  }
  return n;
}

/** `name` in the directory of `path` (relative paths stay relative). */
function siblingPath(path: string, name: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? name : `${path.slice(0, slash + 1)}${name}`;
}

function isAddress(s: string): boolean {
  const v4 = s.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  if (s.includes(":")) return /^[0-9A-Fa-f:.]+$/.test(s);
  if (/^[\d.]+$/.test(s)) return false; // looks numeric but is not dotted-quad
  // Underscores are not DNS but Docker service names (`comet_db`) resolve with them.
  return /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/.test(s);
}
