/**
 * What a SIGHUP reload can apply to a running server, and what needs a restart. Reloadable:
 * log levels, `[main] password`, `[admin] api_key` and the user online/offline/last-time switches —
 * values read at use time. Listeners, storage and buffers are fixed at start.
 */
import type { Config } from "./config.ts";

export interface ConfigChanges {
  /** Reloadable settings that differ, as `section.key` names (values are never listed). */
  applied: string[];
  /** Settings that differ but only take effect after a restart. */
  needRestart: string[];
}

const RELOADABLE = new Set([
  "log.level",
  "log.tags",
  "main.password",
  "admin.apiKey",
  "main.sendUserOnlineEvents",
  "main.sendUserOfflineEvents",
  "main.saveUsersLastOnlineTime",
]);

/** Compares two configs key by key (one level below each section; `warnings` are not config). */
export function configChanges(running: Config, next: Config): ConfigChanges {
  const changes: ConfigChanges = { applied: [], needRestart: [] };
  const sections = new Set([...Object.keys(running), ...Object.keys(next)]) as Set<keyof Config>;
  for (const section of sections) {
    if (section === "warnings" || section === "path") continue;
    const a = running[section] as unknown as Record<string, unknown>;
    const b = next[section] as unknown as Record<string, unknown>;
    // An optional section (`redis`) added or removed is one change of the whole section.
    const whole = section === "contentTypes" || a === undefined || b === undefined;
    const keys = whole ? [""] : Object.keys(b);
    for (const key of keys) {
      const same = key === ""
        ? JSON.stringify(a) === JSON.stringify(b)
        : JSON.stringify(a[key]) === JSON.stringify(b[key]);
      if (same) continue;
      const name = key === "" ? section : `${section}.${key}`;
      (RELOADABLE.has(name) ? changes.applied : changes.needRestart).push(name);
    }
  }
  return changes;
}

/** Copies the reloadable values of `next` into the running config object (shared by the core). */
export function applyReloadable(running: Config, next: Config): void {
  running.log.level = next.log.level;
  running.log.tags = { ...next.log.tags };
  running.main.password = next.main.password;
  running.admin.apiKey = next.admin.apiKey;
  running.main.sendUserOnlineEvents = next.main.sendUserOnlineEvents;
  running.main.sendUserOfflineEvents = next.main.sendUserOfflineEvents;
  running.main.saveUsersLastOnlineTime = next.main.saveUsersLastOnlineTime;
}
