/// <reference lib="dom" />
/**
 * The last stream position (epoch, offset) seen for each subscribed pipe, so a reconnect resumes
 * exactly where the page was (docs/protocol/recovery.md §2, §3). Every tab keeps one: the leader
 * from its socket, followers from the traffic the leader relays, so a follower that takes over
 * resumes everyone's pipes.
 */
import type { ServerMessage } from "./message_decoder.ts";

export interface StreamPosition {
  epoch: string;
  offset: number;
}

/** The system pipe on which the server reports how each resumed pipe went (recovery.md §3). */
export const RECOVERY_PIPE = "_recovery";
const ANSWER_PREFIX = "_answer_to_";

export class StreamPositions {
  private readonly byPipe = new Map<string, StreamPosition>();

  get(pipe: string): StreamPosition | undefined {
    return this.byPipe.get(pipe);
  }

  /** Forgets pipes that left the subscription list: a later subscription starts afresh. */
  forget(pipes: Iterable<string>): void {
    for (const pipe of pipes) this.byPipe.delete(pipe);
  }

  /**
   * Learns from one server message. Returns false for a message already seen (same epoch, offset
   * not beyond the known one): the caller drops it, so nothing is delivered twice.
   */
  observe(msg: ServerMessage): boolean {
    const pipe = msg.pipe;
    if (typeof pipe !== "string") return true;
    if (pipe === RECOVERY_PIPE) {
      const at = positionIn(msg.data);
      const of = (msg.data as { pipe?: unknown } | null)?.pipe;
      if (at && typeof of === "string") this.byPipe.set(of, at);
      return true;
    }
    if (pipe.startsWith(ANSWER_PREFIX)) {
      // Our own web_pipe_send: the server does not send it back to us, so move past it (only
      // when it directly follows what we have, or starts a new epoch) or a resume replays it.
      const at = positionIn(msg.data);
      const target = pipe.slice(ANSWER_PREFIX.length);
      const known = this.byPipe.get(target);
      if (at && known && (at.epoch === known.epoch ? at.offset > known.offset : at.offset === 1)) {
        this.byPipe.set(target, at);
      }
      return true;
    }
    const at = positionIn(msg);
    if (!at) return true;
    const known = this.byPipe.get(pipe);
    if (known && known.epoch === at.epoch && at.offset <= known.offset) return false;
    this.byPipe.set(pipe, at);
    return true;
  }
}

function positionIn(value: unknown): StreamPosition | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { epoch, offset } = value as { epoch?: unknown; offset?: unknown };
  if (typeof epoch !== "string" || typeof offset !== "number" || !Number.isSafeInteger(offset)) {
    return undefined;
  }
  return { epoch, offset };
}
