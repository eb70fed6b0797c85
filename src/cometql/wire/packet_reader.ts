/**
 * Splits the byte stream of one connection into MySQL packets (docs/protocol/cometql.md §2.1):
 * 3-byte little-endian length, 1-byte sequence id, payload. Payloads of 16 MiB − 1 bytes continue
 * in the next packet; those pieces are joined into one logical payload. Several packets in one read
 * are all returned, in order (the original executed only the first of them —
 * docs/protocol/cometql.md §2.1 BUG).
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

/** Size of a fresh read buffer: room for a few hundred typical queries. */
const BUFFER_SIZE = 16384;

export class PacketReader {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private parts: Uint8Array[] = [];
  private partsSize = 0;
  private partsFirstSeq = 0;

  /**
   * @param maxPayload longest logical payload accepted (guards memory); the listener raises it
   * once the client has logged in (`[limits] cometql_preauth_packet_max` before).
   */
  constructor(public maxPayload: number) {}

  /**
   * Appends received bytes (copied; the caller may reuse its read buffer). Bytes of packets
   * already returned are never overwritten: when the buffer is full, the pending bytes move to a
   * new one and the old one lives on as long as a returned payload still points into it.
   */
  push(chunk: Uint8Array): void {
    const pending = this.end - this.start;
    if (this.end + chunk.length > this.buf.length || (pending === 0 && this.buf.length > 1 << 20)) {
      const fresh = new Uint8Array(Math.max(BUFFER_SIZE, 2 * (pending + chunk.length)));
      fresh.set(this.buf.subarray(this.start, this.end));
      this.buf = fresh;
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
      // A view: `push` never overwrites returned bytes, so it stays valid with no copy.
      const payload = b.subarray(s + 4, s + 4 + size);
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
