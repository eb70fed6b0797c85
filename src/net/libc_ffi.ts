/**
 * The C library through Deno's FFI, for the libc transport (libc_listener.ts, libc_socket.ts):
 * the symbol table, the Linux numbers those calls take and return, and `errno`. Opened once, when
 * this module loads; `libc` is null where it cannot be (not Linux x86_64/aarch64, no
 * `--allow-ffi`), and the listeners then use `node:net`.
 */

export const SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1,
  SO_REUSEADDR = 2,
  SO_REUSEPORT = 15,
  IPPROTO_TCP = 6,
  TCP_NODELAY = 1,
  SHUT_WR = 1;
export const EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLRDHUP = 0x2000;
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_MOD = 3;
export const MSG_NOSIGNAL = 0x4000, EAGAIN = 11, EINTR = 4, EMFILE = 24, ENFILE = 23;
/** The failures a peer causes, named as node:net names them. */
export const ERRNO_NAMES: Record<number, string> = {
  32: "EPIPE",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
};
/** An int 1, for setsockopt. */
export const ONE = new Uint8Array(new Int32Array([1]).buffer);

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
export const libc: Libc | null = openLibc();

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

export const recv = libc?.recv as unknown as SizedCall;
export const send = libc?.send as unknown as SizedCall;

export function errno(): number {
  return new Deno.UnsafePointerView(libc!.__errno_location()!).getInt32();
}
