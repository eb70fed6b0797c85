/**
 * Resuming one pipe for one connection (docs/protocol/recovery.md §3): replay what it missed,
 * flagged `recovered`, then say how it went on `_recovery`; or say at once that it cannot.
 * Replay frames are built once per kept message and shared by every connection that resumes it.
 */
import { errorMessage, pipeMessage, recoveryMessage, webPipeMessage } from "./messages.ts";
import type { Outbound } from "./outbound.ts";
import type { Recovery, RecoveryWindow, StreamPosition, WindowEntry } from "./recovery_window.ts";
import type { ResumeBuffer } from "./resume_buffers.ts";
import type { Subscriber } from "./subscriber.ts";

/**
 * One pipe of a `resume` command: resume after `from`; without it just subscribe (and learn the
 * position); "invalid": the client sent a position that is not one (told `not_recovered`).
 */
export interface ResumeRequest {
  pipe: string;
  from?: StreamPosition | "invalid";
}

export type ResumeOutcome = "subscribed" | "recovered" | "not_recovered";

/** Sends the replay and the outcome to `sub`, which is already subscribed to the pipe. */
export function resumePipe(
  window: RecoveryWindow,
  sub: Subscriber,
  req: ResumeRequest,
): ResumeOutcome {
  const { pipe, from } = req;
  if (typeof from !== "object") return sendStart(sub, pipe, from, window.position(sub.devId, pipe));
  return sendRecovery(sub, pipe, from, window.since(sub.devId, pipe, from));
}

/**
 * The end of a resume on the shared window (docs/protocol/recovery.md §5), once it listens to
 * the pipe and the stream was read (`answer`; an Error when Redis could not be read): the replay,
 * the outcome, then what arrived live meanwhile above the last replayed offset. Runs
 * synchronously, and `sub` is subscribed by then, so the next message goes straight to it.
 */
export function finishSharedResume(
  sub: Subscriber,
  req: ResumeRequest,
  answer: Recovery | Error,
  held: ResumeBuffer,
): ResumeOutcome {
  const { pipe, from } = req;
  let outcome: ResumeOutcome;
  let last = 0;
  if (answer instanceof Error) {
    sub.send(errorMessage({
      error: `[resume] the window of pipe ${pipe} cannot be read (${answer.message}); ` +
        "live messages only",
      pipe,
    }));
    sub.send(recoveryMessage(pipe, "not_recovered", { epoch: "", offset: 0 }, 0));
    outcome = "not_recovered";
  } else {
    last = answer.position.offset;
    outcome = typeof from === "object"
      ? sendRecovery(sub, pipe, from, answer)
      : sendStart(sub, pipe, from, answer.position);
  }
  for (const f of held.frames) if (f.offset > last) sub.send(f.message);
  return outcome;
}

/**
 * The outcome of a resume without a usable position: `subscribed` when none was given,
 * `not_recovered` when the one given is not a position; either way with the current one.
 */
function sendStart(
  sub: Subscriber,
  pipe: string,
  from: undefined | "invalid",
  position: StreamPosition,
): ResumeOutcome {
  const outcome = from === undefined ? "subscribed" : "not_recovered";
  sub.send(recoveryMessage(pipe, outcome, position, 0));
  return outcome;
}

/**
 * Sends the replay and the outcome of a resume from `from` given what the window answered
 * (shared by the memory window and the shared one, whose answer comes asynchronously).
 */
function sendRecovery(
  sub: Subscriber,
  pipe: string,
  from: StreamPosition,
  result: Recovery,
): ResumeOutcome {
  switch (result.kind) {
    case "recovered":
      for (const entry of result.entries) sub.send(replayOf(pipe, entry));
      sub.send(recoveryMessage(pipe, "recovered", result.position, result.entries.length));
      return "recovered";
    case "ahead":
      sub.send(errorMessage({
        error: `[resume] offset ${from.offset} of pipe ${pipe} is beyond the last one of its ` +
          `epoch (${result.position.offset}); resuming from the current position`,
        pipe,
      }));
      sub.send(recoveryMessage(pipe, "not_recovered", result.position, 0));
      return "not_recovered";
    case "lost":
      sub.send(recoveryMessage(pipe, "not_recovered", result.position, 0));
      return "not_recovered";
  }
}

function replayOf(pipe: string, e: WindowEntry): Outbound {
  return e.replay ??= e.fromBrowser
    ? webPipeMessage(pipe, e.event, e.message, e.userId, e.time, e, true)
    : pipeMessage(pipe, e.event, e.message, e.time, e, true);
}
