/**
 * Live publications held back while a resume reads the shared window (docs/protocol/recovery.md
 * §5): a resume listens to the pipe first, then reads the stream; what arrives meanwhile is kept
 * here and sent after the replay when its offset is above the last replayed, so the boundary has
 * no gap and no duplicate. Empty (one size check per message) when no resume is in flight.
 */
import type { Outbound } from "./outbound.ts";

export interface ResumeBuffer {
  readonly key: string;
  readonly frames: { offset: number; message: Outbound }[];
}

export class ResumeBuffers {
  private open = new Map<string, Set<ResumeBuffer>>();

  /** Starts holding what the pipe receives, until `close`. */
  start(devId: number, pipe: string): ResumeBuffer {
    const buffer: ResumeBuffer = { key: `${devId}:${pipe}`, frames: [] };
    let set = this.open.get(buffer.key);
    if (set === undefined) this.open.set(buffer.key, set = new Set());
    set.add(buffer);
    return buffer;
  }

  close(buffer: ResumeBuffer): void {
    const set = this.open.get(buffer.key);
    set?.delete(buffer);
    if (set?.size === 0) this.open.delete(buffer.key);
  }

  /** A positioned message the pipe received (after its fan-out to the live subscribers). */
  hold(devId: number, pipe: string, offset: number, message: Outbound): void {
    if (this.open.size === 0) return;
    const set = this.open.get(`${devId}:${pipe}`);
    if (set === undefined) return;
    for (const buffer of set) buffer.frames.push({ offset, message });
  }
}
