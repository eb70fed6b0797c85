/**
 * comet.conf → one typed, validated Config with defaults (docs/protocol/cometql.md §10.2).
 *
 * An original comet.ini loads unchanged: CppComet sections and keys we do not use produce
 * warnings, never a failure. Values that are clearly wrong (a port of 70000, `yes please` for a
 * boolean, a non-number) are errors naming file, line and key, where the original silently read
 * garbage as 0 or false.
 */
import { ConfigError, type IniFile, parseIni } from "./ini.ts";
import { IniReader, intOf } from "./ini_reader.ts";
import { type LimitsConfig, readLimits } from "./limits.ts";
import { logTagLevels } from "./log_tags.ts";
import { checkPortClashes } from "./port_clashes.ts";
import { readRedisConfig, type RedisConfig } from "./redis_config.ts";
import { readTransport, type Transport } from "./transport_config.ts";
import { unusedEntryWarnings } from "./unused_entry_warnings.ts";
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

/**
 * The Config of a parsed file: each section of ours with its defaults (the sections with a
 * module of their own are read there), the warnings, then the checks across sections.
 */
export function buildConfig(ini: IniFile): Config {
  const warnings = unusedEntryWarnings(ini);
  const r = new IniReader(ini);
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

/** `name` in the directory of `path` (relative paths stay relative). */
function siblingPath(path: string, name: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? name : `${path.slice(0, slash + 1)}${name}`;
}
