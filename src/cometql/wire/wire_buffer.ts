/**
 * Byte-level building blocks of the MySQL protocol: a growable output buffer that frames packets
 * as it goes, and a reader over one received payload. Length-encoded integers ("lenenc") follow
 * MySQL exactly — < 251 one byte, else `fc`+2, `fd`+3, `fe`+8 bytes (docs/protocol/cometql.md §2.6
 * describes the original's off-by-one `fd` bug, which we do not copy).
 */
import { MAX_PACKET_PAYLOAD } from "./mysql_constants.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Output of one connection. Packets are written in place: `beginPacket` reserves the 4-byte
 * header, `endPacket` fills it in (and splits payloads of 16 MiB or more, docs/protocol/cometql.md
 * §2.1), so a reply costs no allocation beyond occasional growth.
 */
export class WireWriter {
  bytes: Uint8Array;
  length = 0;
  /** Sequence id of the next packet. */
  seq = 0;
  private packetStart = -1;

  constructor(initialSize = 4096) {
    this.bytes = new Uint8Array(initialSize);
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    if (this.bytes.length > 1 << 20) this.bytes = new Uint8Array(4096);
  }

  /** Starts over in a new buffer, leaving the bytes written so far to whoever holds a view. */
  detach(): void {
    this.bytes = new Uint8Array(4096);
    this.length = 0;
  }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  beginPacket(): void {
    this.ensure(4);
    this.packetStart = this.length;
    this.length += 4;
  }

  endPacket(): void {
    const start = this.packetStart;
    const size = this.length - start - 4;
    if (size < MAX_PACKET_PAYLOAD) {
      this.writeHeader(start, size, this.seq);
      this.seq = (this.seq + 1) & 0xff;
    } else {
      this.splitPacket(start, size);
    }
    this.packetStart = -1;
  }

  /** Convenience: one packet with the given payload. */
  packet(payload: Uint8Array): void {
    this.beginPacket();
    this.raw(payload);
    this.endPacket();
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.length++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.bytes[this.length++] = v & 0xff;
    this.bytes[this.length++] = (v >>> 8) & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.bytes[this.length++] = (v >>> (8 * i)) & 0xff;
  }

  /** Little-endian unsigned 64-bit (numbers up to 2^53 are exact). */
  u64(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    this.ensure(8);
    for (let i = 0; i < 8; i++) {
      this.bytes[this.length++] = Number(n & 0xffn);
      n >>= 8n;
    }
  }

  lenenc(v: number): void {
    if (v < 251) this.u8(v);
    else if (v < 0x10000) {
      this.u8(0xfc);
      this.u16(v);
    } else if (v < 0x1000000) {
      this.u8(0xfd);
      this.u8(v & 0xff);
      this.u16(v >>> 8);
    } else {
      this.u8(0xfe);
      this.u64(v);
    }
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  /** UTF-8 text without terminator. */
  text(s: string): void {
    // A UTF-16 unit encodes to at most 3 UTF-8 bytes.
    this.ensure(s.length * 3);
    const { written } = encoder.encodeInto(s, this.bytes.subarray(this.length));
    this.length += written;
  }

  /** NUL-terminated UTF-8 text. */
  textNul(s: string): void {
    this.text(s);
    this.u8(0);
  }

  /** Length-encoded UTF-8 string. */
  lenencText(s: string): void {
    if (s.length < 84) {
      // ≤ 83 units → ≤ 249 bytes: the length fits one byte; write text first, then patch.
      this.ensure(1 + s.length * 3);
      const at = this.length++;
      this.text(s);
      this.bytes[at] = this.length - at - 1;
      return;
    }
    const b = encoder.encode(s);
    this.lenenc(b.length);
    this.raw(b);
  }

  private writeHeader(at: number, size: number, seq: number): void {
    this.bytes[at] = size & 0xff;
    this.bytes[at + 1] = (size >>> 8) & 0xff;
    this.bytes[at + 2] = (size >>> 16) & 0xff;
    this.bytes[at + 3] = seq;
  }

  /** A payload of ≥ 16 MiB − 1 goes out as full packets plus a shorter (maybe empty) last one. */
  private splitPacket(start: number, size: number): void {
    const payload = this.bytes.slice(start + 4, start + 4 + size);
    this.length = start;
    let offset = 0;
    for (;;) {
      const chunk = Math.min(MAX_PACKET_PAYLOAD, size - offset);
      this.ensure(4 + chunk);
      this.writeHeader(this.length, chunk, this.seq);
      this.seq = (this.seq + 1) & 0xff;
      this.bytes.set(payload.subarray(offset, offset + chunk), this.length + 4);
      this.length += 4 + chunk;
      offset += chunk;
      if (chunk < MAX_PACKET_PAYLOAD) break;
    }
  }
}

/** Thrown when a received payload ends before a field it must contain (a malformed packet). */
export class MalformedPacket extends Error {
  constructor(what: string) {
    super(`malformed packet: ${what}`);
    this.name = "MalformedPacket";
  }
}

/** Sequential reader over one received payload. */
export class PayloadReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array, start = 0) {
    this.pos = start;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) throw new MalformedPacket(what);
  }

  u8(what = "byte"): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  u16(what = "int<2>"): number {
    this.need(2, what);
    const v = this.bytes[this.pos] | (this.bytes[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  u32(what = "int<4>"): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
  }

  u64(what = "int<8>"): bigint {
    this.need(8, what);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8)
      .getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  lenenc(what = "lenenc int"): number {
    const first = this.u8(what);
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.u16(what);
    if (first === 0xfd) return this.u16(what) + this.u8(what) * 0x10000;
    if (first === 0xfe) return Number(this.u64(what));
    throw new MalformedPacket(what);
  }

  bytesN(n: number, what = "bytes"): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Bytes up to (not including) the next NUL, which is consumed; to the end if none. */
  bytesNul(): Uint8Array {
    let end = this.bytes.indexOf(0, this.pos);
    const next = end < 0 ? this.bytes.length : end + 1;
    if (end < 0) end = this.bytes.length;
    const v = this.bytes.subarray(this.pos, end);
    this.pos = next;
    return v;
  }

  textNul(): string {
    return decoder.decode(this.bytesNul());
  }

  rest(): Uint8Array {
    const v = this.bytes.subarray(this.pos);
    this.pos = this.bytes.length;
    return v;
  }
}

export function decodeUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}
