/**
 * Splits the byte stream of one connection into MySQL packets (spec §2.1): 3-byte little-endian
 * length, 1-byte sequence id, payload. Payloads of 16 MiB − 1 bytes continue in the next packet;
 * those pieces are joined into one logical payload. Several packets in one read are all returned,
 * in order (the original executed only the first of them — spec §2.1 BUG).
 */
import { MAX_PACKET_PAYLOAD } from "./mysql_constants.ts";

export interface Packet {
  /** Sequence id of the last wire packet of this payload. */
  seq: number;
  /** Sequence id of its first wire packet (a command always starts at 0). */
  firstSeq: number;
  payload: Uint8Array;
}

/** A logical payload larger than the reader accepts: the connection is closed after an ERR. */
export class PacketTooLarge extends Error {
  constructor(limit: number) {
    super(`packet larger than ${limit} bytes`);
    this.name = "PacketTooLarge";
  }
}

export class PacketReader {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private parts: Uint8Array[] = [];
  private partsSize = 0;
  private partsFirstSeq = 0;

  /** @param maxPayload longest logical payload accepted (guards memory). */
  constructor(private maxPayload: number) {}

  /** Appends received bytes (copied; the caller may reuse its read buffer). */
  push(chunk: Uint8Array): void {
    const pending = this.end - this.start;
    if (pending === 0) {
      this.start = this.end = 0;
      if (this.buf.length > 1 << 20) this.buf = new Uint8Array(4096);
    }
    if (this.end + chunk.length > this.buf.length) {
      if (pending + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(4096, 2 * (pending + chunk.length)));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = pending;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next complete logical packet, or undefined until more bytes arrive. */
  next(): Packet | undefined {
    for (;;) {
      const avail = this.end - this.start;
      if (avail < 4) return undefined;
      const b = this.buf;
      const s = this.start;
      const size = b[s] | (b[s + 1] << 8) | (b[s + 2] << 16);
      const seq = b[s + 3];
      if (this.partsSize + size > this.maxPayload) throw new PacketTooLarge(this.maxPayload);
      if (avail < 4 + size) return undefined;
      // Copy out: the payload must survive later pushes, which reuse the buffer.
      const payload = b.slice(s + 4, s + 4 + size);
      this.start += 4 + size;
      if (size === MAX_PACKET_PAYLOAD) {
        if (this.parts.length === 0) this.partsFirstSeq = seq;
        this.parts.push(payload);
        this.partsSize += size;
        continue;
      }
      if (this.parts.length === 0) return { seq, firstSeq: seq, payload };
      this.parts.push(payload);
      const joined = new Uint8Array(this.partsSize + size);
      let at = 0;
      for (const p of this.parts) {
        joined.set(p, at);
        at += p.length;
      }
      const firstSeq = this.partsFirstSeq;
      this.parts = [];
      this.partsSize = 0;
      return { seq, firstSeq, payload: joined };
    }
  }
}
