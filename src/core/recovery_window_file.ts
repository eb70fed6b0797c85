/**
 * The recovery window across a graceful restart (docs/protocol/recovery.md §4): saved to a file
 * on stop, loaded and removed at the next start, so the epochs and offsets go on. After a crash
 * there is no file, every pipe starts a new epoch, and resuming clients are told "not recovered".
 */
import type { Logger } from "../log.ts";
import type { RecoveryWindow, WindowSnapshot } from "./recovery_window.ts";

/** Writes the snapshot next to its final name first, so a stop cut short leaves no half file. */
export async function saveWindowFile(
  window: RecoveryWindow,
  path: string,
  log: Logger,
): Promise<void> {
  if (path === "") return; // `[recovery] file =`: not kept across restarts
  const snapshot = window.snapshot();
  if (snapshot.streams.length === 0) return;
  const tmp = `${path}.tmp`;
  try {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    await Deno.writeTextFile(tmp, JSON.stringify(snapshot));
    await Deno.rename(tmp, path);
    const { messages } = window.stats();
    log.info(
      "core",
      `recovery window saved: ${snapshot.streams.length} pipes, ${messages} messages`,
    );
  } catch (e) {
    log.error("core", `recovery window not saved to ${path}: ${e}`);
  }
}

/**
 * Loads the file a graceful stop wrote, then removes it: should this life crash, the next start
 * must not present the same epochs with messages missing.
 */
export async function loadWindowFile(
  window: RecoveryWindow,
  path: string,
  log: Logger,
): Promise<void> {
  if (path === "") return;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      log.error("core", `recovery window not loaded from ${path}: ${e}`);
    }
    return;
  }
  await Deno.remove(path).catch((e) => log.error("core", `cannot remove ${path}: ${e}`));
  const snapshot = parseSnapshot(text);
  if (snapshot === undefined) {
    log.warn("core", `${path} is not a saved recovery window; every pipe starts a new epoch`);
    return;
  }
  window.restore(snapshot);
  const { pipes, messages } = window.stats();
  log.info("core", `recovery window loaded: ${pipes} pipes, ${messages} messages`);
}

/** The snapshot if `text` is one, checked field by field (a file is input like any other). */
export function parseSnapshot(text: string): WindowSnapshot | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as WindowSnapshot;
  if (v === null || typeof v !== "object" || v.version !== 1 || !Array.isArray(v.streams)) {
    return undefined;
  }
  for (const s of v.streams) {
    if (
      s === null || typeof s !== "object" || !Number.isSafeInteger(s.devId) ||
      typeof s.pipe !== "string" || typeof s.epoch !== "string" || !Number.isSafeInteger(s.top) ||
      typeof s.lastPublish !== "number" || !Array.isArray(s.entries)
    ) return undefined;
    let expected = s.top - s.entries.length + 1;
    for (const e of s.entries) {
      if (
        !Array.isArray(e) || e[0] !== expected++ || typeof e[1] !== "number" ||
        typeof e[2] !== "string" || typeof e[3] !== "string" || typeof e[4] !== "number" ||
        typeof e[5] !== "boolean"
      ) return undefined;
    }
  }
  return v;
}
