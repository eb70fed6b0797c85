/**
 * comet.conf → one typed, validated Config with defaults (spec: cometql.md §10.2).
 * Keys of the original comet.ini that we do not use produce warnings, never a crash.
 */
import { ConfigError, type IniEntry, type IniFile, parseIni } from "./ini.ts";

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
  connectionAttempts: number;
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
    pidfile: string;
    bufSize: number;
    answerBufSize: number;
    fragmentBufMaxSize: number;
    devIndexSize: number;
    baseDir: string;
  };
  db: DbConfig;
  ws: ListenerConfig & {
    /** Bytes a connection may have queued unsent before it is dropped (slow consumer). */
    maxBacklog: number;
    /** Neighbour nodes, `Server=…,Port=…` strings (spec §11.1). */
    cluster: string[];
  };
  cometql: ListenerConfig & {
    /** Longest accepted COM_QUERY text in bytes. */
    maxQuerySize: number;
  };
  admin: ListenerConfig;
  retention: {
    /** Most messages kept for a `trust_*` pipe (the original kept them forever). */
    trustHistoryLength: number;
    /** Most queued private messages per user; the oldest are dropped beyond it. */
    queueMaxPerUser: number;
    /** Queued private messages older than this many days are dropped (0 = never). */
    queueMaxAgeDays: number;
    /** History rows are written in batches at most this many ms after the publish. */
    historyFlushMs: number;
  };
  log: { level: number; tags: Record<string, number> };
  contentTypes: Record<string, string>;
  warnings: string[];
}

const KNOWN: Record<string, Set<string> | "any"> = {
  main: new Set([
    "password",
    "node_name",
    "useQueryLoger",
    "send_user_online_events",
    "send_user_offline_events",
    "save_users_last_online_time",
    "pidfile",
    "buf_size",
    "answer_buf_size",
    "fragment_buf_size",
    "fragment_buf_max_size",
    "dev_index_size",
    "base_dir",
    "api_version",
    "isTest",
  ]),
  db: new Set([
    "host",
    "user",
    "password",
    "name",
    "port",
    "file",
    "connection_attempts",
    "buf_size",
    "pool_size",
    "query_timeout",
    "connect_timeout",
  ]),
  ws: new Set([
    "ip",
    "port",
    "thread_num",
    "statistics",
    "buf_size",
    "backlog",
    "epoll_size",
    "uptimeTestInterval",
    "maxUptime",
    "cluster",
    "host",
    "benchmark",
    "max_backlog",
  ]),
  cometql: new Set([
    "ip",
    "port",
    "thread_num",
    "statistics",
    "buf_size",
    "backlog",
    "epoll_size",
    "uptimeTestInterval",
    "maxUptime",
    "benchmark",
    "max_query_size",
  ]),
  admin: new Set(["ip", "port"]),
  retention: new Set([
    "trust_history_length",
    "queue_max_per_user",
    "queue_max_age_days",
    "history_flush_ms",
  ]),
  log: "any",
  "content-type": "any",
  statistics: "any",
  benchmark: "any",
  cometqlproxy: "any",
  freeswitch: "any",
  sip: "any",
  http: "any",
};

