/**
 * The server → browser messages the core sends (docs/protocol/websocket.md §4.2, S1–S14): what it
 * fans out to subscribers, resume outcomes and the connection's first frame. The replies to one
 * browser's own commands are built on the WebSocket side (ws/command_replies.ts). Every builder
 * returns an Outbound whose objects have their keys in ascending byte order, as the original's
 * serializer wrote them, so frames are byte-identical to CppComet's for the same values.
 */
import { Outbound } from "./outbound.ts";
import type { StreamPosition } from "./recovery_window.ts";
import { WireFormat } from "./wire_format.ts";

export const SERVER_NAME = "CppComet community 4.09 (AGPL license)";

/** Unix seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * E′ of docs/protocol/websocket.md §4.3: MySQL string escaping without the apostrophe rule. The
 * original client decodes it to the exact body (its stripslashes step), including bodies that
 * contain `'`.
 */
export function escapeForOriginalClient(body: string): string {
  // deno-lint-ignore no-control-regex -- NUL and 0x1A are exactly what MySQL escapes
  return body.replace(/[\\"\n\r\0\x1a]/g, (c) => ESCAPES[c]);
}
const ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  '"': '\\"',
  "\n": "\\n",
  "\r": "\\r",
  "\0": "\\0",
  "\x1a": "\\Z",
};

/** S1: always the first frame after the handshake (docs/protocol/websocket.md §1.3, §5.7). */
export function serverInfo(authorized: boolean, hash: string, now = unixNow()): Outbound {
  return new Outbound(() => ({
    authorized,
    data: hash,
    event: "serverInfo",
    message_send_time: now,
    pipe: "sys",
    server: SERVER_NAME,
  }));
}

/** S2: an error frame; `data` is one of the shapes of docs/protocol/websocket.md §4.2. */
export function errorMessage(data: Record<string, unknown>, now = unixNow()): Outbound {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(data).sort()) sorted[k] = data[k];
  return new Outbound(() => ({
    data: sorted,
    event: "error",
    message_send_time: now,
    pipe: "sys",
  }));
}

/**
 * S3: a `web_pipe2` message delivered to the pipe's other subscribers. Our own client (Clean)
 * also gets the message's stream position, and `recovered: true` when it is replayed
 * (docs/protocol/recovery.md §2); the original's formats never carry them.
 */
export function webPipeMessage(
  pipe: string,
  event: string,
  body: string,
  userId: number,
  now = unixNow(),
  at?: StreamPosition,
  recovered = false,
): Outbound {
  let escaped: string | undefined;
  return new Outbound((format) =>
    format === WireFormat.Clean
      ? positioned(
        { data: body, event, message_send_time: now, pipe, user_id: userId },
        at,
        recovered,
      )
      : {
        data: escaped ??= escapeForOriginalClient(body),
        event,
        message_send_time: now,
        pipe,
        user_id: userId,
      }
  );
}

/**
 * The Clean-format object with `epoch`, `offset` (and `recovered`) added in ascending key order
 * (docs/protocol/recovery.md §2). Without a position it is the object unchanged.
 */
function positioned(
  o: { data: unknown; event: string; message_send_time: number; pipe: string; user_id?: number },
  at: StreamPosition | undefined,
  recovered: boolean,
): Record<string, unknown> {
  if (at === undefined) return o;
  const out: Record<string, unknown> = {
    data: o.data,
    epoch: at.epoch,
    event: o.event,
    message_send_time: o.message_send_time,
    offset: at.offset,
    pipe: o.pipe,
  };
  if (recovered) out.recovered = true;
  if (o.user_id !== undefined) out.user_id = o.user_id;
  return out;
}

/**
 * S5: a message published through CometQL `INSERT INTO pipes_messages`; for our own client
 * with its position (see `webPipeMessage`).
 */
export function pipeMessage(
  pipe: string,
  event: string,
  message: string,
  now = unixNow(),
  at?: StreamPosition,
  recovered = false,
) {
  return new Outbound((format) =>
    format === WireFormat.Clean
      ? positioned({ data: message, event, message_send_time: now, pipe }, at, recovered)
      : { data: message, event, message_send_time: now, pipe }
  );
}

/**
 * The result of resuming one pipe (docs/protocol/recovery.md §3), on the system pipe
 * `_recovery`: `subscribed` (no position was given), `recovered` (after the replayed messages) or
 * `not_recovered` (before any live message). `data` carries the position to continue from.
 */
export function recoveryMessage(
  pipe: string,
  outcome: "subscribed" | "recovered" | "not_recovered",
  at: StreamPosition,
  replayed: number,
  now = unixNow(),
): Outbound {
  return new Outbound(() => ({
    data: { epoch: at.epoch, offset: at.offset, pipe, replayed },
    event: outcome,
    message_send_time: now,
    pipe: "_recovery",
  }));
}

/** S7: a live private message (no timestamp, docs/protocol/websocket.md §6). */
export function privateMessage(event: string, message: string): Outbound {
  return new Outbound(() => ({ data: message, event, pipe: "msg" }));
}

/** S8: a private message delivered from the offline queue. */
export function queuedPrivateMessage(event: string, message: string, time: number): Outbound {
  return new Outbound(() => ({
    data: message,
    event,
    fromQueue: true,
    message_send_time: time,
    pipe: "msg",
  }));
}

/** S9: presence on `user_status_<id>`. */
export function presenceMessage(userId: number, online: boolean): Outbound {
  const word = online ? "online" : "offline";
  return new Outbound(() => ({ data: word, event: word, pipe: `user_status_${userId}` }));
}

/** S10: someone (un)subscribed a `track_*` pipe. */
export function trackMessage(
  pipe: string,
  kind: "subscription" | "unsubscription",
  userId: number,
  uuid: string,
  now = unixNow(),
): Outbound {
  return new Outbound(() => ({
    data: { user_id: userId, uuid },
    event: kind,
    message_send_time: now,
    pipe,
  }));
}
