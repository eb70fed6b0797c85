/**
 * RFC 6455 framing for the browser port (docs/protocol/websocket.md §2, docs/compatibility.md point
 * 2).
 *
 * Outbound: one unmasked text frame per JSON text, with 7-, 16- or 64-bit lengths, so every size
 * is correct (the original corrupted 123–125-byte payloads and dropped anything over 65535).
 * The frame is built once per Outbound and wire format and shared by every subscriber.
 *
 * Inbound: an incremental reader that keeps only the bytes of an unfinished frame between reads,
 * reassembles fragmented messages, and reports control frames to its sink.
 */
import { Buffer } from "node:buffer";
import type { Outbound } from "../core/outbound.ts";
import type { WireFormat } from "../core/wire_format.ts";

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** A complete frame (FIN set) with the given opcode, unmasked, around `payload`. */
export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const frame = allocFrame(opcode, payload.length);
  frame.set(payload, frame.length - payload.length);
  return frame;
}

/** A text frame holding the UTF-8 of `text`, encoded straight into the frame buffer. */
export function encodeTextFrame(text: string): Buffer {
  const n = Buffer.byteLength(text, "utf8");
  const frame = allocFrame(OP_TEXT, n);
  frame.write(text, frame.length - n, "utf8");
  return frame;
}

/** A frame buffer with its header written: 7-bit, 16-bit or 64-bit length (RFC 6455 §5.2). */
function allocFrame(opcode: number, n: number): Buffer {
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 0x100000000), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  return frame;
}

/**
 * The frame bytes of `message` for `format`, built on first use and cached in `message.wire`
 * so a fan-out to N subscribers encodes once (the hot path, see bench/ws_fanout_bench.ts).
 */
export function frameOf(message: Outbound, format: WireFormat): Uint8Array {
  let frame = message.wire[format];
  if (frame === undefined) {
    frame = encodeTextFrame(message.text(format));
    message.wire[format] = frame;
  }
  return frame;
}

/**
 * Why the reader gave up on a connection; the transport then drops TCP (docs/protocol/websocket.md
 * §2.1).
 */
export type FrameError =
  | "unmasked frame"
  | "reserved bits set"
  | "unknown opcode"
  | "bad control frame"
  | "message too large"
  | "unexpected continuation"
  | "expected continuation";

/** Receives what the reader finds, in order. */
export interface FrameSink {
  /** A whole (reassembled) text or binary message; the bytes are only valid during the call. */
  onMessage(payload: Uint8Array): void;
  onPing(payload: Uint8Array): void;
  /**
   * Client Close: the transport destroys TCP without answering (docs/protocol/websocket.md §2.3).
   */
  onCloseFrame(): void;
  onFrameError(error: FrameError): void;
}

/**
 * Incremental frame reader. Between reads it holds nothing but the unfinished tail of the last
 * read and, while a fragmented message is open, its parts (bounded by `maxPayload`).
 */
export class FrameReader {
  private tail: Buffer | null = null;
  private parts: Buffer[] | null = null;
  private partsBytes = 0;
  /** Frames parsed so far (for the wsFramesIn counter). */
  frames = 0;
  private stopped = false;

  constructor(private maxPayload: number, private sink: FrameSink) {}

  /** Feeds one read; calls the sink for every complete frame it contains. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    let buf = chunk;
    if (this.tail !== null) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = null;
    }
    let pos = 0;
    const end = buf.length;
    while (!this.stopped) {
      if (end - pos < 2) break;
      const b0 = buf[pos];
      const b1 = buf[pos + 1];
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if ((b0 & 0x70) !== 0) return this.fail("reserved bits set");
      if ((b1 & 0x80) === 0) return this.fail("unmasked frame");
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (end - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        head = 4;
      } else if (len === 127) {
        if (end - pos < 10) break;
        const high = buf.readUInt32BE(pos + 2);
        if (high !== 0) return this.fail("message too large");
        len = buf.readUInt32BE(pos + 6);
        head = 10;
      }
      if (len > this.maxPayload) return this.fail("message too large");
      const control = opcode >= 0x8;
      if (control && (!fin || len > 125)) return this.fail("bad control frame");
      if (opcode > OP_BINARY && !control || opcode > OP_PONG) return this.fail("unknown opcode");
      const start = pos + head + 4;
      if (end - start < len) break;
      unmask(buf, pos + head, start, len);
      const payload = buf.subarray(start, start + len);
      pos = start + len;
      this.frames++;
      this.dispatch(opcode, fin, payload);
    }
    if (!this.stopped && pos < end) this.tail = Buffer.from(buf.subarray(pos));
  }

  /** Bytes held between reads: the unfinished frame and the parts of a fragmented message. */
  get heldBytes(): number {
    return (this.tail?.length ?? 0) + (this.parts === null ? 0 : this.partsBytes);
  }

  /** True between frames of a running reader: a new reader would continue the same way. */
  get holdsNothing(): boolean {
    return this.tail === null && this.parts === null && !this.stopped;
  }

  /** Drops everything held; no more frames are reported. */
  stop(): void {
    this.stopped = true;
    this.tail = null;
    this.parts = null;
  }

  private dispatch(opcode: number, fin: boolean, payload: Buffer): void {
    switch (opcode) {
      case OP_TEXT:
      case OP_BINARY:
        if (this.parts !== null) return this.fail("expected continuation");
        if (fin) return this.sink.onMessage(payload);
        this.parts = [Buffer.from(payload)];
        this.partsBytes = payload.length;
        return;
      case OP_CONTINUATION: {
        if (this.parts === null) return this.fail("unexpected continuation");
        this.partsBytes += payload.length;
        if (this.partsBytes > this.maxPayload) return this.fail("message too large");
        this.parts.push(Buffer.from(payload));
        if (!fin) return;
        const whole = Buffer.concat(this.parts, this.partsBytes);
        this.parts = null;
        this.partsBytes = 0;
        return this.sink.onMessage(whole);
      }
      case OP_PING:
        return this.sink.onPing(payload);
      case OP_PONG:
        return; // docs/protocol/websocket.md §2.1: ignored
      case OP_CLOSE:
        this.stop();
        return this.sink.onCloseFrame();
    }
  }

  private fail(error: FrameError): void {
    this.stop();
    this.sink.onFrameError(error);
  }
}

/** XORs the payload in place with the 4-byte key that precedes it. */
function unmask(buf: Buffer, keyAt: number, start: number, len: number): void {
  const k0 = buf[keyAt], k1 = buf[keyAt + 1], k2 = buf[keyAt + 2], k3 = buf[keyAt + 3];
  const stop = start + len;
  let i = start;
  for (; i + 4 <= stop; i += 4) {
    buf[i] ^= k0;
    buf[i + 1] ^= k1;
    buf[i + 2] ^= k2;
    buf[i + 3] ^= k3;
  }
  const key = [k0, k1, k2, k3];
  for (let j = 0; i < stop; i++, j++) buf[i] ^= key[j];
}

export const Opcode = {
  text: OP_TEXT,
  binary: OP_BINARY,
  continuation: OP_CONTINUATION,
  close: OP_CLOSE,
  ping: OP_PING,
  pong: OP_PONG,
} as const;
