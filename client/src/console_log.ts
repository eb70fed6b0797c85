/// <reference lib="dom" />
/**
 * Console output with the verbosity the page chose (`setLogLevel`, saved in localStorage
 * `comet_LogLevel`, docs/protocol/websocket.md §9.3). Errors and warnings always print: they are
 * about mistakes in the calling code or refusals from the server.
 */
import { readShared, writeShared } from "./browser_storage.ts";

const LEVEL_KEY = "comet_LogLevel";

/** 0: errors and warnings only; 1: connection events; 2: every frame and command. */
export function getLogLevel(): number {
  if (cachedLevel === undefined) {
    const n = Number(readShared(LEVEL_KEY));
    cachedLevel = Number.isFinite(n) ? n : 0;
  }
  return cachedLevel;
}

export function setLogLevel(level: number): void {
  cachedLevel = Number(level) || 0;
  writeShared(LEVEL_KEY, String(cachedLevel));
}

/** Read once per page: debug logging sits on the per-frame path. */
let cachedLevel: number | undefined;

const PREFIX = "[comet]";

export const log = {
  error(...args: unknown[]): void {
    console.error(PREFIX, ...args);
  },
  warn(...args: unknown[]): void {
    console.warn(PREFIX, ...args);
  },
  /** Connection lifecycle (level ≥ 1). */
  info(...args: unknown[]): void {
    if (getLogLevel() >= 1) console.info(PREFIX, ...args);
  },
  /** Wire traffic (level ≥ 2). */
  debug(...args: unknown[]): void {
    if (getLogLevel() >= 2) console.debug(PREFIX, ...args);
  },
};

/**
 * Runs a user callback so that its exception neither breaks the caller's loop nor disappears: it
 * is reported to the page like an uncaught error.
 */
export function callSafely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (typeof globalThis.reportError === "function") globalThis.reportError(err);
    else {setTimeout(() => {
        throw err;
      });}
  }
}
