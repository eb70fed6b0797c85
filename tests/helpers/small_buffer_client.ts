/**
 * A WebSocket client with a small kernel receive buffer (SO_RCVBUF set before connect), on the C
 * library through FFI: an unlucky user on a slow link. `Deno.connect` cannot set socket options.
 * Reads run on a worker thread (nonblocking FFI calls), so the test's event loop stays free.
 * Linux only (the tests that use it run on Linux CI).
 */
import { Buffer } from "node:buffer";
import { parseFrame } from "./ws_client.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32", nonblocking: true },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize", nonblocking: true },
  close: { parameters: ["i32"], result: "i32" },
} as const;

let libc: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;

const AF_INET = 2, SOCK_STREAM = 1, SOL_SOCKET = 1, SO_RCVBUF = 8;

export class SmallBufferClient {
  private buf = Buffer.alloc(0);
  private headSeen = false;
  /** Bytes received so far (head and frames). */
  received = 0;
  closed = false;

  private constructor(private fd: number) {}

  static async open(port: number, path: string, rcvbuf = 4096): Promise<SmallBufferClient> {
    libc ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    const fd = libc.socket(AF_INET, SOCK_STREAM, 0);
    libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new Uint8Array(new Int32Array([rcvbuf]).buffer), 4);
    const address = new Uint8Array(16);
    const view = new DataView(address.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, port, false);
    address.set([127, 0, 0, 1], 4);
    if (await libc.connect(fd, address, 16) !== 0) throw new Error("connect failed");
    const request = new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    libc.send(fd, request, BigInt(request.length), 0);
    return new SmallBufferClient(fd);
  }

  /**
   * Reads until `enough()` holds for the texts of the frames parsed so far, or the server closes;
   * `chunk` is how much one read asks for.
   */
  async readFrames(
    into: string[],
    enough: () => boolean,
    chunk = 4096,
    pauseMs = 0,
  ): Promise<void> {
    const buffer = new Uint8Array(chunk);
    while (!enough() && !this.closed) {
      const n = Number(await libc!.recv(this.fd, buffer, BigInt(chunk), 0));
      if (n <= 0) {
        this.closed = true;
        break;
      }
      this.received += n;
      this.buf = Buffer.concat([this.buf, buffer.subarray(0, n)]);
      this.parse(into);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  close(): void {
    libc!.close(this.fd);
    this.closed = true;
  }

  private parse(into: string[]): void {
    if (!this.headSeen) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.headSeen = true;
      this.buf = this.buf.subarray(end + 4);
    }
    for (;;) {
      const frame = parseFrame(this.buf);
      if (!frame) return;
      into.push(frame.frame.text);
      this.buf = this.buf.subarray(frame.size);
    }
  }
}
