/**
 * Replies to one browser's commands (docs/protocol/websocket.md §4.2): the delivery report of a
 * `web_pipe2`, history, pipe counts, user data and status, pipe members. Only the WebSocket side
 * sends them, built from what the core returns; the messages the core fans out to subscribers are
 * in core/messages.ts. Keys in ascending byte order, as there.
 */
import { Outbound } from "../core/outbound.ts";
import type { StreamPosition } from "../core/recovery_window.ts";
import { WireFormat } from "../core/wire_format.ts";
import { escapeForOriginalClient, unixNow } from "../core/messages.ts";

/**
 * S4: the delivery report to the `web_pipe2` sender; `pipe` without the `@`. Our own client
 * (Clean) also learns the position its message got, so a resume does not replay it back
 * (docs/protocol/recovery.md §2).
 */
export function webPipeAnswer(
  pipe: string,
  body: string,
  delivered: number,
  at?: StreamPosition,
  now = unixNow(),
) {
  return new Outbound((format) => {
    const clean = format === WireFormat.Clean;
    const data: Record<string, unknown> = clean && at !== undefined
      ? { epoch: at.epoch, message: body, number_messages: delivered, offset: at.offset }
      : { message: clean ? body : escapeForOriginalClient(body), number_messages: delivered };
    return { data, event: "answer", message_send_time: now, pipe: `_answer_to_${pipe}` };
  });
}

/**
 * S6: one history entry replayed by `pipe_log`. Our own client (Clean) also gets
 * `history:true` and the request's marker, which the original never sent
 * (docs/protocol/websocket.md §3.3).
 */
export function historyMessage(
  pipe: string,
  event: string,
  message: string,
  userId: number,
  time: number,
  marker: string,
): Outbound {
  return new Outbound((format) =>
    format === WireFormat.Clean
      ? {
        data: message,
        event,
        fromQueue: true,
        history: true,
        marker,
        message_send_time: time,
        pipe,
        user_id: userId,
      }
      : {
        data: message,
        event,
        fromQueue: true,
        message_send_time: time,
        pipe,
        user_id: userId,
      }
  );
}

/**
 * S11: `pipe_count` reply; `data` is the array form the original sends (docs/protocol/websocket.md
 * §3.4).
 */
export function pipeCountMessage(count: number, marker: string, now = unixNow()): Outbound {
  return new Outbound(() => ({
    data: ["user_in_pipe", count],
    event: "user_in_pipe",
    marker,
    message_send_time: now,
    pipe: "_answer_pipe_count",
  }));
}

/** S12: `track_pipe_users` reply, newest subscriber first. */
export function trackUsersMessage(
  users: { user_id: number; uuid: string }[],
  marker: string,
  now = unixNow(),
): Outbound {
  return new Outbound(() => ({
    _info: "answer for track_pipe_users",
    data: users,
    event: "answer",
    marker,
    message_send_time: now,
    pipe: "_answer",
  }));
}

/** S13: `user_data` reply. */
export function userDataMessage(
  userId: number,
  userData: string,
  marker: string,
  now = unixNow(),
): Outbound {
  return new Outbound(() => ({
    data: { user_data: userData, user_id: userId },
    event: "answer",
    marker,
    message_send_time: now,
    pipe: "_answer",
  }));
}

/**
 * S14: `user_status` reply, `X = now − T` exactly as the original computes it
 * (docs/protocol/websocket.md §3.7).
 */
export function userStatusMessage(userId: number, lastOnline: number, now = unixNow()) {
  const x = now - lastOnline;
  return new Outbound(() => ({
    data: { data: x, last_online_time: x },
    event: `user_status_${userId}`,
    message_send_time: now,
    pipe: "_answer_user_status",
  }));
}
