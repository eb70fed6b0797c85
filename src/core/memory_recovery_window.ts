/**
 * The single-node recovery window: per pipe an epoch, the last offset given out and the messages
 * still inside the window, all in memory. A publish costs one Map lookup and two array pushes;
 * expiry pops from one global publish-ordered queue, so trimming is O(1) per message too.
 *
 * Bounds (all from `[recovery]`): messages per pipe, their age, the bytes of all windows
 * together, and the number of pipes whose position is tracked.
 */
import type { Outbound } from "./outbound.ts";
import type {
  Recovery,
  RecoveryWindow,
  StreamPosition,
  WindowEntry,
  WindowSnapshot,
} from "./recovery_window.ts";

export interface MemoryWindowLimits {
  /** Most messages per pipe; 0 turns recovery off. */
  windowMessages: number;
  windowSeconds: number;
  maxBytes: number;
  maxPipes: number;
  positionTtlSeconds: number;
}

/**
 * Estimated bytes of one kept message: the entry object and array slots, and up to 3 bytes per
 * character of body and event (the strings, and the replay frame a resume may cache with it).
 */
const ENTRY_OVERHEAD = 160;
const BYTES_PER_CHAR = 3;
/** How often expired messages and idle positions are cleared without publishes. */
const SWEEP_MS = 5000;

class Entry implements WindowEntry {
  replay: Outbound | undefined = undefined;
  /** Left the window (per-pipe count bound or eviction) before the global queue reached it. */
  dropped = false;
  /** Estimated bytes (ENTRY_OVERHEAD, BYTES_PER_CHAR). */
  readonly size: number;
  constructor(
    readonly stream: Stream,
    readonly epoch: string,
    readonly offset: number,
    readonly time: number,
    readonly event: string,
    readonly message: string,
    readonly userId: number,
    readonly fromBrowser: boolean,
  ) {
    this.size = ENTRY_OVERHEAD + BYTES_PER_CHAR * (message.length + event.length);
  }
}

class Stream {
  /** Last offset given out (0: none yet). */
  top = 0;
  /** Entries in offset order; live ones from `head` on. */
  entries: Entry[] = [];
  head = 0;
  gone = false;
  constructor(readonly key: string, readonly epoch: string, public lastPublish: number) {}

  get live(): number {
    return this.entries.length - this.head;
  }

