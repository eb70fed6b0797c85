/**
 * One browser WebSocket session after the 101 (docs/protocol/websocket.md §1.3–§3): the
 * `Subscriber` the core writes to, the frame reader for what the browser sends, and the
 * per-connection command order.
 *
 * Write path (the fan-out hot path, see bench/ws_fanout_bench.ts):
 * - `send` takes the frame cached on the Outbound (built once per wire format, shared by every
 *   subscriber) and adds it to this connection's batch for the current event-loop turn;
 * - at the end of the turn the batch is written with one synchronous `socket.write`
 *   (flush_scheduler.ts);
 * - past `[ws] max_backlog` unsent bytes the socket is destroyed (slow consumer, bare TCP drop);
 *   everyone else keeps receiving.
 *
 * Confirmed writes (`sendConfirmed`, the offline queue only): the frame goes the same way, and
 * the flush that carries it asks the socket to call back once the kernel has taken the whole
 * write; the core deletes a queued message only then (issue 13). Fan-out frames never pay for it.
 */
import { Buffer } from "node:buffer";
import type { BrowserNode } from "./browser_node.ts";
import type { ByteSocket } from "../net/byte_socket.ts";
import type { Outbound } from "../core/outbound.ts";
import type { WireFormat } from "../core/wire_format.ts";
import { type CommandConnection, runCommand } from "./command_runner.ts";
import type { Backlogged, BrowserPortGuard, Expirable } from "./browser_port_guard.ts";
import { observeWhenWritten, scheduleFlush } from "./flush_scheduler.ts";
import { encodeFrame, type FrameError, frameOf, FrameReader, Opcode } from "./frame_codec.ts";

/** Commands that may wait behind a slow one (auth, storage reads) before the client is dropped. */
export const MAX_WAITING_COMMANDS = 1024;

/** Who the browser said it is (URL and headers, docs/protocol/websocket.md §1.2, §1.3). */
export interface BrowserIdentity {
  devId: number;
  uuid: string;
  format: WireFormat;
  userAgent: string;
  origin: string;
  language: string;
}

let nextId = 1;
/**
 * Text that is not UTF-8 fails the connection with Close 1007 (RFC 6455 §8.1; issue 13 point 11).
 * Browsers always send valid UTF-8 (the original client too), so only other clients can meet it,
 * and they should stay away rather than reconnect (docs/protocol/websocket.md §2.3: a Close frame
 * only when the client should stay disconnected). docs/compatibility.md.
 */
const decoder = new TextDecoder("utf-8", { fatal: true });
/** Close frame payload: status 1007 "invalid frame payload data" and its reason. */
const CLOSE_1007 = new Uint8Array([0x03, 0xef, ...new TextEncoder().encode("invalid UTF-8")]);

export class WsConnection implements CommandConnection, Expirable, Backlogged {
  readonly id = nextId++;
  readonly devId: number;
  userId = 0;
  readonly uuid: string;
  readonly format: WireFormat;
  readonly userAgent: string;
  readonly origin: string;
  readonly language: string;
  readonly pipes = new Set<string>();

  /**
   * Only while a read left an unfinished frame or fragmented message (or after the reader
   * stopped): an idle connection holds no reader.
   */
  private reader: FrameReader | null = null;
  /**
   * Frames given since the last flush, written together by `flush`: the first one alone in
   * `single` (the common case below saturation: no array per frame), more in `batch`.
   */
  private single: Uint8Array | null = null;
  private batch: Uint8Array[] | null = null;
  private batchBytes = 0;
  /** The socket's unsent bytes after the last flush (0 for a consumer that keeps up). */
  private unsent = 0;
  /** Commands received while an earlier one (or the auth) is still running. */
  private waiting: string[] | null = null;
  private busy = false;
  /** False once dropped or closed: nothing more is written. */
  private open = true;
  /** Confirmations of frames in the current batch, waiting for its flush (usually null). */
  private toConfirm: ((written: boolean) => void)[] | null = null;
  /** Confirmations of flushed writes the kernel has not taken whole yet, one group per write. */
  private confirming: ((written: boolean) => void)[][] | null = null;
  /** The socket's write callback for confirmed flushes, made on first use. */
  private onConfirmedWrite: ((error?: Error | null) => void) | null = null;
  /** Bytes the reader holds for an unfinished frame or message (in the guard's total). */
  private unfinishedBytes = 0;

  constructor(
    private socket: ByteSocket,
    private node: BrowserNode,
    identity: BrowserIdentity,
    private guard: BrowserPortGuard,
  ) {
    this.devId = identity.devId;
    this.uuid = identity.uuid;
    this.format = identity.format;
    this.userAgent = identity.userAgent;
    this.origin = identity.origin;
    this.language = identity.language;
  }

