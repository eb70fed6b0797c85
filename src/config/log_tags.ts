/**
 * `[log]` per-tag levels (docs/protocol/cometql.md §10.2). Our subsystems are the LogTag names of
 * src/log.ts; the original's tag names are mapped onto them so an original comet.ini keeps its
 * meaning as closely as one tag per subsystem allows.
 */
import type { IniEntry } from "./ini.ts";
import { LOG_TAGS, type LogTag } from "../log.ts";

/** CppComet tag → ours. Several original tags share one of ours; the most verbose one wins. */
const ORIGINAL_TAGS: Record<string, LogTag> = {
  Any: "main",
  TagLoger: "main",
  appConf: "config",
  pipeCommands: "core",
  UserIndex: "core",
  UserItem: "core",
  devManager: "core",
  statistics: "admin",
  removeOldConnections: "ws",
  ClientServer: "ws",
  tcpServer: "ws",
  MySqlServer: "cometql",
  ServerServer: "cluster",
  CometQLCluster: "cluster",
  SimpleRedisClient: "cluster",
  dbLink: "storage",
  FreeswitchServer: "main",
};

/** Tag levels keyed by LogTag; our own names override mapped original ones. */
export function logTagLevels(
  entries: IniEntry[],
  levelOf: (e: IniEntry) => number,
  warnings: string[],
  path: string,
): Record<string, number> {
  const ours: Record<string, number> = {};
  const mapped: Record<string, number> = {};
  for (const e of entries) {
    const level = levelOf(e);
    if ((LOG_TAGS as readonly string[]).includes(e.key)) {
      ours[e.key] = level;
    } else if (ORIGINAL_TAGS[e.key] !== undefined) {
      const tag = ORIGINAL_TAGS[e.key];
      mapped[tag] = Math.max(mapped[tag] ?? 0, level);
    } else {
      warnings.push(`${path}:${e.line}: [log] ${e.key}: unknown log tag (ignored)`);
    }
  }
  return { ...mapped, ...ours };
}
