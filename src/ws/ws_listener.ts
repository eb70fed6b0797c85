/**
 * The browser port: plain HTTP and WebSocket on one TCP listener (spec: websocket.md §1).
 *
 * Transport decision (measured in shared/notes/ws-transport.md and README's Performance): raw TCP
 * with our own RFC 6455 framing, not `Deno.serve` + `upgradeWebSocket`; on Linux the C library's
 * sockets through FFI (libc_sockets.ts: 1.7 KB instead of 4.3 KB per idle connection), else
 * `node:net`. Both give FirstRequest and WsConnection the same `ByteSocket`.
 * - `Deno.upgradeWebSocket` answers a client Close with a Close frame before any script sees it
 *   and cannot do the bare TCP drop the original client's reconnect logic needs (spec §2.3);
 *   it also costs ~20 KB per connection.
 * - `node:net` writes synchronously (no promise per write), so a fan-out is not throttled by the
 *   runtime's per-turn limit on async operations, which made `Deno.listen` + `conn.write` pile up
 *   seconds of latency in the measurements. Writes are further packed to one per connection per
 *   event-loop turn (flush_scheduler.ts).
 * - The first bytes of a connection choose the route (§1.1), which needs the raw bytes anyway.
 *
 * Per connection the listener keeps exactly one `data` and one `close` listener for the socket's
 * whole life and hands both to the current phase (FirstRequest, then WsConnection), kept on the
 * socket itself: adding and removing listeners would turn the socket's event table into a slow,
 * larger dictionary, and per-socket closures cost ~200 bytes per idle connection.
 */
import type { Buffer } from "node:buffer";
import net from "node:net";
import type { CometNode } from "../core/comet_node.ts";
import type { Logger } from "../log.ts";
import { type LibcSocket, libcSocketsUsable, listenLibc } from "../net/libc_sockets.ts";
import {
  FirstRequest,
  PHASE,
  type PhasedSocket,
  type PortContext,
  type StaticFiles,
} from "./first_request.ts";

export type { StaticFiles } from "./first_request.ts";

export interface WsListener {
  /** The real port (useful when the configured one is 0). */
  port: number;
  /** Stops accepting and drops every connection (bare TCP close: clients reconnect). */
  close(): Promise<void>;
}

export function startWsListener(
  node: CometNode,
  log: Logger,
  staticFiles: StaticFiles,
): Promise<WsListener> {
  const { ip, port } = node.config.ws;
  const context: PortContext = { node, log, staticFiles };
  if (libcSocketsUsable(ip)) return Promise.resolve(startOnLibc(context));
  const sockets = new Set<net.Socket>();
  const onSocketError = (e: Error) => log.debug("ws", `socket error: ${e.message}`);
  // One set of handlers shared by every socket (EventEmitter calls them with `this` = the
  // socket), so a connection costs no closures and no closure context of its own.
  function onData(this: NetPhasedSocket, chunk: Buffer): void {
    this[PHASE].onData(chunk);
  }
  function onClose(this: NetPhasedSocket): void {
    sockets.delete(this);
    this[PHASE].onClose();
  }
  const server = net.createServer((accepted) => {
    const socket = accepted as NetPhasedSocket;
    sockets.add(socket);
    // Frames are already packed per event-loop turn; Nagle would only add delay on top.
    socket.setNoDelay(true);
    socket[PHASE] = new FirstRequest(socket, context);
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onSocketError);
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, ip, () => {
      server.off("error", reject);
      server.on("error", (e: Error) => log.error("ws", `listener error: ${e.message}`));
      const real = (server.address() as net.AddressInfo).port;
      log.info("ws", `WebSocket/HTTP listening on ${ip}:${real}`);
      resolve({
        port: real,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}

type NetPhasedSocket = net.Socket & PhasedSocket;

/** The same port on libc sockets (libc_sockets.ts): same phases, no node:net Socket per client. */
function startOnLibc(context: PortContext): WsListener {
  const { node, log } = context;
  const { ip, port } = node.config.ws;
  const listener = listenLibc(
    ip,
    port,
    (socket: LibcSocket) => {
      const phased = socket as LibcSocket & PhasedSocket;
      phased[PHASE] = new FirstRequest(phased, context);
      socket.onData = (chunk) => phased[PHASE].onData(chunk);
      socket.onClose = () => phased[PHASE].onClose();
    },
    (message) => log.error("ws", message),
  );
  log.info("ws", `WebSocket/HTTP listening on ${ip}:${listener.port} (libc sockets)`);
  return { port: listener.port, close: () => listener.close() };
}
