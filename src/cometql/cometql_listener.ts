/**
 * The CometQL TCP service (docs/protocol/cometql.md §1, `[cometql]` section): accepts
 * MySQL-protocol connections and drives one `CometqlSession` per connection. Packets that arrive
 * together (pipelined queries) are all handled in order and answered with one write.
 *
 * Transport: like the browser port, the C library's sockets where they can be used
 * (net/libc_listener.ts: a no-op MySQL responder answers ~69k queries/s on them against 39–53k on
 * `node:net`), `node:net` otherwise. Writes are synchronous on both, so an INSERT is answered in
 * the same event-loop turn that started its fan-out (the frames are queued on every subscriber,
 * written at the end of the turn), without an async write op per reply. With `Deno.listen` +
 * `conn.write` the reply waited behind the turn's fan-out and the runtime's op polling: 17 ms
 * INSERT round trip at 1k subscribers, which left the publishers idle (measured with `wsload`
 * (docs/benchmarks.md §2), fanout-1k-max).
 *
 * While deliveries are backlogged (core/delivery_pressure.ts) a connection takes no new command:
 * that is what bounds the queue when every INSERT is answered before its fan-out is written.
 *
 * Before login a connection may send only small packets (`[limits] cometql_preauth_packet_max`)
 * and must log in within `cometql_login_timeout` seconds (MySQL's `connect_timeout`), or it is
 * closed; a `haproxy_check` probe, which never logs in, is closed at that time too (issue 13).
 */
import { Buffer } from "node:buffer";
import { deliveryBacklogged, whenDeliveryCleared } from "../core/delivery_pressure.ts";
import type { Logger } from "../log.ts";
import type { FlowSocket } from "../net/byte_socket.ts";
import { listenTcp } from "../net/tcp_listener.ts";
import { Errors } from "./cometql_error.ts";
import type { CometqlNode } from "./cometql_node.ts";
import { CometqlSession } from "./cometql_session.ts";
import { type Packet, PacketReader, PacketTooLarge } from "./wire/packet_reader.ts";

/** Unsent reply bytes past which a connection stops reading until its client catches up. */
const MAX_UNSENT = 1 << 20;

export interface CometqlListener {
  /** The bound port (the real one when the config asked for 0). */
  readonly port: number;
  /** Stops accepting, closes every connection and waits for them to finish. */
  close(): Promise<void>;
}

export async function startCometqlListener(
  node: CometqlNode,
  log: Logger,
): Promise<CometqlListener> {
  const { ip, port } = node.config.cometql;
  const connections = new Map<FlowSocket, QlConnection>();
  let nextConnectionId = 1;
  const listener = await listenTcp(ip, port, {
    onConnection(socket) {
      connections.set(socket, new QlConnection(socket, node, nextConnectionId++));
    },
    onData(socket, chunk) {
      connections.get(socket)?.onData(chunk);
    },
    onDrain(socket) {
      connections.get(socket)?.onDrain();
    },
    onClose(socket) {
      connections.get(socket)?.onClose();
      connections.delete(socket);
    },
    onSocketError(socket, e) {
      const conn = connections.get(socket);
      if (conn && !DISCONNECTS.has(e.code ?? "")) {
        log.warn("cometql", `connection ${conn.id} from ${conn.host}: ${e.message}`);
      }
    },
    onListenerError(message) {
      log.error("cometql", message);
    },
  }, {
    reusePort: node.config.main.workers > 1, // the workers share the port
    // With Redis an INSERT is acknowledged once Redis confirmed its PUBLISH, a reply that
    // arrives on node:net: taking the query on node:net too saves a thread hop per INSERT
    // (README "Scaling out": ~21k → ~31k INSERT/s with 4 publishers).
    transport: node.config.redis !== undefined ? "node" : node.config.main.transport,
  });
  log.info(
    "cometql",
    `CometQL (MySQL protocol) listening on ${ip}:${listener.port} (${listener.transport})`,
  );
  return {
    port: listener.port,
    async close() {
      // Queries still running finish (their storage writes included) before the sockets go.
      await Promise.all([...connections.values()].map((c) => c.destroy()));
      await listener.close();
    },
  };
}