  /**
   * Starts the session: authorization runs first (the core sends serverInfo, the queue and
   * presence); commands that arrive meanwhile run after it, in order. `accepted` is the 101
   * response, queued first; `early` holds bytes that came with the upgrade request.
   */
  start(accepted: Uint8Array, key: string, requestedUserId: number, early: Buffer): void {
    this.write(accepted);
    const stats = this.node.stats;
    stats.wsOnline++;
    stats.wsConnectsTotal++;
    this.busy = true;
    this.node.attach(this, key, requestedUserId).then(
      () => this.runWaiting(),
      (e) => {
        this.node.log.error("ws", `attach of ${this.ip} failed: ${e}`);
        this.drop();
      },
    );
    this.guard.active(this);
    if (early.length > 0) this.onData(early);
  }

  /** Bytes from the socket (the listener owns the socket's only `data` listener). */
  onData(chunk: Buffer): void {
    const reader = this.reader ??
      new FrameReader(this.node.config.main.fragmentBufMaxSize, this);
    const before = reader.frames;
    reader.push(chunk);
    this.node.stats.wsFramesIn += reader.frames - before;
    this.guard.active(this);
    const held = reader.holdsNothing ? 0 : reader.heldBytes;
    if (held !== this.unfinishedBytes) this.unfinishedChanged(held);
    this.reader = reader.holdsNothing ? null : reader;
  }

  /**
   * The reader now holds `held` bytes of an unfinished frame or message: counted in the
   * server-wide total (past it the connection is dropped), and given `ws_unfinished_timeout`
   * seconds from when it started to finish.
   */
  private unfinishedChanged(held: number): void {
    const limits = this.guard.limits;
    if (!this.guard.holdUnfinished(this.unfinishedBytes, held)) {
      this.unfinishedBytes = 0;
      this.reader?.stop();
      this.drop();
      return;
    }
    this.unfinishedBytes = held;
    if (held > 0) this.guard.keepDeadline(this, limits.wsUnfinishedTimeoutS);
    else this.guard.clearDeadline(this);
  }

  /** The guard's deadline passed (unfinished message, or silence with `ws_idle_timeout`). */
  expire(): void {
    this.node.log.debug("ws", `timeout: ${this.ip} (user ${this.userId}) dropped`);
    this.drop();
  }

  /** Everything written was sent (libc sockets; node:net after a write over its buffer). */
  onDrain(): void {
    if (this.unsent === 0) return;
    const before = this.unsent;
    this.unsent = this.socket.writableLength;
    this.guard.pendingChanged(this, before, this.unsent);
  }

  pendingBytes(): number {
    this.unsent = this.socket.writableLength;
    return this.unsent;
  }

  dropForBudget(): void {
    this.unsent = 0;
    this.node.log.debug("ws", `over the unsent-bytes budget: ${this.ip} (user ${this.userId})`);
    this.drop();
  }

  /** The socket closed, for whatever reason: leave the core exactly once. */
  onClose(): void {
    this.open = false;
    this.reader = null; // 'close' is the socket's last event: nothing more is read
    this.single = null;
    this.batch = null;
    this.waiting = null;
    this.settleConfirmations();
    this.guard.forget(this);
    if (this.unfinishedBytes > 0) this.guard.holdUnfinished(this.unfinishedBytes, 0);
    this.unfinishedBytes = 0;
    if (this.unsent > 0) this.guard.pendingChanged(this, this.unsent, 0);
    this.unsent = 0;
    this.node.stats.wsOnline--;
    this.node.stats.wsDisconnectsTotal++;
    this.node.detach(this);
  }

  // ---- Subscriber ----

  /**
   * The peer's address, read on demand: asking the socket makes it cache an address object,
   * which an idle connection should not carry unless someone wants it. IPv4-mapped IPv6 is
   * shown as plain IPv4.
   */
  get ip(): string {
    const ip = this.socket.remoteAddress ?? "";
    return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  }

  send(message: Outbound): boolean {
    if (!this.open) return false;
    let frame = message.wire[this.format];
    if (frame === undefined) {
      // The first subscriber of a format builds the frame every other one shares; the first
      // frame of the message (whatever its format) registers it for the latency histogram.
      if (notFramedYet(message)) observeWhenWritten(message, this.node.stats);
      frame = frameOf(message, this.format);
    }
    this.node.stats.wsMessagesOut++;
    return this.write(frame);
  }

  /**
   * `send` for a frame that must not be lost (offline queue): true once the kernel has taken the
   * whole frame, false when the connection closes or is dropped first.
   */
  sendConfirmed(message: Outbound): Promise<boolean> {
    if (!this.send(message)) return Promise.resolve(false);
    const confirmed = new Promise<boolean>((resolve) => (this.toConfirm ??= []).push(resolve));
    // A write of its own, so the kernel taking this frame is seen frame by frame, not per batch.
    this.flush();
    return confirmed;
  }

