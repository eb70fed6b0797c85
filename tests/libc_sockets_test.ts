/**
 * The two transports of both ports (src/net/libc_sockets.ts, and node:net where that cannot
 * run): both keep what the kernel does not take and send it in order once the reader catches
 * up, and carry CometQL. libc sockets also report the peer's address as node:net does and send
 * everything before closing.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./helpers/assert.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { RawMysqlClient } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";
import { waitFor } from "./helpers/wait_for.ts";
import type { FlowSocket } from "../src/net/byte_socket.ts";
import { libcSocketsUsable, listenLibc } from "../src/net/libc_sockets.ts";

const BODY = "y".repeat(64 * 1024);
/** 20 MB: more than loopback socket buffers hold, well below the backlog limit below. */
const MESSAGES = 320;

for (const transport of ["libc", "node"]) {
  Deno.test({
    name:
      `${transport} transport: a backlog under max_backlog is sent in order when the reader resumes`,
    ignore: transport === "libc" && !libcSocketsUsable("127.0.0.1"),
    async fn() {
      Deno.env.set("COMET_TRANSPORT", transport);
      const t = await startTestServer(`[ws]\nmax_backlog = ${64 * 1024 * 1024}\n`);
      Deno.env.delete("COMET_TRANSPORT");
      try {
        const { client } = await WsTestClient.connect(t.wsPort, wsPath());
        await client.sendText("subscription\nweb_backlog");
        await client.barrier();
        client.pauseReading();
        const observed = t.node.stats.deliveryLatency.count;
        for (let i = 0; i < MESSAGES; i++) t.node.publish(0, "web_backlog", "n", `${i}:${BODY}`);
        // The fan-out passes have written every message (the kernel is full, the rest is backlog).
        await waitFor(
          () => t.node.stats.deliveryLatency.count >= observed + MESSAGES,
          "the fan-out passes ran",
        );
        client.resumeReading();
        for (let i = 0; i < MESSAGES; i++) {
          const data = (await client.nextJson(10_000)).data as string;
          assertEquals(data.slice(0, data.indexOf(":")), String(i));
          assertEquals(data.length, String(i).length + 1 + BODY.length);
        }
        // Writing goes on normally once the backlog is gone; CometQL publishes on this transport.
        const backend = await connectCometql(t.qlPort, t.password);
        await backend.query(
          "INSERT INTO pipes_messages (name, event, message) VALUES ('web_backlog', 'n', 'after')",
        );
        await backend.end();
        assertEquals((await client.nextJson(5000)).data, "after");
        assertEquals(t.node.stats.wsSlowConsumerDrops, 0);
        await client.close();
      } finally {
        await t.stop();
      }
    },
  });
}

Deno.test({
  name:
    "libc sockets: peer address, data both ways, queued bytes sent then drain, destroySoon sends first",
  ignore: !libcSocketsUsable("127.0.0.1"),
  async fn() {
    for (const ip of ["127.0.0.1", "::1"]) {
      if (ip === "::1" && !ipv6Loopback()) continue;
      const accepted = Promise.withResolvers<FlowSocket>();
      const received = Promise.withResolvers<Buffer>();
      const drained = Promise.withResolvers<void>();
      const closed = Promise.withResolvers<void>();
      const listener = listenLibc(ip, 0, {
        onConnection: (s) => accepted.resolve(s),
        onData: (_s, chunk) => received.resolve(chunk),
        onDrain: () => drained.resolve(),
        onClose: () => closed.resolve(),
        onListenerError: (m) => {
          throw new Error(m);
        },
      });
      try {
        const conn = await Deno.connect({ hostname: ip, port: listener.port });
        const socket = await accepted.promise;
        assertEquals(socket.remoteAddress, ip);
        await conn.write(new TextEncoder().encode("ping"));
        assertEquals((await received.promise).toString(), "ping");

        const big = new Uint8Array(4 * 1024 * 1024).fill(7); // more than one send takes
        const readBytes = async (count: number) => {
          let total = 0;
          const buf = new Uint8Array(65536);
          while (total < count) {
            const n = await conn.read(buf);
            if (n === null) break;
            assert(buf.subarray(0, n).every((b) => b === 7));
            total += n;
          }
          return total;
        };
        // What the kernel does not take is kept, sent when it can be, then onDrain.
        assert(!socket.write(big), "the kernel took 4 MB at once");
        assert(socket.writableLength > 0);
        assertEquals(await readBytes(big.length), big.length);
        await drained.promise;
        assertEquals(socket.writableLength, 0);
        // destroySoon sends what is still queued, then closes.
        socket.write(big);
        socket.destroySoon();
        assertEquals(await readBytes(Infinity), big.length);
        await closed.promise;
        assert(socket.destroyed);
        conn.close();
      } finally {
        await listener.close();
      }
    }
  },
});

function ipv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

for (const transport of ["libc", "node"]) {
  Deno.test({
    name: `${transport} transport: a CometQL client that stops reading gets every reply later`,
    ignore: transport === "libc" && !libcSocketsUsable("127.0.0.1"),
    async fn() {
      Deno.env.set("COMET_TRANSPORT", transport);
      const t = await startTestServer();
      Deno.env.delete("COMET_TRANSPORT");
      const [client, login] = await RawMysqlClient.login(t.qlPort);
      try {
        assertEquals(login.kind, "ok");
        const body = "z".repeat(60 * 1024);
        for (let i = 0; i < 99; i++) t.node.publish(0, "trust_big", "e", `${i}:${body}`);
        await t.node.flush(); // history is written in batches
        // Four ~6 MB answers asked for at once and not read: replies pass MAX_UNSENT (1 MB).
        const select = new TextEncoder().encode(
          "\x03SELECT * FROM pipes_messages WHERE name = 'trust_big'",
        );
        const packet = new Uint8Array(4 + select.length);
        new DataView(packet.buffer).setUint32(0, select.length, true); // length, seq 0
        packet.set(select, 4);
        const queries = t.node.stats.qlQueries;
        await client.writeRaw(new Uint8Array([...packet, ...packet, ...packet, ...packet]));
        await waitFor(() => t.node.stats.qlQueries >= queries + 4, "all four SELECTs ran");
        for (let k = 0; k < 4; k++) {
          const reply = await client.readReply();
          assert(reply.kind === "rows", `reply ${k}: ${reply.kind}`);
          assertEquals(reply.rows.length, 99);
          assertEquals(reply.rows[98][5], `98:${body}`);
        }
        await client.command(0x0e);
        assertEquals((await client.readReply()).kind, "ok");
      } finally {
        client.close();
        await t.stop();
      }
    },
  });
}