/** One client: reads packets, runs them one after another, writes the replies. */
class QlConnection {
  private readonly session: CometqlSession;
  private readonly reader: PacketReader;
  /** True while `resume` runs (a query may wait for storage). */
  private busy = false;
  /** A packet taken from the reader but not handled yet: deliveries were backlogged. */
  private held: Packet | undefined;
  /** The latest packet loop, awaited by `destroy`. */
  private running: Promise<void> | null = null;
  private ended = false;
  /** Closes the connection if it has not logged in in time; cleared at login. */
  private loginTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private socket: FlowSocket,
    node: CometqlNode,
    readonly id: number,
  ) {
    const ip = socket.remoteAddress ?? "";
    this.session = new CometqlSession(node, id, ip.startsWith("::ffff:") ? ip.slice(7) : ip);
    this.reader = new PacketReader(node.config.limits.cometqlPreauthPacketMax);
    this.loginTimer = setTimeout(() => {
      this.loginTimer = undefined;
      node.log.debug("cometql", `connection ${id} from ${this.host}: no login in time, closed`);
      this.destroy();
    }, node.config.limits.cometqlLoginTimeoutS * 1000);
    this.write(); // the handshake
  }

  get host(): string {
    return this.session.host;
  }

  /** The client took every reply: read again if a backlog had paused reading. */
  onDrain(): void {
    if (!this.ended) this.socket.resume();
  }

  onClose(): void {
    this.ended = true;
    clearTimeout(this.loginTimer);
    this.session.closed();
  }

  /** Drops the connection; resolves when a query that was running has finished. */
  destroy(): Promise<void> {
    this.ended = true;
    this.socket.destroy();
    return this.running ?? Promise.resolve();
  }

  onData(chunk: Buffer): void {
    if (this.ended) return;
    this.reader.push(chunk);
    if (!this.busy) this.handlePackets();
  }

  /**
   * Handles every complete packet in order and answers them with one write. Stays synchronous
   * while each packet is answered at once (the hot INSERT always is); the first one that has to
   * wait — storage, login, or backlogged deliveries — hands the rest to `resume`.
   */
  private handlePackets(): void {
    const waiting = this.drain();
    if (waiting === undefined) this.write();
    else this.running = this.resume(waiting);
  }

  /** Goes on after what `drain` waits for, until no packet is left, then writes the replies. */
  private async resume(waiting: Promise<void>): Promise<void> {
    this.busy = true;
    try {
      for (let w: Promise<void> | undefined = waiting; w !== undefined;) {
        await w;
        w = this.session.closing || this.ended ? undefined : this.drain();
      }
    } finally {
      this.busy = false;
    }
    this.write();
  }

  /**
   * Handles packets in order, synchronously, until none is complete or one has to wait; returns
   * what it waits for. The one dispatch loop of both the synchronous and the resumed case.
   */
  private drain(): Promise<void> | undefined {
    const session = this.session;
    try {
      for (let p = this.nextPacket(); p !== undefined; p = this.nextPacket()) {
        if (deliveryBacklogged()) {
          // Fan-outs are waiting for their writes: answer what is done, take more after them.
          this.held = p;
          this.write();
          return whenDeliveryCleared();
        }
        const pending = session.handle(p);
        if (pending !== undefined) return pending;
        if (session.closing || this.ended) break;
      }
    } catch (e) {
      if (!(e instanceof PacketTooLarge)) throw e;
      session.fail(Errors.dataTooLong);
    }
    return undefined;
  }

  /** The packet held back while deliveries were backlogged, else the next one read. */
  private nextPacket(): Packet | undefined {
    if (this.loginTimer !== undefined && this.session.authenticated) this.loggedIn();
    const held = this.held;
    if (held === undefined) return this.reader.next();
    this.held = undefined;
    return held;
  }

  /** Logged in: no timeout any more, and packets up to the query limit. */
  private loggedIn(): void {
    clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
    // Requests may exceed the query limit a little and still get a polite ERR 11.
    this.reader.maxPayload = 2 * this.session.node.config.cometql.maxQuerySize + 65536;
  }

  private write(): void {
    const out = this.session.out;
    if (this.ended) return out.reset();
    if (out.length > 0) {
      this.socket.write(out.view());
      // Nothing left unsent: the kernel has the bytes and `out` can be reused. Otherwise the
      // socket still holds this view, so the next replies go to a new buffer.
      if (this.socket.writableLength === 0) out.reset();
      else out.detach();
    }
    if (this.session.closing) {
      this.ended = true;
      this.socket.destroySoon();
    } else if (this.socket.writableLength > MAX_UNSENT) {
      this.socket.pause();
    }
  }
}

const DISCONNECTS = new Set(["ECONNRESET", "EPIPE", "ENOTCONN", "ECONNABORTED"]);
