/**
 * Resuming one pipe for one connection (docs/protocol/recovery.md §3): replay what it missed,
 * flagged `recovered`, then say how it went on `_recovery`; or say at once that it cannot.
 * Replay frames are built once per kept message and shared by every connection that resumes it.
 */
import { errorMessage, pipeMessage, recoveryMessage, webPipeMessage } from "./messages.ts";
import type { Outbound } from "./outbound.ts";
import type { RecoveryWindow, StreamPosition, WindowEntry } from "./recovery_window.ts";
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
  if (from === undefined) {
    sub.send(recoveryMessage(pipe, "subscribed", window.position(sub.devId, pipe), 0));
    return "subscribed";
  }
  if (from === "invalid") {
    sub.send(recoveryMessage(pipe, "not_recovered", window.position(sub.devId, pipe), 0));
    return "not_recovered";
  }
  const result = window.since(sub.devId, pipe, from);
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
