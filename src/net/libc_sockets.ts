/**
 * TCP sockets straight on the C library (Linux, through Deno's FFI) for both ports: one epoll
 * set per listener, non-blocking sockets, `send` and `recv` called synchronously from the event
 * loop's thread. It exists for the figures in README's Performance section: measured with
 * shared/tools/wsload on Deno 2.9, the whole server costs 4.3 KB of memory and ~260 µs of CPU per
 * idle connection on `node:net` against 1.4 KB and ~245 µs here; a write ~14.6 µs against ~13 µs
 * (a C program: ~11–12 µs, bench/floor/); CometQL ~34k against ~46k INSERT/s.
 *
 * Only what the listeners use is here (`FlowSocket`): write (queued past what the kernel takes,
 * sent when epoll says writable), the unsent byte count, destroy, destroy once sent, pause and
 * resume reading, the peer's address. The epoll wait runs on a runtime worker thread (a
 * nonblocking FFI call), so the event loop stays free; everything else runs on the event loop's
 * thread. Where this cannot run
 * (not Linux x86_64/aarch64, no `--allow-ffi`, an `ip` that is not an IP literal, or
 * `COMET_TRANSPORT=node` in the environment), the listeners use `node:net`.
 */
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import type { ConnectionHandlers, FlowSocket } from "./byte_socket.ts";
import { AF_INET, AF_INET6, compressIpv6, encodeAddress } from "./socket_address.ts";

const SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1,
  SO_REUSEADDR = 2,
  SO_REUSEPORT = 15,
  IPPROTO_TCP = 6,
  TCP_NODELAY = 1,
  SHUT_WR = 1;
const EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLRDHUP = 0x2000;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_MOD = 3;
const MSG_NOSIGNAL = 0x4000, EAGAIN = 11, EINTR = 4, EMFILE = 24, ENFILE = 23;
/** The failures a peer causes, named as node:net names them. */
const ERRNO_NAMES: Record<number, string> = {
  32: "EPIPE",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
};
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16; // struct epoll_event is packed on x86_64
const EVENT_DATA = Deno.build.arch === "x86_64" ? 4 : 8;
const MAX_EVENTS = 1024;
/** An int 1, for setsockopt. */
const ONE = new Uint8Array(new Int32Array([1]).buffer);
/** Batches handled in a row without yielding to the event loop, and for at most this long. */
const SYNC_POLLS = 8;
const SYNC_POLL_MS = 2;
const READ_SIZE = 65536;
const ACCEPT_PAUSE_MIN_MS = 100, ACCEPT_PAUSE_MAX_MS = 1000;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  // Byte counts are size_t/ssize_t; every buffer here is far below 2 GiB, so i32 results hold them.
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  epoll_wait_now: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
// size_t parameters take plain numbers at run time; the declared type only admits bigint.
type SizedCall = (fd: number, buf: Uint8Array, size: number, flags: number) => number;

/** Opened once, when this module loads (not inside a test), or null where it cannot be. */
const libc: Libc | null = openLibc();

function openLibc(): Libc | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return null;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  try {
    return Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    return null;
  }
}

const recv = libc?.recv as unknown as SizedCall;
const send = libc?.send as unknown as SizedCall;

function errno(): number {
  return new Deno.UnsafePointerView(libc!.__errno_location()!).getInt32();
}

/** Whether a listener on `ip` can use libc sockets in this process. */
export function libcSocketsUsable(ip: string): boolean {
  return libc !== null && isIP(ip) !== 0 && Deno.env.get("COMET_TRANSPORT") !== "node";
}

export interface LibcListener {
  readonly port: number;
  /** Stops accepting, drops every connection and waits for the epoll loop to end. */
  close(): Promise<void>;
}

