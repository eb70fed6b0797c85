/**
 * The one HTTP request a connection starts with (docs/protocol/websocket.md §1.1, §1.3):
 * reassembled from however many TCP segments it arrives in, bounded in size, then parsed into
 * method, target and headers. Bytes after the header block (a client that pipelines its first
 * frames) are handed back to the caller.
 */
import { Buffer } from "node:buffer";

/** A request whose header block is not complete within this many bytes is refused. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export interface HttpRequest {
  method: string;
  /** The request target exactly as sent (no decoding), e.g. `/ws/sesion=…&myid=…`. */
  target: string;
  /** Header lines in order; names as sent. */
  headers: [name: string, value: string][];
}

/** Case-insensitive header lookup (RFC 9110 §5.1); the first occurrence wins. */
export function headerOf(request: HttpRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of request.headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

export type ReadResult =
  | { kind: "incomplete" }
  | { kind: "too large" }
  | { kind: "request"; request: HttpRequest; rest: Buffer };

/** Accumulates the first bytes of a connection until the blank line that ends the headers. */
export class HttpRequestReader {
  private buffered: Buffer | null = null;

  push(chunk: Buffer): ReadResult {
    const buf = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = headerBlockEnd(buf);
    if (end < 0) {
      if (buf.length > MAX_REQUEST_BYTES) {
        this.buffered = null;
        return { kind: "too large" };
      }
      this.buffered = this.buffered === null ? Buffer.from(buf) : buf;
      return { kind: "incomplete" };
    }
    this.buffered = null;
    if (end > MAX_REQUEST_BYTES) return { kind: "too large" };
    const request = parseHttpRequest(buf.toString("utf8", 0, end));
    return { kind: "request", request, rest: buf.subarray(end) };
  }
}

/** Index just past the blank line (CRLF CRLF, or LF LF from hand-typed requests), or −1. */
export function headerBlockEnd(buf: Uint8Array): number {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** Splits a header block into request line parts and `Name: value` pairs. */
export function parseHttpRequest(text: string): HttpRequest {
  const lines = text.split(/\r?\n/);
  const [method = "", target = ""] = lines[0].split(" ", 3);
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { method, target, headers };
}
