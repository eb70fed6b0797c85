/**
 * A TCP listener for both ports, on the C library's sockets where they can be used
 * (libc_listener.ts) and on `node:net` otherwise. Either way the port's code gets `FlowSocket`s
 * and one `ConnectionHandlers` object; which transport runs is in `transport` (for the log).
 */
import type { Buffer } from "node:buffer";
import net from "node:net";
import type { ConnectionHandlers } from "./byte_socket.ts";
import { libcSocketsUsable, listenLibc } from "./libc_listener.ts";

export interface TcpListener {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  readonly transport: "libc sockets" | "node:net";
  /** Stops accepting, destroys every connection (each gets `onClose`) and waits for that. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /**
   * `[main] transport`: `libc` (the default) uses the C library's sockets where they can run,
   * `node` always uses `node:net` — also chosen for a port whose every request waits on a reply
   * that arrives through Deno's own reactor (CometQL with `[redis]`: OK only after Redis confirmed
   * the PUBLISH): on libc sockets each request would cost a hop from the epoll thread to the event
   * loop besides the Redis reply; on `node:net` both arrive in the same reactor.
   */
  transport?: "libc" | "node";
  /**
   * Several processes (the workers of `[main] workers`) listen on the same port and the kernel
   * spreads new connections over them (Linux SO_REUSEPORT; both transports support it). Off for
   * a single process, so a second server started by mistake fails with EADDRINUSE instead of
   * silently taking half the connections.
   */
  reusePort?: boolean;
}

/** Listens on ip:port; rejects when the address cannot be bound (`code` as node:net sets it). */
export function listenTcp(
  ip: string,
  port: number,
  given: ConnectionHandlers,
  options: ListenOptions = {},
): Promise<TcpListener> {
  const handlers = { ...given, onListenerError: rateLimited(given.onListenerError) };
  const reusePort = options.reusePort ?? false;
  if (options.transport !== "node" && libcSocketsUsable(ip)) {
    try {
      const listener = listenLibc(ip, port, handlers, reusePort);
      return Promise.resolve({
        port: listener.port,
        transport: "libc sockets",
        close: () => listener.close(),
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return listenNodeNet(ip, port, handlers, reusePort);
}

/** A report repeated while it lasts (EMFILE at every retry): one line per this long. */
const REPORT_EVERY_MS = 10_000;

/** At most one listener error line per REPORT_EVERY_MS, saying how many were left out. */
function rateLimited(report: (message: string) => void): (message: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (message) => {
    const now = performance.now();
    if (now - last < REPORT_EVERY_MS) {
      suppressed++;
      return;
    }
    last = now;
    report(suppressed > 0 ? `${message} (${suppressed} more since the last report)` : message);
    suppressed = 0;
  };
}

function listenNodeNet(
  ip: string,
  port: number,
  handlers: ConnectionHandlers,
  reusePort: boolean,
): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  // One function of each kind for every socket (EventEmitter calls it with `this` = the
  // socket): a connection costs no closures of its own.
  function onData(this: net.Socket, chunk: Buffer): void {
    handlers.onData(this, chunk);
  }
  function onDrain(this: net.Socket): void {
    handlers.onDrain?.(this);
  }
  function onError(this: net.Socket, error: Error): void {
    handlers.onSocketError?.(this, error);
  }
  function onClose(this: net.Socket): void {
    sockets.delete(this);
    handlers.onClose(this);
  }
  const server = net.createServer((socket) => {
    sockets.add(socket);
    // Replies and frames are already packed per event-loop turn; Nagle would only add delay.
    socket.setNoDelay(true);
    handlers.onConnection(socket);
    socket.on("data", onData);
    if (handlers.onDrain) socket.on("drain", onDrain);
    socket.on("error", onError);
    socket.on("close", onClose);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: ip, reusePort }, () => {
      server.off("error", reject);
      server.on("error", (e: Error) => handlers.onListenerError(`listener error: ${e.message}`));
      resolve({
        port: (server.address() as net.AddressInfo).port,
        transport: "node:net",
        close: async () => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          const gone = [...sockets].map((s) => new Promise((done) => s.once("close", done)));
          for (const socket of sockets) socket.destroy();
          await Promise.all([closed, ...gone]);
        },
      });
    });
  });
}
