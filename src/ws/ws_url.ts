/**
 * The WebSocket URL (docs/protocol/websocket.md §1.2): parameters sit in the path and are read by
 * position, as the original does, so any URL the original accepted means the same here:
 *
 *   /ws/sesion=KEY&myid=UID&devid=DEV&v=MAJOR.MINOR&uuid=UUID&api=js
 *
 * Errors are values carrying the exact §1.4 text; the listener sends them after the 101.
 */
import { WireFormat, wireFormatOf } from "../core/wire_format.ts";
import { MAX_TOKEN_LENGTH } from "../core/user_auth.ts";

export interface WsParams {
  /** Auth hash or JWT (§5); "undefined" when the client had none. */
  key: string;
  /** 0 = anonymous. */
  userId: number;
  devId: number;
  major: number;
  minor: number;
  format: WireFormat;
  /** At most 32 characters, "" when absent. */
  uuid: string;
}

export interface WsUrlError {
  code: 401 | 406 | 418;
  /** `data.error`, exactly as the original words it (§1.4). */
  text: string;
  /** Legacy unless a MAJOR ≥ 4 was already parsed (§1.4). */
  format: WireFormat;
}

export const URL_ERRORS = {
  noKey: "Error code 401(Invalid request, session ID not found)",
  noUserId: "Error code 401(Invalid request, the user ID can not be found)",
  noDevId: "Error code 406(Invalid request, no public key found [1])",
  noVersion: "Error code 418(Invalid request Not assigned client api version)\n",
} as const;

/** The `=` must appear within the first 2000 bytes of the request (§1.2). */
const KEY_SCAN_LIMIT = 2000;
const UUID_LENGTH = 32;
/** Numbers are accumulated in a 32-bit int by the original; longer ones are not numbers. */
const MAX_DIGITS = 9;

/**
 * Parses the request target of a WebSocket upgrade. `devIndexSize` is `[main] dev_index_size`:
 * larger tenant numbers mean tenant 0.
 */
export function parseWsUrl(target: string, devIndexSize: number): WsParams | WsUrlError {
  const legacy = WireFormat.Legacy;
  const eq = target.indexOf("=");
  if (eq < 0 || eq >= KEY_SCAN_LIMIT) return { code: 401, text: URL_ERRORS.noKey, format: legacy };
  const amp1 = target.indexOf("&", eq + 1);
  if (amp1 < 0) return { code: 401, text: URL_ERRORS.noUserId, format: legacy };
  const key = target.slice(eq + 1, amp1);
  // §1.2: the original's behaviour was undefined for long keys; the limit is the token one (§5.2).
  if (key.length >= MAX_TOKEN_LENGTH) return { code: 401, text: URL_ERRORS.noKey, format: legacy };

  // myid: 5 bytes ("myid=") after the 1st `&`, up to the next `&`. The name is not checked.
  const amp2 = target.indexOf("&", amp1 + 1);
  const userId = amp2 < 0 ? 0 : decimalOrZero(target.slice(amp1 + 6, amp2));
  if (amp2 < 0) return { code: 406, text: URL_ERRORS.noDevId, format: legacy };

  // devid: 6 bytes ("devid=") after the 2nd `&`.
  const amp3 = target.indexOf("&", amp2 + 1);
  let devId = decimalOrZero(target.slice(amp2 + 7, amp3 < 0 ? target.length : amp3));
  if (devId > devIndexSize) devId = 0;
  if (amp3 < 0) return { code: 418, text: URL_ERRORS.noVersion, format: legacy };

  // v: 2 bytes ("v=") after the 3rd `&`; MAJOR up to `.`, MINOR up to the next `&`.
  const versionAt = amp3 + 3;
  const dot = target.indexOf(".", versionAt);
  const amp3b = target.indexOf("&", versionAt);
  if (dot < 0 || (amp3b >= 0 && amp3b < dot)) {
    return { code: 418, text: URL_ERRORS.noVersion, format: legacy };
  }
  const major = decimal(target.slice(versionAt, dot));
  if (major === undefined) return { code: 418, text: URL_ERRORS.noVersion, format: legacy };
  const format = wireFormatOf(major);
  // Compat difference: the original also required an `&` after MINOR; the end of the URL is
  // accepted here too, which only turns an error into a working connection.
  const amp4 = target.indexOf("&", dot + 1);
  const minor = decimal(target.slice(dot + 1, amp4 < 0 ? target.length : amp4));
  if (minor === undefined) return { code: 418, text: URL_ERRORS.noVersion, format };

  let uuid = "";
  if (amp4 >= 0 && target.startsWith("uuid=", amp4 + 1)) {
    // [BUG] fix (§1.2): stop at `&`, space or 32 characters instead of copying what follows.
    const from = amp4 + 6;
    let to = from;
    while (to < target.length && to - from < UUID_LENGTH) {
      const c = target.charCodeAt(to);
      if (c === 0x26 || c === 0x20) break;
      to++;
    }
    uuid = target.slice(from, to);
  }
  return { key, userId, devId, major, minor, format, uuid };
}

export function isWsUrlError(r: WsParams | WsUrlError): r is WsUrlError {
  return "code" in r;
}

/** Decimal digits, at most 9 after leading zeros → the number; anything else → undefined. */
function decimal(text: string): number | undefined {
  if (text.length === 0) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const significant = text.replace(/^0+/, "");
  return significant.length > MAX_DIGITS ? undefined : Number(text);
}

/** docs/protocol/websocket.md §1.2: non-numeric (e.g. `undefined`) or negative → 0. */
function decimalOrZero(text: string): number {
  return decimal(text) ?? 0;
}