/** Reads and validates a config file; throws ConfigError naming file, line and key. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(path, 0, "", `cannot read config file: ${(e as Error).message}`);
  }
  return buildConfig(parseIni(text, path));
}

export function buildConfig(ini: IniFile): Config {
  const warnings: string[] = [];
  for (const e of ini.entries) {
    const known = KNOWN[e.section];
    if (known === undefined) {
      warnings.push(`${ini.path}:${e.line}: unknown section [${e.section}] (ignored)`);
    } else if (known !== "any" && !known.has(e.key)) {
      warnings.push(`${ini.path}:${e.line}: unknown key ${e.key} in [${e.section}] (ignored)`);
    }
  }
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
      bufSize: r.int("main", "buf_size", 103840, 1024, 64 * 1024 * 1024),
      answerBufSize: r.int("main", "answer_buf_size", 1000000, 1024, 1 << 30),
      fragmentBufMaxSize: r.int("main", "fragment_buf_max_size", 103840, 1024, 64 * 1024 * 1024),
      devIndexSize: r.int("main", "dev_index_size", 100000, 1, 1 << 30),
      baseDir: r.str("main", "base_dir", ""),
    },
    db: {
      host: r.str("db", "host", ""),
      user: r.str("db", "user", "root"),
      password: r.str("db", "password", ""),
      name: r.str("db", "name", "comet_db"),
      port: r.int("db", "port", 3306, 1, 65535),
      file: r.str("db", "file", "./data/comet.sqlite"),
      connectionAttempts: r.int("db", "connection_attempts", 10, 0, 1000000),
      poolSize: r.int("db", "pool_size", 8, 1, 1000),
      queryTimeoutMs: r.int("db", "query_timeout", 5000, 100, 600000),
      connectTimeoutMs: r.int("db", "connect_timeout", 3000, 100, 600000),
    },
    ws: {
      ip: r.str("ws", "ip", "0.0.0.0"),
      port: r.int("ws", "port", 8087, 0, 65535),
      maxBacklog: r.int("ws", "max_backlog", 4 * 1024 * 1024, 1024, 1 << 30),
      cluster: ini.list("ws", "cluster"),
    },
    cometql: {
      ip: r.str("cometql", "ip", "0.0.0.0"),
      port: r.int("cometql", "port", 3307, 0, 65535),
      maxQuerySize: r.int("cometql", "max_query_size", 1024 * 1024, 9000, 16 * 1024 * 1024 - 1),
    },
    admin: {
      ip: r.str("admin", "ip", "127.0.0.1"),
      port: r.int("admin", "port", 8089, 0, 65535),
    },
    retention: {
      trustHistoryLength: r.int("retention", "trust_history_length", 10000, 1, 10000000),
      queueMaxPerUser: r.int("retention", "queue_max_per_user", 1000, 1, 10000000),
      queueMaxAgeDays: r.int("retention", "queue_max_age_days", 30, 0, 36500),
      historyFlushMs: r.int("retention", "history_flush_ms", 20, 0, 10000),
    },
    log: { level: r.int("log", "level", 400, 0, 600), tags: {} },
    contentTypes: {},
    warnings,
  };
  for (const e of ini.entries) {
    if (e.section === "log" && e.key !== "level") config.log.tags[e.key] = intOf(e, ini.path);
    if (e.section === "content-type") config.contentTypes[e.key] = e.value;
  }
  return config;
}

/** Typed access to ini values with the original's parsing rules and range checks. */
class Reader {
  constructor(private ini: IniFile) {}

  str(section: string, key: string, def: string): string {
    return this.ini.get(section, key)?.value ?? def;
  }

  /** spec §10.1: booleans are true only for `true`, `True`, `TRUE`; we also accept 1/yes/on. */
  bool(section: string, key: string, def: boolean): boolean {
    const e = this.ini.get(section, key);
    if (!e) return def;
    const v = e.value.toLowerCase();
    if (v === "true" || v === "1" || v === "yes" || v === "on") return true;
    if (v === "false" || v === "0" || v === "no" || v === "off") return false;
    throw new ConfigError(this.ini.path, e.line, `${section}] ${key}`, `not a boolean: ${e.value}`);
  }

  int(section: string, key: string, def: number, min: number, max: number): number {
    const e = this.ini.get(section, key);
    if (!e) return def;
    const n = intOf(e, this.ini.path);
    if (n < min || n > max) {
      throw new ConfigError(
        this.ini.path,
        e.line,
        `${section}] ${key}`,
        `${n} is out of range ${min}…${max}`,
      );
    }
    return n;
  }
}

function intOf(e: IniEntry, path: string): number {
  if (!/^-?\d+$/.test(e.value)) {
    throw new ConfigError(path, e.line, `${e.section}] ${e.key}`, `not an integer: ${e.value}`);
  }
  return Number(e.value);
}
