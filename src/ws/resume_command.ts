/**
 * `resume` (docs/protocol/recovery.md §3): our client's form of `subscription` that carries,
 * per pipe, the last stream position it saw. One pipe per line, `NAME` or `NAME EPOCH OFFSET`;
 * like `subscription` (docs/protocol/websocket.md §3.1) the list replaces the connection's set. The
 * original client never sends it, and the original server does not know it.
 */
import { Buffer } from "node:buffer";
import type { ResumeRequest } from "../core/stream_resume.ts";
import {
  type ErrorData,
  isAz09,
  SUBSCRIPTION_MAX_PIPES,
  SUBSCRIPTION_NAME_MAX,
} from "./checked_name.ts";

/** Longest accepted argument text: 32 lines of a 64-byte name, a 32-byte epoch and 15 digits. */
export const RESUME_MAX_BYTES = 4096;
const EPOCH = /^[A-Za-z0-9]{1,32}$/;
const OFFSET = /^\d{1,15}$/;

export interface ResumeCommand {
  kind: "resume";
  pipes: ResumeRequest[];
  errors: ErrorData[];
}

export function resumeError(text: string, pipe?: string): ErrorData {
  return pipe === undefined ? { error: `[resume] ${text}` } : { error: `[resume] ${text}`, pipe };
}

/**
 * Every line checked on its own: a bad name is reported and skipped, a bad position is reported
 * and the pipe is subscribed without recovery (the client is told `not_recovered`).
 */
export function parseResume(
  args: string,
  authorized: boolean,
): ResumeCommand | { kind: "invalid"; errors: ErrorData[] } {
  if (Buffer.byteLength(args, "utf8") > RESUME_MAX_BYTES) {
    // Nothing of it is applied: the connection keeps the pipes it had.
    return {
      kind: "invalid",
      errors: [resumeError(`the list is longer than ${RESUME_MAX_BYTES} bytes`)],
    };
  }
  const pipes: ResumeRequest[] = [];
  const errors: ErrorData[] = [];
  const seen = new Set<string>();
  for (const line of args.split("\n")) {
    if (line === "") continue;
    const [name, epoch, offset, ...rest] = line.split(" ");
    if (!isPipeName(name)) {
      errors.push(resumeError(`invalid channel name "${name.slice(0, 70)}"`));
      continue;
    }
    if (seen.has(name)) continue;
    if (pipes.length === SUBSCRIPTION_MAX_PIPES) {
      errors.push(resumeError(`more than ${SUBSCRIPTION_MAX_PIPES} channels`));
      break;
    }
    // As `subscription`: an anonymous connection cannot have `private_*` pipes.
    if (name.startsWith("private_") && !authorized) continue;
    seen.add(name);
    if (epoch === undefined) {
      pipes.push({ pipe: name });
    } else if (
      offset !== undefined && rest.length === 0 && EPOCH.test(epoch) && OFFSET.test(offset)
    ) {
      pipes.push({ pipe: name, from: { epoch, offset: Number(offset) } });
    } else {
      errors.push(
        resumeError("invalid position: expected NAME EPOCH OFFSET (A-Za-z0-9, digits)", name),
      );
      pipes.push({ pipe: name, from: "invalid" });
    }
  }
  return { kind: "resume", pipes, errors };
}

function isPipeName(name: string): boolean {
  if (name.length < 2 || name.length > SUBSCRIPTION_NAME_MAX) return false;
  for (let i = 0; i < name.length; i++) if (!isAz09(name.charCodeAt(i))) return false;
  return true;
}
