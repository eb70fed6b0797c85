/**
 * Browser → server commands (docs/protocol/websocket.md §3), parsed and validated into typed
 * values. Keywords are matched as prefixes in the original's order and exactly one separator byte
 * is skipped. Validation failures become the exact error `data` objects of §3/§4.2; running a
 * command against the core is `command_runner.ts`'s job.
 */
import { Buffer } from "node:buffer";
import {
  type ErrorData,
  eventCheckError,
  isAz09,
  nameCheckError,
  pipeError,
  readCheckedName,
  SUBSCRIPTION_MAX_PIPES,
  SUBSCRIPTION_NAME_MAX,
  subscriptionError,
  trackUsersError,
  userDataError,
} from "./checked_name.ts";
import { parseResume, type ResumeCommand } from "./resume_command.ts";

export type BrowserCommand =
  | { kind: "subscription"; pipes: string[]; errors: ErrorData[]; close: boolean }
  | { kind: "webPipe"; pipe: string; event: string; body: string; anonymous: boolean }
  | { kind: "pipeLog"; pipe: string; marker: string }
  | { kind: "pipeCount"; pipe: string; marker: string }
  | { kind: "trackPipeUsers"; pipe: string; marker: string }
  | { kind: "userData"; marker: string; userId: number }
  | { kind: "userStatus"; userId: number }
  | { kind: "cometqlCall"; marker: string; token: string }
  /** Our client's `subscription` with stream positions (docs/protocol/recovery.md §3). */
  | ResumeCommand
  /** `statistics`, `cgi_call`: accepted, no effect, no reply (docs/protocol/websocket.md §3.8). */
  | { kind: "ignored" }
  /** Validation failed: send these errors, keep the connection. */
  | { kind: "invalid"; errors: ErrorData[] }
  /** No known keyword: the connection is closed (§3.0). */
  | { kind: "unknown" };

/** Matching order of the original (§3.0). */
const KEYWORDS = [
  "subscription",
  "user_status",
  "pipe_count",
  "statistics",
  "web_pipe2",
  "pipe_log",
  "track_pipe_users",
  "user_data",
  "cgi_call",
  "CometQL_call",
  // Ours, after all of the original's: no original command starts with it.
  "resume",
] as const;

/** `authorized`: the connection passed §5 auth (its user id is not 0). */
export function parseCommand(payload: string, authorized: boolean): BrowserCommand {
  const keyword = KEYWORDS.find((k) => payload.startsWith(k));
  if (keyword === undefined) return { kind: "unknown" };
  const args = payload.slice(keyword.length + 1);
  switch (keyword) {
    case "subscription":
      return parseSubscription(args, authorized);
    case "web_pipe2":
      return parseWebPipe(args, authorized);
    case "pipe_log":
      return parsePipeAndMarker(args, "pipeLog", "Invalid channel name.", "Invalid marker value.");
    case "pipe_count":
      return parsePipeCount(args);
    case "track_pipe_users":
      return parseTrackPipeUsers(args);
    case "user_data":
      return parseUserData(args);
    case "user_status":
      return { kind: "userStatus", userId: leadingInteger(args) ?? 0 };
    case "CometQL_call":
      return parseCometqlCall(args);
    case "resume":
      return parseResume(args, authorized);
    case "statistics":
    case "cgi_call":
      return { kind: "ignored" };
  }
}

/** §3.1: longest accepted argument text, in bytes. */
export const SUBSCRIPTION_MAX_BYTES = 2176;

/**
 * §3.1: names are maximal AZ09 runs (any other byte separates, which also fixes the original's
 * unchecked first byte after a separator). The list replaces the connection's set.
 */
function parseSubscription(args: string, authorized: boolean): BrowserCommand {
  if (Buffer.byteLength(args, "utf8") > SUBSCRIPTION_MAX_BYTES) {
    return { kind: "subscription", pipes: [], errors: [tooManyLetters()], close: true };
  }
  const pipes: string[] = [];
  const errors: ErrorData[] = [];
  let i = 0;
  while (i < args.length) {
    while (i < args.length && !isAz09(args.charCodeAt(i))) i++;
    const start = i;
    while (i < args.length && isAz09(args.charCodeAt(i))) i++;
    const name = args.slice(start, i);
    if (name.length < 2) break; // the rest of the list is ignored silently
    if (name.length > SUBSCRIPTION_NAME_MAX) {
      errors.push(subscriptionError("Channel name is too long"));
      return { kind: "subscription", pipes, errors, close: true };
    }
    if (pipes.length === SUBSCRIPTION_MAX_PIPES) {
      errors.push(tooManyLetters());
      break;
    }
    // [BUG] fix: an anonymous `private_*` name is skipped alone, not with the rest of the list.
    if (name.startsWith("private_") && !authorized) continue;
    pipes.push(name);
  }
  return { kind: "subscription", pipes, errors, close: false };
}

