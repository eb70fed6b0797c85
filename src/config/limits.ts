/**
 * `[limits]`: every bound on what a client can make the server hold (issue 13). Each key says in
 * README's "Limits" table what it protects against. Defaults are high enough for the tutorial,
 * the tests and the benchmarks' sizes; time limits are in seconds (MySQL's `connect_timeout` is
 * the model: 10 s).
 *
 * Kept apart from config.ts so other sections can grow there without touching these keys.
 */

export interface LimitsConfig {
  // ---- CometQL port ----
  /** Seconds a CometQL connection may take to log in (MySQL `connect_timeout`). */
  cometqlLoginTimeoutS: number;
  /** Largest packet accepted before login (the handshake response is a few hundred bytes). */
  cometqlPreauthPacketMax: number;
  /** Prepared statements one connection may hold (MySQL `max_prepared_stmt_count`). */
  cometqlPreparedMax: number;
  /** COM_STMT_SEND_LONG_DATA bytes one statement may accumulate (MySQL `max_allowed_packet`). */
  cometqlLongDataMax: number;
  /** Bytes of cell text one result set may hold before the query is refused with an ERR. */
  cometqlResultMaxBytes: number;
  /** Deepest nesting of parentheses and unary operators the SQL parser follows. */
  sqlMaxDepth: number;
  // ---- browser port ----
  /** Seconds from accept to a complete first HTTP request (upgrade or plain). */
  wsHandshakeTimeoutS: number;
  /** Seconds a WebSocket may stay silent before it is dropped; 0 = never (the default). */
  wsIdleTimeoutS: number;
  /** Seconds a started frame or fragmented message may stay unfinished. */
  wsUnfinishedTimeoutS: number;
  /** Bytes of unfinished frames and fragmented messages held for all browsers together. */
  wsUnfinishedTotalMax: number;
  /** Open browser-port connections; 0 = the open-file limit less `fd_reserve`. */
  wsMaxConnections: number;
  /** Open browser-port connections per source address; 0 = no limit (NAT: many users, one IP). */
  wsMaxConnectionsPerIp: number;
  /** File descriptors kept free of browsers (CometQL, storage, static files) under `auto`. */
  fdReserve: number;
  /** Unsent bytes of all browser connections together; past it the largest backlogs go first. */
  wsPendingTotalMax: number;
  /** Static-file bytes read ahead of what the client has taken, per connection. */
  staticPendingMax: number;
  // ---- core ----
  /** Offline users whose last-seen time a node remembers (then storage's `users_time` answers). */
  lastSeenUsersMax: number;
}

/** Reads one integer key of `[limits]` with its default and range (ini_reader.ts's checked `int`). */
export type LimitReader = (key: string, def: number, min: number, max: number) => number;

const MIB = 1024 * 1024;
const DAY_S = 24 * 3600;

export function readLimits(int: LimitReader): LimitsConfig {
  return {
    cometqlLoginTimeoutS: int("cometql_login_timeout", 10, 1, DAY_S),
    cometqlPreauthPacketMax: int("cometql_preauth_packet_max", 8192, 512, 16 * MIB),
    cometqlPreparedMax: int("cometql_prepared_max", 1024, 1, 1048576),
    cometqlLongDataMax: int("cometql_long_data_max", 4 * MIB, 1024, 1 << 30),
    cometqlResultMaxBytes: int("cometql_result_max_bytes", 64 * MIB, 1024, 1 << 30),
    sqlMaxDepth: int("sql_max_depth", 128, 4, 10000),
    wsHandshakeTimeoutS: int("ws_handshake_timeout", 10, 1, DAY_S),
    wsIdleTimeoutS: int("ws_idle_timeout", 0, 0, 30 * DAY_S),
    wsUnfinishedTimeoutS: int("ws_unfinished_timeout", 30, 1, DAY_S),
    wsUnfinishedTotalMax: int("ws_unfinished_total_max", 64 * MIB, 64 * 1024, 1 << 30),
    wsMaxConnections: int("ws_max_connections", 0, 0, 100_000_000),
    wsMaxConnectionsPerIp: int("ws_max_connections_per_ip", 0, 0, 100_000_000),
    fdReserve: int("fd_reserve", 128, 0, 1_000_000),
    wsPendingTotalMax: int("ws_pending_total_max", 256 * MIB, 64 * 1024, 64 * 1024 * MIB),
    staticPendingMax: int("static_pending_max", 256 * 1024, 4096, 1 << 30),
    lastSeenUsersMax: int("last_seen_users_max", 100_000, 0, 100_000_000),
  };
}

/** The keys of `[limits]` (for the unknown-key warnings): those `readLimits` reads. */
export const LIMITS_KEYS: ReadonlySet<string> = (() => {
  const keys = new Set<string>();
  readLimits((key, def) => {
    keys.add(key);
    return def;
  });
  return keys;
})();

/**
 * The soft open-file limit of this process (`/proc/self/limits`), or undefined where it cannot
 * be read (not Linux, no read permission): then `ws_max_connections = 0` means no cap.
 */
export function openFileLimit(): number | undefined {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    if (!m || m[1] === "unlimited") return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}

/** The browser-port connection cap in force: the configured one, or the automatic one. */
export function wsConnectionCap(limits: LimitsConfig): number {
  if (limits.wsMaxConnections > 0) return limits.wsMaxConnections;
  const files = openFileLimit();
  if (files === undefined) return Infinity;
  return Math.max(16, files - limits.fdReserve);
}
