/**
 * The CometQL TCP service (spec §1, `[cometql]` section): accepts MySQL-protocol connections
 * with `Deno.listen` and drives one `CometqlSession` per connection. Packets that arrive
 * together are all handled in order and answered with one write.
 */
import type { Logger } from "../log.ts";
import { Errors } from "./cometql_error.ts";
import type { CometqlNode } from "./cometql_node.ts";
import { CometqlSession } from "./cometql_session.ts";
import { PacketReader, PacketTooLarge } from "./packet_reader.ts";

const READ_BUFFER = 16 * 1024;

export interface CometqlListener {
  /** The bound port (the real one when the config asked for 0). */
  readonly port: number;
  /** Stops accepting, closes every connection and waits for them to finish. */
  close(): Promise<void>;
}

// deno-lint-ignore require-await -- async so that a failing Deno.listen rejects, never throws
export async function startCometqlListener(
  node: CometqlNode,
  log: Logger,
): Promise<CometqlListener> {
  const { ip, port } = node.config.cometql;
  const listener = Deno.listen({ hostname: ip, port, transport: "tcp" });
  const addr = listener.addr as Deno.NetAddr;
  log.info("cometql", `CometQL (MySQL protocol) listening on ${addr.hostname}:${addr.port}`);
  const connections = new Set<Deno.TcpConn>();
  const running = new Set<Promise<void>>();
  let nextConnectionId = 1;
  let closing = false;

  const acceptLoop = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (!closing) log.error("cometql", `accept failed: ${e}`);
        return;
      }
      if (closing) {
        conn.close();
        continue;
      }
      connections.add(conn);
      const id = nextConnectionId++;
      const done = serveConnection(node, log, conn, id).finally(() => {
        connections.delete(conn);
        running.delete(done);
      });
      running.add(done);
    }
  })();

  return {
    port: addr.port,
    async close() {
      closing = true;
      listener.close();
      await acceptLoop;
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* already closed by its own loop */ }
      }
      await Promise.all([...running]);
    },
  };
}

async function serveConnection(
  node: CometqlNode,
  log: Logger,
  conn: Deno.TcpConn,
  id: number,
): Promise<void> {
  const peer = conn.remoteAddr as Deno.NetAddr;
  const session = new CometqlSession(node, id, peer.hostname);
  // Requests may exceed the query limit a little and still get a polite ERR 11.
  const reader = new PacketReader(2 * node.config.cometql.maxQuerySize + 65536);
  const buf = new Uint8Array(READ_BUFFER);
  try {
    await conn.setNoDelay(true);
    await flush(conn, session);
    while (!session.closing) {
      const n = await conn.read(buf);
      if (n === null) break;
      reader.push(buf.subarray(0, n));
      try {
        for (let packet = reader.next(); packet !== undefined; packet = reader.next()) {
          await session.handle(packet);
          if (session.closing) break;
        }
      } catch (e) {
        if (!(e instanceof PacketTooLarge)) throw e;
        session.fail(Errors.dataTooLong);
      }
      await flush(conn, session);
    }
  } catch (e) {
    if (!isDisconnect(e)) log.warn("cometql", `connection ${id} from ${peer.hostname}: ${e}`);
  } finally {
    session.closed();
    try {
      conn.close();
    } catch { /* closed by the listener's close() */ }
  }
}

async function flush(conn: Deno.TcpConn, session: CometqlSession): Promise<void> {
  const out = session.out;
  let bytes = out.view();
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
  out.reset();
}

function isDisconnect(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.NotConnected;
}