  /**
   * Bare TCP drop, no Close frame (docs/protocol/websocket.md §2.3): the original client
   * reconnects.
   */
  drop(): void {
    if (!this.open) return;
    this.open = false;
    this.single = null;
    this.batch = null;
    this.socket.destroy();
  }

  closeAfterWrite(): void {
    if (!this.open) return;
    this.flush();
    this.open = false;
    this.socket.destroySoon();
  }

  // ---- FrameSink ----

  onMessage(payload: Uint8Array): void {
    if (!this.open) return;
    let text: string;
    try {
      text = decoder.decode(payload);
    } catch {
      this.node.log.debug("ws", `closing ${this.ip}: text that is not UTF-8 (1007)`);
      this.reader?.stop();
      this.write(encodeFrame(Opcode.close, CLOSE_1007));
      this.closeAfterWrite();
      return;
    }
    if (this.busy) {
      const waiting = this.waiting ??= [];
      waiting.push(text);
      if (waiting.length > MAX_WAITING_COMMANDS) this.drop();
      return;
    }
    this.run(text);
  }

  onPing(payload: Uint8Array): void {
    if (this.open) this.write(encodeFrame(Opcode.pong, payload));
  }

  onCloseFrame(): void {
    // docs/protocol/websocket.md §2.3: never answer a Close frame; drop TCP so the original
    // client's restart() works.
    this.drop();
  }

  onFrameError(error: FrameError): void {
    this.node.log.debug("ws", `closing ${this.ip}: ${error}`);
    this.drop();
  }

  // ---- internals ----

  private write(frame: Uint8Array): boolean {
    if (this.single === null) {
      this.single = frame;
      this.batchBytes = frame.length;
      scheduleFlush(this);
    } else {
      if (this.batch === null) this.batch = [this.single, frame];
      else this.batch.push(frame);
      this.batchBytes += frame.length;
    }
    const max = this.node.config.ws.maxBacklog;
    // The socket's own backlog is only read for connections that had one at the last flush.
    if (
      this.batchBytes > max ||
      (this.unsent > 0 && this.socket.writableLength + this.batchBytes > max)
    ) {
      return this.dropSlowConsumer();
    }
    return true;
  }

  /** Writes this turn's frames as one buffer (called by the flush scheduler). */
  flush(): void {
    const single = this.single;
    if (single === null) return;
    const batch = this.batch;
    this.single = null;
    this.batch = null;
    const bytes = this.batchBytes;
    this.batchBytes = 0;
    if (!this.open) return;
    const data = batch === null ? single : Buffer.concat(batch, bytes);
    if (this.toConfirm === null) this.socket.write(data);
    else this.writeConfirmed(data);
    const before = this.unsent;
    this.unsent = this.socket.writableLength;
    if (before !== this.unsent) this.guard.pendingChanged(this, before, this.unsent);
    if (this.open && this.unsent > this.node.config.ws.maxBacklog) this.dropSlowConsumer();
  }

  /** Writes a batch holding confirmed frames; they are settled when the kernel took it whole. */
  private writeConfirmed(data: Uint8Array): void {
    (this.confirming ??= []).push(this.toConfirm!);
    this.toConfirm = null;
    this.onConfirmedWrite ??= (error) => {
      if (error) return; // onClose settles what is left
      const group = this.confirming?.shift();
      if (this.confirming?.length === 0) this.confirming = null;
      if (group !== undefined) { for (const resolve of group) resolve(true); }
    };
    this.socket.write(data, this.onConfirmedWrite);
  }

  /** The connection is gone: confirmed frames not yet taken by the kernel never will be. */
  private settleConfirmations(): void {
    const waiting = [...(this.confirming ?? []).flat(), ...(this.toConfirm ?? [])];
    this.confirming = null;
    this.toConfirm = null;
    for (const resolve of waiting) resolve(false);
  }

  private dropSlowConsumer(): false {
    this.node.stats.wsSlowConsumerDrops++;
    this.node.log.debug("ws", `slow consumer ${this.ip} (user ${this.userId}) dropped`);
    this.drop();
    return false;
  }

  private run(text: string): void {
    const pending = runCommand(this.node, this, text);
    if (pending !== undefined) {
      this.busy = true;
      pending.then(() => this.runWaiting());
    }
  }

  private runWaiting(): void {
    this.busy = false;
    while (!this.busy && this.open && this.waiting !== null) {
      const text = this.waiting.shift()!;
      if (this.waiting.length === 0) this.waiting = null;
      this.run(text);
    }
  }
}

/** No format of the message has been framed yet (it has not been handed to any connection). */
function notFramedYet(message: Outbound): boolean {
  const wire = message.wire;
  return wire[0] === undefined && wire[1] === undefined && wire[2] === undefined;
}
