/**
 * Warnings for the sections and keys of a comet.conf that have no effect: typos, and the settings
 * of CppComet's comet.ini that this server does not use (an original file loads unchanged, and
 * the log says what in it is ignored and why).
 */
import type { IniFile } from "./ini.ts";
import { LIMITS_KEYS } from "./limits.ts";
import { REDIS_KEYS } from "./redis_config.ts";

/** Keys each section of ours reads. `"any"`: every key is data (log tags, mime types). */
const USED: Record<string, ReadonlySet<string> | "any"> = {
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

/** Warnings for sections and keys that have no effect, so typos and dead settings are visible. */
export function unusedEntryWarnings(ini: IniFile): string[] {
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
