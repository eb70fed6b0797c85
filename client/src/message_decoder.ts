/// <reference lib="dom" />
/**
 * Server → browser frames into events (docs/protocol/websocket.md §2.2, §4, §9.5). We announce
 * v=5.0, so the server sends bodies exactly as published: a `data` string is JSON-parsed when it is
 * JSON text and otherwise kept byte for byte. None of the original client's backslash-stripping
 * heuristics (§4.3) apply; they would corrupt bodies such as `a\\b`.
 */
import type { CometEvent, UserCountData } from "./public_types.ts";

/** One JSON object as the server sent it; only the keys the client reads are typed. */
export interface ServerMessage {
  data?: unknown;
  event?: string;
  pipe?: string;
  marker?: string;
  user_id?: number | string;
  history?: boolean;
  uuid?: string;
  authorized?: boolean | string;
  [key: string]: unknown;
}

/**
 * Splits a frame into its JSON objects: a frame may batch several, separated by `\n` (§2.2).
 * Lines that are not a JSON object, or have no `data`, are skipped as the original client does.
 */
export function parseFrame(text: string): ServerMessage[] {
  const out: ServerMessage[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // A corrupt line (the original server's 123–125 byte bug, §2.2) is dropped.
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "data" in value) {
      out.push(value as ServerMessage);
    }
  }
  return out;
}

/** A `data` string that is JSON text becomes its value; anything else stays the exact string. */
export function decodeData(data: unknown): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data; // Plain text: delivered exactly as published.
  }
}

/** S1 (§5.7): handled by the client itself and never passed to subscribers. */
export function isServerInfo(msg: ServerMessage): boolean {
  return msg.pipe === "sys" && msg.event === "serverInfo" && "authorized" in msg;
}

/** The authorization state S1 reports; the original also accepts the string "true". */
export function serverInfoAuthorized(msg: ServerMessage): boolean {
  return msg.authorized === true || msg.authorized === "true";
}

/**
 * The key S1 carries, with its first space replaced by `_` as the original client stores it
 * (`getRealUserKey()`, §5.7).
 */
export function serverInfoRealUserKey(msg: ServerMessage): string {
  return String(msg.data ?? "").replace(" ", "_");
}

/** Builds the subscriber-facing event of §9.5 (`fromQueue`, `message_send_time`… are dropped). */
export function toCometEvent(msg: ServerMessage): CometEvent {
  const userId = Number(msg.user_id);
  return {
    data: decodeData(msg.data),
    server_info: {
      user_id: Number.isFinite(userId) ? userId : 0,
      pipe: typeof msg.pipe === "string" ? msg.pipe : undefined,
      event: typeof msg.event === "string" ? msg.event : undefined,
      history: msg.history === true,
      recovered: msg.recovered === true,
      offset: typeof msg.offset === "number" ? msg.offset : undefined,
      marker: typeof msg.marker === "string" ? msg.marker : undefined,
      uuid: typeof msg.uuid === "string" ? msg.uuid : undefined,
    },
  };
}

/**
 * The signals a message is emitted on, in the order of §9.5: its pipe and `pipe.event` (or
 * `msg`/`msg.event` when there is no pipe), its marker, then `comet_server_msg` for catch-all
 * subscribers.
 */
export function signalsOf(msg: ServerMessage): string[] {
  const signals: string[] = [];
  const event = msg.event;
  const hasEvent = typeof event === "string" || typeof event === "number";
  if (typeof msg.pipe === "string" && msg.pipe !== "") {
    signals.push(msg.pipe);
    if (hasEvent) signals.push(`${msg.pipe}.${event}`);
  } else {
    if (hasEvent) signals.push(`msg.${event}`);
    signals.push("msg");
  }
  if (typeof msg.marker === "string" && msg.marker !== "") signals.push(msg.marker);
  signals.push(CATCH_ALL_SIGNAL);
  return signals;
}

/** Every message is emitted here last; function-only subscriptions listen to it (§9.4). */
export const CATCH_ALL_SIGNAL = "comet_server_msg";

/**
 * `pipe_count` reply data in one shape for both documented forms (docs/protocol/websocket.md §3.4):
 * the server's array `["user_in_pipe", N]` and the docs' object `{user_in_pipe: N}` both become the
 * array with an extra `user_in_pipe` property, so `data[1]` and `data.user_in_pipe` both work.
 */
export function normalizeUserCount(data: unknown): UserCountData | unknown {
  let count: number | undefined;
  if (Array.isArray(data) && data.length >= 2) count = Number(data[1]);
  else if (data !== null && typeof data === "object" && "user_in_pipe" in data) {
    count = Number((data as { user_in_pipe: unknown }).user_in_pipe);
  }
  if (count === undefined || !Number.isFinite(count)) return data;
  const result = ["user_in_pipe", count] as unknown as UserCountData;
  result.user_in_pipe = count;
  return result;
}
