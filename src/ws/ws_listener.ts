/**
 * The browser port: plain HTTP and WebSocket on one TCP listener (docs/protocol/websocket.md §1).
 *
 * Transport decision (measured in docs/benchmarks.md §4 and README's Performance): raw TCP
 * with our own RFC 6455 framing, not `Deno.serve` + `upgradeWebSocket`; on Linux the C library's
 * sockets through FFI (net/libc_listener.ts: 1.4 KB instead of 4.3 KB per idle connection), else
 * `node:net`; net/tcp_listener.ts picks. Both give FirstRequest and WsConnection a `ByteSocket`.
 * - `Deno.upgradeWebSocket` answers a client Close with a Close frame before any script sees it
 *   and cannot do the bare TCP drop the original client's reconnect logic needs
 *   (docs/protocol/websocket.md §2.3); it also costs ~20 KB per connection.
 * - Both write synchronously (no promise per write), so a fan-out is not throttled by the
 *   runtime's per-turn limit on async operations, which made `Deno.listen` + `conn.write` pile up
 *   seconds of latency in the measurements. Writes are further packed to one per connection per
 *   event-loop turn (flush_scheduler.ts).
 * - The first bytes of a connection choose the route (§1.1), which needs the raw bytes anyway.
 *
 * The listener's handlers are shared by every connection and hand each event to the socket's
 * current phase (FirstRequest, then WsConnection), kept on the socket itself: no listeners are
 * added or removed per phase, and no closure is made per connection (~200 bytes each, idle).
 */
import type { BrowserNode } from "./browser_node.ts";
import type { Logger } from "../log.ts";
import type { FlowSocket } from "../net/byte_socket.ts";
import { listenTcp } from "../net/tcp_listener.ts";
import { BrowserPortGuard } from "./browser_port_guard.ts";
import {
  FirstRequest,
  PHASE,
  type PhasedSocket,
  type PortContext,
  REFUSED,
  type StaticFiles,
} from "./first_request.ts";

export type { StaticFiles } from "./first_request.ts";

export interface WsListener {
  /** The real port (useful when the configured one is 0). */
  port: number;
  /** Stops accepting and drops every connection (bare TCP close: clients reconnect). */
  close(): Promise<void>;
}

type Phased = FlowSocket & PhasedSocket;

export async function startWsListener(
  node: BrowserNode,
  log: Logger,
  staticFiles: StaticFiles,
): Promise<WsListener> {
  const { ip, port } = node.config.ws;
  const guard = new BrowserPortGuard(node.config.limits, log, node.stats);
  const context: PortContext = { node, log, staticFiles, guard };
  let listener;
  try {
    listener = await listenTcp(ip, port, {
      onConnection(socket) {
        const phased = socket as Phased;
        if (!guard.admit(socket)) {
          phased[PHASE] = REFUSED;
          socket.destroy();
          return;
        }
        phased[PHASE] = new FirstRequest(phased, context);
      },
      onData(socket, chunk) {
        (socket as Phased)[PHASE].onData(chunk);
      },
      onDrain(socket) {
        (socket as Phased)[PHASE].onDrain?.();
      },
      onClose(socket) {
        const phase = (socket as Phased)[PHASE];
        phase.onClose();
        if (phase !== REFUSED) guard.release(socket);
      },
      onSocketError(_socket, e) {
        log.debug("ws", `socket error: ${e.message}`);
      },
      onListenerError(message) {
        log.error("ws", message);
      },
    }, {
      transport: node.config.main.transport,
      reusePort: node.config.main.workers > 1, // the workers share the port
    });
  } catch (e) {
    guard.close();
    throw e;
  }
  log.info("ws", `WebSocket/HTTP listening on ${ip}:${listener.port} (${listener.transport})`);
  const cap = guard.connectionCap;
  if (cap !== Infinity) log.info("ws", `at most ${cap} browser connections ([limits])`);
  const tcp = listener;
  return {
    port: tcp.port,
    close: async () => {
      guard.close();
      await tcp.close();
    },
  };
}
