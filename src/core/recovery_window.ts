/**
 * The recovery window (docs/protocol/recovery.md): every pipe's stream of published messages gets
 * a position — an epoch and an increasing offset — and the last messages of each pipe are kept so
 * a subscription resumed after a reconnect gets exactly what it missed, or is told it cannot.
 *
 * This is the engine interface; `memory_recovery_window.ts` is the single-node driver. The core
 * calls `append` once per publish (the hot path: O(1), no per-subscriber work) and `since` when a
 * connection resumes a pipe.
 */
import type { Outbound } from "./outbound.ts";

/** Where a message sits in its pipe's stream; the epoch changes when continuity is lost. */
export interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** One published message as the window keeps it; it is also the message's position. */
export interface WindowEntry extends StreamPosition {
  /** Unix seconds of the publish (the frame's `message_send_time`). */
  readonly time: number;
  readonly event: string;
  /** The body exactly as published. */
  readonly message: string;
  /** The sender of a browser publish (S3); 0 for the backend or an anonymous sender. */
  readonly userId: number;
  /** true: published by a browser (`web_pipe2`, S3); false: by CometQL (S5). */
  readonly fromBrowser: boolean;
  /** The replay frame, built by the first resume that needs it and shared by the next ones. */
  replay?: Outbound;
}

/** The answer to "what did I miss since `from`". */
export type Recovery =
  /** `entries` (possibly none) are exactly the messages after `from`, in order. */
  | { kind: "recovered"; entries: readonly WindowEntry[]; position: StreamPosition }
  /** The stream's continuity is lost for this client: another epoch, or the gap left the window. */
  | { kind: "lost"; reason: "epoch" | "gap"; position: StreamPosition }
  /** `from` cannot have been seen: an offset beyond the last one of this epoch. */
  | { kind: "ahead"; position: StreamPosition };

/** What a graceful stop saves and the next start loads (same epochs, same offsets). */
export interface WindowSnapshot {
  version: 1;
  streams: {
    devId: number;
    pipe: string;
    epoch: string;
    top: number;
    lastPublish: number;
    entries: [
      offset: number,
      time: number,
      event: string,
      message: string,
      userId: number,
      fromBrowser: boolean,
    ][];
  }[];
}

export interface RecoveryWindow {
  /**
   * Called once per publish to a pipe: assigns the next offset and keeps the message. Returns
   * its position, or undefined when recovery is off. (Positional arguments: this is the hot path
   * and the entry is the only allocation.) `time` is Unix seconds, `fromBrowser` as in WindowEntry.
   */
  append(
    devId: number,
    pipe: string,
    time: number,
    event: string,
    message: string,
    userId: number,
    fromBrowser: boolean,
  ): WindowEntry | undefined;
  /** The pipe's current position (the last offset given out), creating the stream if needed. */
  position(devId: number, pipe: string): StreamPosition;
  /** The messages after `from`, or why they cannot be given. */
  since(devId: number, pipe: string, from: StreamPosition): Recovery;
  /**
   * Forgets the pipe's stream: its next position starts a new epoch. For a node that starts
   * listening to a pipe other nodes publish to (issue 12): what they published before is not
   * here, so positions given before must not look continuous.
   */
  forget(devId: number, pipe: string): void;
  /** `forget` for every pipe (the link to the other nodes was down). */
  forgetAll(): void;
  /** Everything kept, for a graceful stop. */
  snapshot(): WindowSnapshot;
  /** Loads a snapshot saved by a graceful stop (before any publish). */
  restore(snapshot: WindowSnapshot): void;
  /** Counters for /metrics and tests. */
  stats(): { pipes: number; messages: number; bytes: number };
  /** Stops background expiry. */
  close(): void;
}

/**
 * The recovery window kept in the shared engine (`[redis]`, docs/protocol/recovery.md §5): the
 * position is assigned by the shared store in the same step that keeps the message and
 * publishes it to every node, this one included, so every node's frames carry the same
 * position and deliver the stream in offset order.
 */
export interface SharedRecoveryWindow {
  /** This node's id in the shared engine (the origin of its browsers' publishes). */
  readonly nodeId: string;
  /**
   * Assigns the pipe's next offset, keeps the message and publishes it on `topic` to every node
   * listening (this one too). `head` is the message encoded without its position
   * (cluster_messages.ts `encodeUnpositioned`, which carries the publish's time). Rejects with
   * ClusterUnavailableError when nothing was kept or sent.
   */
  publish(
    devId: number,
    pipe: string,
    topic: string,
    head: string,
  ): Promise<{ at: StreamPosition; receivers: number }>;
  /** The messages after `from`, or why they cannot be given; no `from`: the position only. */
  since(devId: number, pipe: string, from: StreamPosition | undefined): Promise<Recovery>;
}
