/**
 * TCP sockets straight on the C library (Linux, through Deno's FFI) for both ports: one epoll
 * set per listener, non-blocking sockets, `send` and `recv` called synchronously from the event
 * loop's thread. It exists for the figures in README's Performance section: measured with
 * `wsload` (docs/benchmarks.md §2) on Deno 2.9, the whole server costs 4.3 KB of memory and ~260 µs
 * of CPU per idle connection on `node:net` against 1.4 KB and ~245 µs here; a write ~14.6 µs
 * against ~13 µs (a C program: ~11–12 µs, bench/floor/); CometQL ~34k against ~46k INSERT/s.
 *
 * This module is the listening side: the listening socket and the epoll loop that accepts and
 * routes each fd's events. The epoll wait runs on a runtime worker thread (a nonblocking FFI
 * call), so the event loop stays free; everything else runs on the event loop's thread. The
 * accepted connection (`LibcSocket`, only what the listeners use of `FlowSocket`) is in
 * libc_socket.ts, the C library's symbols and numbers in libc_ffi.ts. Where this cannot run
 * (not Linux x86_64/aarch64, no `--allow-ffi`, an `ip` that is not an IP literal), or where
 * `[main] transport = node` says not to, the listeners use `node:net`.
 */
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import type { ConnectionHandlers } from "./byte_socket.ts";
import { AF_INET, AF_INET6, encodeAddress } from "./socket_address.ts";
import {
  EINTR,
  EMFILE,
  ENFILE,
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  EPOLLIN,
  EPOLLRDHUP,
  errno,
  IPPROTO_TCP,
  libc,
  ONE,
  recv,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./libc_ffi.ts";
import { LibcSocket, type SocketLoop } from "./libc_socket.ts";

const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16; // struct epoll_event is packed on x86_64
const EVENT_DATA = Deno.build.arch === "x86_64" ? 4 : 8;
const MAX_EVENTS = 1024;
/** Batches handled in a row without yielding to the event loop, and for at most this long. */
const SYNC_POLLS = 8;
const SYNC_POLL_MS = 2;
const READ_SIZE = 65536;
const ACCEPT_PAUSE_MIN_MS = 100, ACCEPT_PAUSE_MAX_MS = 1000;

/** Whether a listener on `ip` can use libc sockets in this process. */
export function libcSocketsUsable(ip: string): boolean {
  return libc !== null && isIP(ip) !== 0;
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

class EpollLoop implements LibcListener, SocketLoop {
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

function localPort(fd: number): number {
  const address = new Uint8Array(28);
  const length = new Uint32Array([28]);
  libc!.getsockname(fd, address, new Uint8Array(length.buffer));
  return new DataView(address.buffer).getUint16(2, false);
}