  /** Drops the oldest live entry (it must be `e`); compacts the array now and then. */
  shift(): void {
    this.entries[this.head++] = undefined as unknown as Entry;
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * A fresh epoch: 12 hex digits from the system's CSPRNG, so two lives of a node never share one.
 */
function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export class MemoryRecoveryWindow implements RecoveryWindow {
  private streams = new Map<string, Stream>();
  /** Every live entry of every pipe, in publish order (oldest at `orderHead`). */
  private order: Entry[] = [];
  private orderHead = 0;
  private bytes = 0;
  private messages = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private lastIdleSweep = 0;

  constructor(
    private readonly limits: MemoryWindowLimits,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
    sweep = true,
  ) {
    if (sweep && limits.windowMessages > 0) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
      Deno.unrefTimer(this.sweeper);
    }
  }

  append(
    devId: number,
    pipe: string,
    time: number,
    event: string,
    message: string,
    userId: number,
    fromBrowser: boolean,
  ): WindowEntry | undefined {
    if (this.limits.windowMessages === 0) return undefined;
    const stream = this.streamOf(`${devId}:${pipe}`, time);
    stream.lastPublish = time;
    const entry = new Entry(
      stream,
      stream.epoch,
      ++stream.top,
      time,
      event,
      message,
      userId,
      fromBrowser,
    );
    stream.entries.push(entry);
    this.order.push(entry);
    this.bytes += entry.size;
    this.messages++;
    if (stream.live > this.limits.windowMessages) this.dropOldestOf(stream);
    this.trim(time);
    return entry;
  }

  position(devId: number, pipe: string): StreamPosition {
    const stream = this.streamOf(`${devId}:${pipe}`, this.clock());
    return { epoch: stream.epoch, offset: stream.top };
  }

  since(devId: number, pipe: string, from: StreamPosition): Recovery {
    this.trim(this.clock());
    const stream = this.streamOf(`${devId}:${pipe}`, this.clock());
    const position = { epoch: stream.epoch, offset: stream.top };
    // Recovery off: nothing is kept, so nothing can be vouched for.
    if (this.limits.windowMessages === 0) return { kind: "lost", reason: "gap", position };
    if (from.epoch !== stream.epoch) return { kind: "lost", reason: "epoch", position };
    if (from.offset > stream.top) return { kind: "ahead", position };
    const first = stream.live > 0 ? stream.entries[stream.head].offset : stream.top + 1;
    if (from.offset + 1 < first) return { kind: "lost", reason: "gap", position };
    const start = stream.head + (from.offset + 1 - first);
    return { kind: "recovered", entries: stream.entries.slice(start), position };
  }

  snapshot(): WindowSnapshot {
    this.trim(this.clock());
    const streams: WindowSnapshot["streams"] = [];
    for (const s of this.streams.values()) {
      const colon = s.key.indexOf(":");
      streams.push({
        devId: Number(s.key.slice(0, colon)),
        pipe: s.key.slice(colon + 1),
        epoch: s.epoch,
        top: s.top,
        lastPublish: s.lastPublish,
        entries: s.entries.slice(s.head).map((
          e,
        ) => [e.offset, e.time, e.event, e.message, e.userId, e.fromBrowser]),
      });
    }
    return { version: 1, streams };
  }

  restore(snapshot: WindowSnapshot): void {
    const entries: Entry[] = [];
    for (const saved of snapshot.streams) {
      const key = `${saved.devId}:${saved.pipe}`;
      const stream = new Stream(key, saved.epoch, saved.lastPublish);
      stream.top = saved.top;
      for (const [offset, time, event, message, userId, fromBrowser] of saved.entries) {
        const e = new Entry(stream, saved.epoch, offset, time, event, message, userId, fromBrowser);
        stream.entries.push(e);
        entries.push(e);
        this.bytes += e.size;
        this.messages++;
      }
      this.streams.set(key, stream);
      while (stream.live > this.limits.windowMessages) this.dropOldestOf(stream);
    }
    // The global queue is in publish order: by time, then per pipe by offset (stable sort).
    entries.sort((a, b) => a.time - b.time);
    this.order = entries;
    this.orderHead = 0;
    while (this.streams.size > this.limits.maxPipes) this.evictOldest();
    this.trim(this.clock());
  }

  stats(): { pipes: number; messages: number; bytes: number } {
    return { pipes: this.streams.size, messages: this.messages, bytes: this.bytes };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Expired messages out; every minute, positions idle past their TTL out too. */
  sweep(now = this.clock()): void {
    this.trim(now);
    if (now - this.lastIdleSweep < 60) return;
    this.lastIdleSweep = now;
    const idleBefore = now - this.limits.positionTtlSeconds;
    for (const [key, s] of this.streams) {
      if (s.live === 0 && s.lastPublish < idleBefore) {
        s.gone = true;
        this.streams.delete(key);
      }
    }
  }

  private streamOf(key: string, now: number): Stream {
    let stream = this.streams.get(key);
    if (stream === undefined) {
      if (this.streams.size >= this.limits.maxPipes) this.evictOldest();
      stream = new Stream(key, newEpoch(), now);
      this.streams.set(key, stream);
    }
    return stream;
  }

  /**
   * Forgets the position tracked longest (Map order is creation order): its next publish starts
   * a new epoch, so clients resuming it are told "not recovered" rather than given a wrong gap.
   */
  private evictOldest(): void {
    const first = this.streams.values().next();
    if (first.done) return;
    this.drop(first.value);
  }

  forget(devId: number, pipe: string): void {
    const stream = this.streams.get(`${devId}:${pipe}`);
    if (stream !== undefined) this.drop(stream);
  }

  forgetAll(): void {
    for (const stream of [...this.streams.values()]) this.drop(stream);
  }

  private drop(stream: Stream): void {
    while (stream.live > 0) this.dropOldestOf(stream);
    stream.gone = true;
    this.streams.delete(stream.key);
  }

  private dropOldestOf(stream: Stream): void {
    const e = stream.entries[stream.head];
    e.dropped = true;
    this.bytes -= e.size;
    this.messages--;
    stream.shift();
  }

  /** Pops messages older than the window, or beyond the byte bound, oldest first. */
  private trim(now: number): void {
    const oldest = now - this.limits.windowSeconds;
    while (this.orderHead < this.order.length) {
      const e = this.order[this.orderHead];
      if (!e.dropped) {
        if (e.time > oldest && this.bytes <= this.limits.maxBytes) break;
        // Per pipe, publish order is offset order: the globally oldest is its pipe's oldest.
        this.dropOldestOf(e.stream);
      }
      this.order[this.orderHead++] = undefined as unknown as Entry;
    }
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }
}
