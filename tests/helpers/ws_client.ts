/**
 * A scripted raw WebSocket client over `Deno.connect`, for tests that must see the exact bytes:
 * the 101 head, every frame (incl. fragmented, ping/pong and Close), and whether the server
 * closed TCP without a Close frame (docs/protocol/websocket.md §2.3). Nothing here reuses server
 * code.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
  /** The payload as UTF-8 text. */
  text: string;
}

export interface ConnectOptions {
  /** Extra header lines, e.g. `{ "Sec-WebSocket-Protocol": "chat" }`. */
  headers?: Record<string, string>;
  /** Send no Sec-WebSocket-Key header. */
  noKey?: boolean;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The URL path the original client builds (docs/protocol/websocket.md §1.2). */
export function wsPath(
  p: { key?: string; userId?: number | string; devId?: number; v?: string; uuid?: string } = {},
): string {
  const uuid = p.uuid ?? "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
  return `/ws/sesion=${p.key ?? "undefined"}&myid=${p.userId ?? 0}&devid=${p.devId ?? 0}` +
    `&v=${p.v ?? "4.08"}&uuid=${uuid}&api=js`;
}

export class WsTestClient {
  /** The HTTP head of the server's answer (up to and including the blank line). */
  head = "";
  closed = false;
  private buf: Uint8Array = new Uint8Array(0);
  private frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  private reading: Promise<void>;
  private paused: Promise<void> | null = null;
  private resume: (() => void) | null = null;
  private barriers = 0;

  private constructor(private conn: Deno.Conn) {
    this.reading = this.readLoop();
  }

  /** Connects and sends the upgrade request; resolves once the head has arrived (or TCP closed). */
  static async open(port: number, path = wsPath(), options: ConnectOptions = {}) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const client = new WsTestClient(conn);
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    let request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    if (!options.noKey) request += `Sec-WebSocket-Key: ${key}\r\n`;
    for (const [k, v] of Object.entries(options.headers ?? {})) request += `${k}: ${v}\r\n`;
    await client.sendRaw(encoder.encode(request + "\r\n"));
    await client.waitFor(() => client.head !== "" || client.closed, 3000, "101 head");
    if (client.head !== "") {
      const accept = /Sec-WebSocket-Accept: (\S+)\r\n/.exec(client.head)?.[1];
      const expected = createHash("sha1").update(key + GUID).digest("base64");
      if (accept !== expected) throw new Error(`bad accept value in ${client.head}`);
    }
    return client;
  }

  /** `open` + the first frame (serverInfo), parsed. */
  static async connect(port: number, path = wsPath(), options: ConnectOptions = {}) {
    const client = await WsTestClient.open(port, path, options);
    const first = await client.nextJson();
    return { client, serverInfo: first };
  }

  sendRaw(bytes: Uint8Array): Promise<number> {
    return this.conn.write(bytes).catch(() => 0);
  }

  /** One frame, masked unless told otherwise. */
  sendFrame(
    opcode: number,
    payload: Uint8Array | string,
    o: { fin?: boolean; mask?: boolean; rsv?: number; lengthForm?: 7 | 16 | 64 } = {},
  ): Promise<number> {
    return this.sendRaw(buildFrame(opcode, payload, o));
  }

