/// <reference lib="dom" />
/**
 * localStorage that never throws: it is missing in workers and some embedded browsers, and throws
 * in privacy modes or when full. Values then live in memory for this page only, which is all the
 * client needs them for (docs/protocol/websocket.md §9.1 lists the keys it shares between tabs).
 */

const memory = new Map<string, string>();

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    // Accessing localStorage throws a SecurityError when storage is disabled: use memory.
    return undefined;
  }
}

/** Reads a value shared by the tabs of this browser profile. */
export function readShared(key: string): string | null {
  const s = storage();
  if (s) {
    try {
      const value = s.getItem(key);
      if (value !== null) return value;
    } catch {
      // Disabled storage: fall through to the in-memory copy.
    }
  }
  return memory.get(key) ?? null;
}

/** Writes a value shared by the tabs of this browser profile (and always keeps a memory copy). */
export function writeShared(key: string, value: string): void {
  memory.set(key, value);
  const s = storage();
  if (!s) return;
  try {
    s.setItem(key, value);
  } catch {
    // Quota exceeded or storage disabled: the memory copy above still serves this page.
  }
}