/** `reusePort`: SO_REUSEPORT, so the kernel spreads connections over the workers' listeners. */
export function listenLibc(
  ip: string,
  port: number,
  handlers: ConnectionHandlers,
  reusePort = false,
): LibcListener {
  const c = libc!;
  const family = isIP(ip) === 6 ? AF_INET6 : AF_INET;
  const fd = c.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(): errno ${errno()}`);
  c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, ONE, 4);
  if (reusePort && c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, ONE, 4) !== 0) {
    const code = errno();
    c.close(fd);
    throw new Error(`setsockopt(SO_REUSEPORT) on ${ip}:${port}: errno ${code}`);
  }
  const address = encodeAddress(family, ip, port);
  if (c.bind(fd, address, address.length) !== 0 || c.listen(fd, 4096) !== 0) {
    const code = errno();
    c.close(fd);
    throw Object.assign(new Error(`cannot listen on ${ip}:${port}: errno ${code}`), {
      code: code === 98 ? "EADDRINUSE" : code === 13 ? "EACCES" : `E${code}`,
    });
  }
  return new EpollLoop(fd, handlers);
}

class EpollLoop implements LibcListener {
  readonly port: number;
  private readonly epoll: number;
  private readonly wake: number;
  private readonly sockets = new Map<number, LibcSocket>();
  private readonly events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  private readonly view = new DataView(this.events.buffer);
  private readonly readBuffer = new Uint8Array(READ_SIZE);
  /** The one event that epoll_ctl reads (it copies it). */
  private readonly control = new Uint8Array(EVENT_SIZE);
  private readonly controlView = new DataView(this.control.buffer);
  private closed = false;
  private readonly done: Promise<void>;
  /** How long accepting pauses after EMFILE/ENFILE; doubles while it lasts (up to 1 s). */
  private acceptPauseMs = ACCEPT_PAUSE_MIN_MS;

  constructor(
    private readonly listenFd: number,
    readonly handlers: ConnectionHandlers,
  ) {
    const c = libc!;
    this.port = localPort(listenFd);
    this.epoll = c.epoll_create1(0o2000000);
    this.wake = c.eventfd(0, 0o4000 | 0o2000000);
    this.watch(EPOLL_CTL_ADD, listenFd, EPOLLIN);
    this.watch(EPOLL_CTL_ADD, this.wake, EPOLLIN);
    this.done = this.run();
  }

  /** epoll_ctl with one event whose data is the fd. */
  watch(op: number, fd: number, events: number): void {
    this.controlView.setUint32(0, events, true);
    this.controlView.setInt32(EVENT_DATA, fd, true);
    libc!.epoll_ctl(this.epoll, op, fd, this.control);
  }

  forget(fd: number): void {
    this.sockets.delete(fd);
  }

  async close(): Promise<void> {
    if (this.closed) return this.done;
    this.closed = true;
    const c = libc!;
    c.close(this.listenFd);
    for (const socket of [...this.sockets.values()]) socket.destroy();
    c.write(this.wake, new Uint8Array(new BigUint64Array([1n]).buffer), 8 as unknown as bigint);
    await this.done;
    c.close(this.wake);
    c.close(this.epoll);
  }

  /**
   * Waiting happens on a worker thread, which costs a thread hop (~20 µs) per wake-up. So after
   * each batch the loop first asks without waiting, on this thread, whether more is ready (the
   * request that follows an accept usually is), up to SYNC_POLLS batches or SYNC_POLL_MS: then it
   * waits on the thread again, which is also what lets the rest of the event loop run.
   */
  private async run(): Promise<void> {
    const view = this.view;
    const c = libc!;
    let polls = 0;
    let since = 0;
    while (!this.closed) {
      let n = 0;
      if (polls > 0 && polls < SYNC_POLLS && performance.now() - since < SYNC_POLL_MS) {
        n = c.epoll_wait_now(this.epoll, this.events, MAX_EVENTS, 0);
      }
      if (n > 0) polls++;
      else {
        n = await c.epoll_wait(this.epoll, this.events, MAX_EVENTS, -1);
        polls = 1;
        since = performance.now();
      }
      if (n < 0) {
        const code = errno();
        if (code !== EINTR) this.handlers.onListenerError(`epoll_wait: errno ${code}`);
        continue;
      }
      for (let i = 0; i < n && !this.closed; i++) {
        const flags = view.getUint32(i * EVENT_SIZE, true);
        const fd = view.getInt32(i * EVENT_SIZE + EVENT_DATA, true);
        if (fd === this.listenFd) this.accept();
        else if (fd !== this.wake) this.sockets.get(fd)?.onEvents(flags);
      }
    }
  }

  private accept(): void {
    const c = libc!;
    for (let k = 0; k < 64; k++) {
      const fd = c.accept4(this.listenFd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const code = errno();
        if (code === EMFILE || code === ENFILE) this.pauseAccepting(code);
        return;
      }
      this.acceptPauseMs = ACCEPT_PAUSE_MIN_MS;
      c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ONE, 4);
      const socket = new LibcSocket(fd, this);
      this.sockets.set(fd, socket);
      this.watch(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP);
      this.handlers.onConnection(socket);
    }
  }

  /**
   * Out of file descriptors: level-triggered accept would spin, so stop for a moment, longer
   * while it lasts (the listener's error report is rate-limited by tcp_listener.ts).
   */
  private pauseAccepting(code: number): void {
    this.handlers.onListenerError(
      `accept: ${code === EMFILE ? "EMFILE" : "ENFILE"} (too many open files); ` +
        "new connections wait in the kernel's backlog",
    );
    this.watch(EPOLL_CTL_MOD, this.listenFd, 0);
    setTimeout(() => {
      if (!this.closed) this.watch(EPOLL_CTL_MOD, this.listenFd, EPOLLIN);
    }, this.acceptPauseMs);
    this.acceptPauseMs = Math.min(ACCEPT_PAUSE_MAX_MS, 2 * this.acceptPauseMs);
  }

  /** Reads what the socket has into a fresh chunk (its handlers may keep it), or 0 / −errno. */
  read(fd: number): Buffer | number {
    const n = recv(fd, this.readBuffer, READ_SIZE, 0);
    if (n <= 0) return n === 0 ? 0 : -errno();
    return Buffer.from(this.readBuffer.slice(0, n).buffer);
  }
}

/** One accepted connection; its events go to the listener's handlers. */
export class LibcSocket implements FlowSocket {
  destroyed = false;
  private reading = true;
  /** Bytes the kernel did not take yet, oldest first; null when there are none. */
  private unsent: Uint8Array[] | null = null;
  private unsentBytes = 0;
  /** Bytes the kernel has taken from `sendUnsent` so far (positions for `confirmations`). */
  private sent = 0;
  /**
   * Write callbacks (`write(data, onWritten)`) waiting for the kernel to take their data: each
   * with the value `sent` must reach. Null when there are none (always, on the fan-out path).
   */
  private confirmations: { end: number; onWritten: () => void }[] | null = null;
  private endWhenSent = false;
  private peer: string | undefined;

  constructor(private readonly fd: number, private readonly loop: EpollLoop) {}

  get writableLength(): number {
    return this.unsentBytes;
  }

  get remoteAddress(): string | undefined {
    if (this.peer === undefined && !this.destroyed) this.peer = peerAddress(this.fd);
    return this.peer;
  }

  write(data: Uint8Array, onWritten?: () => void): boolean {
    if (this.destroyed) return false;
    if (data.length === 0) {
      if (onWritten !== undefined) this.confirmAfterUnsent(onWritten);
      return true;
    }
    if (this.unsent !== null) {
      this.unsent.push(data);
      this.unsentBytes += data.length;
      if (onWritten !== undefined) this.confirmAfterUnsent(onWritten);
      return false;
    }
    const n = send(this.fd, data, data.length, MSG_NOSIGNAL);
    if (n === data.length) {
      onWritten?.();
      return true;
    }
    if (n < 0) {
      const code = errno();
      if (code !== EAGAIN) return this.fail(code);
    }
    const rest = n > 0 ? data.subarray(n) : data;
    this.unsent = [rest];
    this.unsentBytes = rest.length;
    if (onWritten !== undefined) this.confirmAfterUnsent(onWritten);
    this.updateInterest();
    return false;
  }

  /** `onWritten` runs once everything unsent now has been taken by the kernel. */
  private confirmAfterUnsent(onWritten: () => void): void {
    if (this.unsent === null) return onWritten();
    (this.confirmations ??= []).push({ end: this.sent + this.unsentBytes, onWritten });
  }

  /** Runs the callbacks whose data the kernel has now taken whole, oldest first. */
  private confirmSent(): void {
    const confirmations = this.confirmations!;
    let k = 0;
    while (k < confirmations.length && confirmations[k].end <= this.sent) k++;
    if (k === 0) return;
    const done = confirmations.splice(0, k);
    if (confirmations.length === 0) this.confirmations = null;
    for (const c of done) c.onWritten();
  }

  /** Stops reading (the kernel holds what arrives) until `resume`. */
  pause(): void {
    if (!this.reading || this.destroyed) return;
    this.reading = false;
    this.updateInterest();
  }

  resume(): void {
    if (this.reading || this.destroyed) return;
    this.reading = true;
    this.updateInterest();
  }

  private updateInterest(): void {
    const events = (this.reading ? EPOLLIN | EPOLLRDHUP : 0) | (this.unsent ? EPOLLOUT : 0);
    this.loop.watch(EPOLL_CTL_MOD, this.fd, events);
  }

  /** A send or receive failed: report it as node:net would, then close. */
  private fail(code: number): false {
    const name = ERRNO_NAMES[code] ?? `E${code}`;
    const error = Object.assign(new Error(`${name} (errno ${code})`), { code: name });
    this.loop.handlers.onSocketError?.(this, error);
    this.destroy();
    return false;
  }

  /** Closes at once (a bare TCP close); `onClose` follows after the current job. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unsent = null;
    this.unsentBytes = 0;
    this.confirmations = null; // never taken whole: the owner learns of it from onClose
    this.loop.forget(this.fd);
    libc!.close(this.fd); // also leaves the epoll set
    queueMicrotask(() => this.loop.handlers.onClose(this));
  }

  /** Closes once everything written so far has been sent. */
  destroySoon(): void {
    if (this.unsent === null) {
      libc!.shutdown(this.fd, SHUT_WR);
      this.destroy();
    } else this.endWhenSent = true;
  }

  /** Called by the loop with the epoll flags of this socket. */
  onEvents(flags: number): void {
    if ((flags & EPOLLOUT) !== 0) this.sendUnsent();
    if (this.destroyed || (flags & ~EPOLLOUT) === 0) return;
    const chunk = this.loop.read(this.fd);
    if (typeof chunk !== "number") this.loop.handlers.onData(this, chunk);
    else if (chunk === 0) this.destroy(); // EOF: the peer closed
    else if (chunk !== -EAGAIN) this.fail(-chunk);
  }

  private sendUnsent(): void {
    const unsent = this.unsent;
    if (unsent === null) return;
    while (unsent.length > 0) {
      const data = unsent[0];
      const n = send(this.fd, data, data.length, MSG_NOSIGNAL);
      if (n < 0) {
        const code = errno();
        if (code !== EAGAIN) this.fail(code);
        return;
      }
      this.unsentBytes -= n;
      this.sent += n;
      if (n < data.length) {
        unsent[0] = data.subarray(n);
        if (this.confirmations !== null) this.confirmSent();
        return;
      }
      unsent.shift();
    }
    this.unsent = null;
    if (this.confirmations !== null) this.confirmSent();
    if (this.destroyed) return;
    this.updateInterest();
    if (this.endWhenSent) this.destroySoon();
    else this.loop.handlers.onDrain?.(this);
  }
}

function localPort(fd: number): number {
  const address = new Uint8Array(28);
  const length = new Uint32Array([28]);
  libc!.getsockname(fd, address, new Uint8Array(length.buffer));
  return new DataView(address.buffer).getUint16(2, false);
}

/** The peer's address as node:net writes it (IPv4 dotted; IPv6 compressed, v4-mapped kept). */
function peerAddress(fd: number): string | undefined {
  const address = new Uint8Array(28);
  const length = new Uint32Array([28]);
  if (libc!.getpeername(fd, address, new Uint8Array(length.buffer)) !== 0) return undefined;
  const view = new DataView(address.buffer);
  if (view.getUint16(0, true) === AF_INET) return address.subarray(4, 8).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(8 + 2 * i, false));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${address.subarray(20, 24).join(".")}`;
  }
  return compressIpv6(groups);
}