  /** A text command, optionally split into `fragments` continuation frames. */
  sendText(text: string, fragments = 1): Promise<number> {
    const bytes = encoder.encode(text);
    if (fragments <= 1) return this.sendFrame(0x1, bytes);
    const size = Math.ceil(bytes.length / fragments);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < fragments; i++) {
      const chunk = bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size));
      parts.push(buildFrame(i === 0 ? 0x1 : 0x0, chunk, { fin: i === fragments - 1 }));
    }
    return this.sendRaw(Buffer.concat(parts));
  }

  /** The next frame; rejects after `timeoutMs` or if TCP closes first. */
  async next(timeoutMs = 3000): Promise<Frame> {
    await this.waitFor(() => this.frames.length > 0 || this.closed, timeoutMs, "a frame");
    const frame = this.frames.shift();
    if (!frame) throw new Error("connection closed while waiting for a frame");
    return frame;
  }

  /** The next frame as JSON, with `message_send_time` normalised to 0 when present. */
  async nextJson(timeoutMs = 3000): Promise<Record<string, unknown>> {
    const frame = await this.next(timeoutMs);
    if (frame.opcode !== 0x1) throw new Error(`expected a text frame, got opcode ${frame.opcode}`);
    return normalise(JSON.parse(frame.text));
  }

  /**
   * A round trip through the server (a `pipe_count` with a unique marker): when it returns, every
   * command sent before has been executed. Returns the JSON frames that arrived before the reply.
   */
  async barrier(timeoutMs = 3000): Promise<Record<string, unknown>[]> {
    const marker = `barrier${++this.barriers}`;
    await this.sendText(`pipe_count\nweb_barrier\n${marker}\n`);
    const before: Record<string, unknown>[] = [];
    while (true) {
      const message = await this.nextJson(timeoutMs);
      if (message.marker === marker) return before;
      before.push(message);
    }
  }

  /** Asserts that no frame arrives within `ms` (a fixed wait: it proves that nothing comes). */
  async expectNoFrame(ms = 150): Promise<void> {
    await delay(ms);
    if (this.frames.length > 0) throw new Error(`unexpected frame: ${this.frames[0].text}`);
  }

  /** Resolves when the server has closed TCP; rejects after `timeoutMs`. */
  waitClosed(timeoutMs = 3000): Promise<void> {
    return this.waitFor(() => this.closed, timeoutMs, "TCP close");
  }

  /** Stops reading from the socket (a slow consumer); `resumeReading` starts again. */
  pauseReading(): void {
    this.paused ??= new Promise((r) => this.resume = r);
  }

  resumeReading(): void {
    this.resume?.();
    this.paused = null;
    this.resume = null;
  }

  /** Frames received but not yet taken. */
  get pending(): number {
    return this.frames.length;
  }

  async close(): Promise<void> {
    this.resumeReading();
    if (!this.closed) {
      try {
        this.conn.close();
      } catch {
        // already closed by the peer
      }
    }
    await this.reading;
  }

  private async readLoop(): Promise<void> {
    const chunk = new Uint8Array(256 * 1024);
    try {
      while (true) {
        if (this.paused) await this.paused;
        const n = await this.conn.read(chunk);
        if (n === null) break;
        this.buf = concat(this.buf, chunk.subarray(0, n));
        this.parse();
      }
    } catch {
      // reset or closed locally: both end the session
    }
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.wake();
  }

  private parse(): void {
    if (this.head === "") {
      const end = indexOfBlankLine(this.buf);
      if (end < 0) return;
      this.head = decoder.decode(this.buf.subarray(0, end));
      this.buf = this.buf.slice(end);
    }
    while (true) {
      const frame = parseFrame(this.buf);
      if (!frame) break;
      this.frames.push(frame.frame);
      this.buf = this.buf.slice(frame.size);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }
}

/** Sets `message_send_time` to 0 (tests compare whole frames). */
export function normalise(value: Record<string, unknown>): Record<string, unknown> {
  if ("message_send_time" in value) return { ...value, message_send_time: 0 };
  return value;
}

export function buildFrame(
  opcode: number,
  payload: Uint8Array | string,
  o: { fin?: boolean; mask?: boolean; rsv?: number; lengthForm?: 7 | 16 | 64 } = {},
): Uint8Array {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  const mask = o.mask ?? true;
  const n = data.length;
  const form = o.lengthForm ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const head = form === 7 ? 2 : form === 16 ? 4 : 10;
  const out = new Uint8Array(head + (mask ? 4 : 0) + n);
  const view = new DataView(out.buffer);
  out[0] = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  if (form === 7) out[1] = n;
  else if (form === 16) {
    out[1] = 126;
    view.setUint16(2, n);
  } else {
    out[1] = 127;
    view.setBigUint64(2, BigInt(n));
  }
  if (mask) {
    out[1] |= 0x80;
    const key = crypto.getRandomValues(new Uint8Array(4));
    out.set(key, head);
    for (let i = 0; i < n; i++) out[head + 4 + i] = data[i] ^ key[i & 3];
  } else {
    out.set(data, head);
  }
  return out;
}

/** Parses one server frame at the start of `buf`. */
export function parseFrame(buf: Uint8Array): { frame: Frame; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let len = buf[1] & 0x7f;
  let pos = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = view.getUint16(2);
    pos = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(view.getBigUint64(2));
    pos = 10;
  }
  const masked = (buf[1] & 0x80) !== 0;
  if (masked) pos += 4;
  if (buf.length < pos + len) return undefined;
  const payload = buf.slice(pos, pos + len);
  if (masked) { for (let i = 0; i < len; i++) payload[i] ^= buf[pos - 4 + (i & 3)]; }
  return {
    frame: {
      fin: (buf[0] & 0x80) !== 0,
      rsv: (buf[0] >> 4) & 7,
      opcode: buf[0] & 0x0f,
      masked,
      payload,
      text: decoder.decode(payload),
    },
    size: pos + len,
  };
}

/** Sends a raw HTTP request and returns everything the server sent until it closed TCP. */
export async function rawHttp(port: number, request: string | Uint8Array): Promise<string> {
  return decoder.decode(await rawHttpBytes(port, request));
}

/** `rawHttp` as bytes (a binary body). */
export async function rawHttpBytes(
  port: number,
  request: string | Uint8Array,
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(typeof request === "string" ? encoder.encode(request) : request);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // reset: return what arrived
  }
  conn.close();
  return concat(...chunks);
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function indexOfBlankLine(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}
