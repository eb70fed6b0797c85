/// <reference lib="dom" />
/**
 * Random identifiers: the browser uuid, tab ids and request markers (docs/protocol/websocket.md
 * §1.2, §3.0).
 */
import { readShared, writeShared } from "./browser_storage.ts";

/** The uuid alphabet of the original client: `[A-Za-z0-9_-]`, 64 characters. */
const UUID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** `length` characters of `alphabet`, from the platform's cryptographic random source. */
export function randomString(length: number, alphabet = UUID_ALPHABET): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/**
 * A fresh 32-character uuid (the server copies exactly 32 bytes, docs/protocol/websocket.md §1.2).
 */
export function newUuid(): string {
  return randomString(32);
}

/**
 * A reply marker: 10 digits, so it always passes the server's name checker (the original's
 * `Math.random` text could contain a `.` and be refused, docs/protocol/websocket.md §3.0).
 */
export function newMarker(): string {
  return randomString(10, "0123456789");
}

const UUID_KEY = "comet_server_uuid";

/**
 * The browser's uuid, generated once and kept in localStorage `comet_server_uuid` so every tab of
 * the profile reports the same identity in `track_` data.
 */
export function browserUuid(): string {
  const stored = readShared(UUID_KEY);
  if (stored && /^[A-Za-z0-9_-]{32}$/.test(stored)) return stored;
  const uuid = newUuid();
  writeShared(UUID_KEY, uuid);
  return uuid;
}

/**
 * Makes a caller-supplied uuid safe for the URL path: only `[A-Za-z0-9_-]` (an `&` or space would
 * cut the URL) and at most 32 characters.
 */
export function sanitizeUuid(uuid: string): string {
  return uuid.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32);
}
