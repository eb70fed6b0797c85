/**
 * The original's name checker (docs/protocol/websocket.md §3.0), used by `pipe_log`, `pipe_count`,
 * `web_pipe2`, `user_data` and `CometQL_call` for pipe, event and marker names: it reads up to
 * `\n` or the end of the payload and accepts 0–65 AZ09 bytes. Its failures are protocol errors
 * with fixed texts, built here as `data` objects for `errorMessage` (docs/protocol/websocket.md
 * §4.2 S2).
 */

/** The byte set `A-Z a-z 0-9 _ -`. */
export function isAz09(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x5f || c === 0x2d;
}

/** docs/protocol/websocket.md §3.1: pipes per connection (`subscription`, and `resume` too). */
export const SUBSCRIPTION_MAX_PIPES = 32;
/** docs/protocol/websocket.md §3.1: longest pipe name in a `subscription` (or `resume`) list. */
export const SUBSCRIPTION_NAME_MAX = 64;

/** 65, one more than intended — the original's off-by-one, kept because clients never notice. */
export const CHECKED_NAME_MAX = 65;

export type CheckedName =
  | { ok: true; value: string; /** Index after the `\n`, or the end. */ next: number }
  | { ok: false; problem: "chars" | "length" };

/** Reads one checked name starting at `from`. */
export function readCheckedName(text: string, from: number): CheckedName {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) break;
    if (!isAz09(c)) return { ok: false, problem: "chars" };
    if (i - from + 1 > CHECKED_NAME_MAX) return { ok: false, problem: "length" };
  }
  return { ok: true, value: text.slice(from, i), next: i < text.length ? i + 1 : i };
}

export type ErrorData = Record<string, unknown>;

export const ERROR_TEXTS = {
  channelChars: "The channel name can only contain characters A-Za-z0-9_-",
  channelLength: "Invalid pipe name length",
  eventChars: "The event name can only contain characters A-Za-z0-9_-",
  eventLength: "Invalid event name length",
} as const;

/** The checker's own error for a pipe or marker name (`number_messages:-1`). */
export function nameCheckError(problem: "chars" | "length"): ErrorData {
  return pipeError(problem === "chars" ? ERROR_TEXTS.channelChars : ERROR_TEXTS.channelLength);
}

/** The checker's own error for an event name (no `number_messages`). */
export function eventCheckError(problem: "chars" | "length"): ErrorData {
  return { error: problem === "chars" ? ERROR_TEXTS.eventChars : ERROR_TEXTS.eventLength };
}

/** `pipe_log`, `pipe_count`, `web_pipe2` shape (§4.2). */
export function pipeError(text: string): ErrorData {
  return { error: text, number_messages: -1 };
}

/** `subscription` shape: `code` is the string "403" (§4.2). */
export function subscriptionError(text: string): ErrorData {
  return { code: "403", error: text };
}

/** `track_pipe_users` shape (§4.2). */
export function trackUsersError(text: string): ErrorData {
  return { error: text, user_id: -1 };
}

/** `user_data` and `CometQL_call` shape (§4.2). */
export function userDataError(text: string): ErrorData {
  return { error: text, user_data: "", user_id: -1 };
}