function tooManyLetters(): ErrorData {
  return subscriptionError("Too many letters");
}

/** §3.2: `web_pipe2\nPIPE\nEVENT\nA\nBODY`, validated in the original's order. */
function parseWebPipe(args: string, authorized: boolean): BrowserCommand {
  let from = 0;
  const anonymous = args.startsWith("@web_");
  if (anonymous) {
    from = 1;
  } else if (args.startsWith("webauth_")) {
    if (!authorized) {
      return invalid(
        pipeError(
          "[webauth_pipe_msg2] Invalid user auth. In to channel with name like webauth_* " +
            "can not send messages anonim users",
        ),
      );
    }
  } else if (!args.startsWith("web_")) {
    return invalid(
      pipeError("[pipe_msg2] Invalid channel name. The channel should begin with web_"),
    );
  }
  const pipe = readCheckedName(args, from);
  if (!pipe.ok) return invalid(nameCheckError(pipe.problem));
  const event = readCheckedName(args, pipe.next);
  if (!event.ok) return invalid(eventCheckError(event.problem));
  const a = event.next;
  if (a >= args.length || args.charCodeAt(a + 1) !== 0x0a) {
    return invalid(pipeError("Invalid value auth_type"));
  }
  return {
    kind: "webPipe",
    pipe: pipe.value,
    event: event.value,
    body: args.slice(a + 2),
    anonymous,
  };
}

/** `pipe_log` (§3.3) and `pipe_count` (§3.4): two checked names, each with a second error. */
function parsePipeAndMarker(
  args: string,
  kind: "pipeLog" | "pipeCount",
  pipeText: string,
  markerText: string,
): BrowserCommand {
  const pipe = readCheckedName(args, 0);
  if (!pipe.ok) return invalid(nameCheckError(pipe.problem), pipeError(pipeText));
  const marker = readCheckedName(args, pipe.next);
  if (!marker.ok) return invalid(nameCheckError(marker.problem), pipeError(markerText));
  return { kind, pipe: pipe.value, marker: marker.value };
}

/** §3.4: only `web_*` and `track_*`; the prefix error carries no marker. */
function parsePipeCount(args: string): BrowserCommand {
  const cmd = parsePipeAndMarker(args, "pipeCount", "Invalid pipe name.", "Invalid pipe name.");
  if (cmd.kind !== "pipeCount") return cmd;
  if (!cmd.pipe.startsWith("web_") && !cmd.pipe.startsWith("track_")) {
    return invalid(
      pipeError("[pipe_count] Invalid channel name. The channel should start with web_"),
    );
  }
  return cmd;
}

/** Tokens of `track_pipe_users` are cut here (§3.5); the original read the excess as the next. */
const TRACK_TOKEN_MAX = 64;

/** §3.5: two whitespace-separated tokens, no charset check, the pipe must be `track_*`. */
function parseTrackPipeUsers(args: string): BrowserCommand {
  const [pipe = "", marker = ""] = args.split(/\s+/).filter((t) => t !== "")
    .map((t) => t.slice(0, TRACK_TOKEN_MAX));
  if (!pipe.startsWith("track_")) {
    return invalid(
      trackUsersError(
        "[track_pipe_users] Invalid channel name. The channel should start with track_",
      ),
    );
  }
  return { kind: "trackPipeUsers", pipe, marker };
}

/** §3.6: `user_data\nMARKER\nUSER_ID`. */
function parseUserData(args: string): BrowserCommand {
  const marker = readCheckedName(args, 0);
  if (!marker.ok) {
    return invalid(nameCheckError(marker.problem), userDataError("Invalid marker name."));
  }
  const userId = leadingInteger(args.slice(marker.next));
  if (userId === undefined) return invalid(userDataError("Invalid user id"));
  return { kind: "userData", marker: marker.value, userId };
}

/** §3.8: `CometQL_call\nMARKER\nJWT`; checked, then nothing happens. */
function parseCometqlCall(args: string): BrowserCommand {
  const marker = readCheckedName(args, 0);
  if (!marker.ok) {
    return invalid(nameCheckError(marker.problem), userDataError("Invalid marker name."));
  }
  return { kind: "cometqlCall", marker: marker.value, token: args.slice(marker.next).trim() };
}

/** A leading integer as `strtol` reads it: optional whitespace and sign, then digits. */
function leadingInteger(text: string): number | undefined {
  const m = /^\s*([+-]?\d{1,15})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function invalid(...errors: ErrorData[]): BrowserCommand {
  return { kind: "invalid", errors };
}
