/**
 * What one node tells the others (issue 12), encoded once per publish as a compact JSON array
 * and decoded once per receiving node, which then builds one Outbound for its own subscribers
 * (encoded once per wire format, as for a local publish). Message times travel with the
 * message, so every node's frames carry the same `message_send_time`.
 *
 * With the shared recovery window (`[redis]`, docs/protocol/recovery.md §5) pipe and web messages
 * also carry their stream position: the publish script appends `,"<epoch>",<offset>]` to the
 * encoding without its closing bracket (`encodeUnpositioned`), so every node's frames carry the
 * position Redis gave the message.
 */
import type { StreamPosition } from "./recovery_window.ts";

export type ClusterMessage =
  /** S5: CometQL `INSERT INTO pipes_messages`. */
  | {
    kind: "pipe";
    devId: number;
    pipe: string;
    event: string;
    message: string;
    time: number;
    at?: StreamPosition;
  }
  /** S3: browser `web_pipe2` (the sender is on the publishing node). */
  | {
    kind: "web";
    devId: number;
    pipe: string;
    event: string;
    body: string;
    userId: number;
    time: number;
    /** `<node id>:<connection id>` of the sender, excluded by its own node (shared window). */
    origin?: string;
    at?: StreamPosition;
  }
  /** S9: a user's first/last connection anywhere. */
  | { kind: "presence"; devId: number; userId: number; online: boolean }
  /** S10: someone (un)subscribed a `track_*` pipe. */
  | {
    kind: "track";
    devId: number;
    pipe: string;
    unsubscribed: boolean;
    userId: number;
    uuid: string;
    time: number;
  }
  /** S7: a live private message for the user's connections on the receiving node. */
  | { kind: "private"; devId: number; userId: number; event: string; message: string }
  /** The user's offline queue got a message: a node holding the user hands the queue out. */
  | { kind: "queued"; devId: number; userId: number }
  /** The user's auth hash changed: drop the cached one; `kick` drops the connections too. */
  | { kind: "auth"; devId: number; userId: number; kick: boolean }
  /** A pipe's history length changed (null: settings deleted). */
  | { kind: "pipeLength"; devId: number; pipe: string; length: number | null };

const CODES = {
  pipe: "p",
  web: "w",
  presence: "s",
  track: "t",
  private: "m",
  queued: "q",
  auth: "a",
  pipeLength: "l",
} as const;

/**
 * A pipe or web message encoded without its position and closing bracket: the shared window's
 * publish script completes it with the position it assigns.
 */
export function encodeUnpositioned(m: ClusterMessage & { kind: "pipe" | "web" }): string {
  const text = m.kind === "pipe"
    ? JSON.stringify([CODES.pipe, m.devId, m.pipe, m.event, m.message, m.time])
    : JSON.stringify([CODES.web, m.devId, m.pipe, m.event, m.body, m.userId, m.time, m.origin]);
  return text.slice(0, -1);
}

export function encodeClusterMessage(m: ClusterMessage): string {
  switch (m.kind) {
    case "pipe":
    case "web":
      return m.at === undefined
        ? encodeUnpositioned(m) + "]"
        : `${encodeUnpositioned(m)},${JSON.stringify(m.at.epoch)},${m.at.offset}]`;
    case "presence":
      return JSON.stringify([CODES.presence, m.devId, m.userId, m.online ? 1 : 0]);
    case "track":
      return JSON.stringify([
        CODES.track,
        m.devId,
        m.pipe,
        m.unsubscribed ? 1 : 0,
        m.userId,
        m.uuid,
        m.time,
      ]);
    case "private":
      return JSON.stringify([CODES.private, m.devId, m.userId, m.event, m.message]);
    case "queued":
      return JSON.stringify([CODES.queued, m.devId, m.userId]);
    case "auth":
      return JSON.stringify([CODES.auth, m.devId, m.userId, m.kick ? 1 : 0]);
    case "pipeLength":
      return JSON.stringify([CODES.pipeLength, m.devId, m.pipe, m.length]);
  }
}

/** The message, or undefined for text no node of this version wrote. */
export function decodeClusterMessage(text: string): ClusterMessage | undefined {
  let a: unknown;
  try {
    a = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(a) || typeof a[1] !== "number") return undefined;
  const devId = a[1];
  switch (a[0]) {
    case CODES.pipe:
      return {
        kind: "pipe",
        devId,
        pipe: a[2],
        event: a[3],
        message: a[4],
        time: a[5],
        at: positionOf(a[6], a[7]),
      };
    case CODES.web:
      return {
        kind: "web",
        devId,
        pipe: a[2],
        event: a[3],
        body: a[4],
        userId: a[5],
        time: a[6],
        origin: typeof a[7] === "string" ? a[7] : undefined,
        at: positionOf(a[8], a[9]),
      };
    case CODES.presence:
      return { kind: "presence", devId, userId: a[2], online: a[3] === 1 };
    case CODES.track:
      return {
        kind: "track",
        devId,
        pipe: a[2],
        unsubscribed: a[3] === 1,
        userId: a[4],
        uuid: a[5],
        time: a[6],
      };
    case CODES.private:
      return { kind: "private", devId, userId: a[2], event: a[3], message: a[4] };
    case CODES.queued:
      return { kind: "queued", devId, userId: a[2] };
    case CODES.auth:
      return { kind: "auth", devId, userId: a[2], kick: a[3] === 1 };
    case CODES.pipeLength:
      return { kind: "pipeLength", devId, pipe: a[2], length: a[3] };
  }
  return undefined;
}

function positionOf(epoch: unknown, offset: unknown): StreamPosition | undefined {
  return typeof epoch === "string" && typeof offset === "number" ? { epoch, offset } : undefined;
}
