/**
 * The browser port's bounds (`[limits]`, issue 13 points 7, 8, 9, 11), on both transports:
 * handshake, unfinished-message and idle timeouts, the total of unfinished bytes, connections per
 * source address, the server-wide budget of unsent bytes (largest backlog dropped first, figure on
 * /metrics), static files streamed with bounded read-ahead, and Close 1007 for text that is not
 * UTF-8.
 */
import { renderMetrics } from "../src/admin/prometheus_metrics.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { buildFrame, delay, rawHttpBytes, WsTestClient } from "./helpers/ws_client.ts";

async function withServer(
  transport: string,
  ini: string,
  fn: (t: TestServer) => Promise<void>,
): Promise<void> {
  if (transport === "node") Deno.env.set("COMET_TRANSPORT", "node");
  let t: TestServer;
  try {
    t = await startTestServer(ini);
  } finally {
    Deno.env.delete("COMET_TRANSPORT");
  }
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}

/** Resolves true when the server closes `conn` within `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const buf = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const n = await Promise.race([conn.read(buf), delay(deadline - Date.now()).then(() => 0)]);
      if (n === null) return true;
      if (n === 0) break;
    }
  } catch {
    return true;
  }
  return false;
}

for (const transport of ["libc", "node"]) {
  Deno.test(`[${transport}] an unfinished first request is dropped after ws_handshake_timeout`, async () => {
    await withServer(transport, "[limits]\nws_handshake_timeout = 1\n", async (t) => {
      const silent = await Deno.connect({ hostname: "127.0.0.1", port: t.wsPort });
      const partial = await Deno.connect({ hostname: "127.0.0.1", port: t.wsPort });
      await partial.write(new TextEncoder().encode("GET /ws/ HTTP/1.1\r\nHost: x\r\n"));
      assert(await closedWithin(silent, 4000), "silent connection closed");
      assert(await closedWithin(partial, 4000), "partial request closed");
      silent.close();
      partial.close();
      // A real session is past the handshake and stays.
      const { client } = await WsTestClient.connect(t.wsPort);
      // Proves that no timeout comes: longer than ws_handshake_timeout (1 s), no event to wait for.
      await delay(2500);
      await client.barrier();
      await client.close();
      assert(t.node.stats.wsTimeouts >= 2);
    });
  });

  Deno.test(`[${transport}] unfinished messages: a timeout and a total`, async () => {
    const ini = "[limits]\nws_unfinished_timeout = 1\nws_unfinished_total_max = 65536\n";
    await withServer(transport, ini, async (t) => {
      const { client: a } = await WsTestClient.connect(t.wsPort);
      const { client: b } = await WsTestClient.connect(t.wsPort);
      const { client: idle } = await WsTestClient.connect(t.wsPort);
      const part = "x".repeat(40_000);
      const frames = t.node.stats.wsFramesIn;
      await a.sendFrame(0x1, part, { fin: false });
      while (t.node.stats.wsFramesIn === frames) await delay(10); // `a` holds its part now
      await b.sendFrame(0x1, part, { fin: false }); // 80 KB together: over the total
      await b.waitClosed(3000);
      // `a` is dropped by the timeout (its message never ends); the idle session stays.
      await a.waitClosed(4000);
      await idle.barrier();
      for (const c of [a, b, idle]) await c.close();
    });
  });

  Deno.test(`[${transport}] ws_idle_timeout drops a silent session`, async () => {
    await withServer(transport, "[limits]\nws_idle_timeout = 1\n", async (t) => {
      const { client } = await WsTestClient.connect(t.wsPort);
      await client.waitClosed(4000);
      await client.close();
      assert(t.node.stats.wsTimeouts >= 1);
    });
  });

  Deno.test(`[${transport}] ws_max_connections_per_ip refuses the extra connection`, async () => {
    await withServer(transport, "[limits]\nws_max_connections_per_ip = 3\n", async (t) => {
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push((await WsTestClient.connect(t.wsPort)).client);
      const extra = await WsTestClient.open(t.wsPort);
      assertEquals(extra.head, "");
      await extra.waitClosed();
      await clients[0].close();
      while (t.node.stats.wsOnline > 2) await delay(10);
      const again = await WsTestClient.connect(t.wsPort);
      await again.client.barrier();
      for (const c of [...clients, again.client, extra]) await c.close();
      assert(t.node.stats.wsRefusedConnections >= 1);
    });
  });

  Deno.test(`[${transport}] the unsent-bytes budget drops the largest backlog first`, async () => {
    const ini = "[ws]\nmax_backlog = 8388608\n[limits]\nws_pending_total_max = 1048576\n";
    await withServer(transport, ini, async (t) => {
      const join = async (pipes: string) => {
        const { client } = await WsTestClient.connect(t.wsPort);
        await client.sendText(`subscription\n${pipes}`);
        await client.barrier();
        return client;
      };
      const fast = await join("web_a web_b");
      const largest = await join("web_a web_b");
      const slow = [await join("web_a"), await join("web_a")];
      largest.pauseReading();
      for (const s of slow) s.pauseReading();
      const body = "y".repeat(64 * 1024);
      let sent = 0;
      while (t.node.stats.wsBudgetDrops === 0 && sent < 400) {
        t.node.publish(0, sent % 2 === 0 ? "web_a" : "web_b", "e", `${sent}:${body}`);
        sent++;
        assert(((await fast.nextJson(5000)).data as string).startsWith(`${sent - 1}:`));
      }
      assert(t.node.stats.wsBudgetDrops >= 1, `no budget drop after ${sent} messages`);
      assertEquals(t.node.stats.wsSlowConsumerDrops, 0, "the per-connection cap was not reached");
      largest.resumeReading();
      await largest.waitClosed(5000);
      const metrics = renderMetrics(t.node, { version: "test", storageAvailable: true });
      const pending = Number(/^comet_ws_pending_bytes (\d+)$/m.exec(metrics)?.[1]);
      assert(pending <= 1048576, `pending ${pending}`);
      assert(/^comet_ws_budget_drops_total [1-9]/m.test(metrics));
      for (const c of [fast, largest, ...slow]) await c.close();
    });
  });

  Deno.test(`[${transport}] text that is not UTF-8 gets Close 1007`, async () => {
    await withServer(transport, "", async (t) => {
      const { client } = await WsTestClient.connect(t.wsPort);
      await client.barrier();
      await client.sendRaw(buildFrame(0x1, new Uint8Array([0x70, 0xff, 0xfe, 0x0a])));
      const close = await client.next();
      assertEquals(close.opcode, 0x8);
      assertEquals((close.payload[0] << 8) | close.payload[1], 1007);
      await client.waitClosed();
      await client.close();
    });
  });

  Deno.test(`[${transport}] static files are streamed: clients that never read hold little`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "comet-static-" });
    const file = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < file.length; i += 4096) file[i] = i & 0xff;
    await Deno.writeFile(`${dir}/big.bin`, file);
    const ini = `[main]\nbase_dir = ${dir}\n[content-type]\nbin = application/octet-stream\n`;
    await withServer(transport, ini, async (t) => {
      const request = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
      const before = Deno.memoryUsage().rss;
      const idle: Deno.Conn[] = [];
      for (let i = 0; i < 30; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.wsPort });
        await conn.write(new TextEncoder().encode(request));
        idle.push(conn);
      }
      // Proves that memory does not grow while the downloads stall: there is no event to wait for.
      await delay(1500);
      const grown = Deno.memoryUsage().rss - before;
      console.log(`  RSS grew ${(grown / 1048576).toFixed(1)} MB`);
      assert(grown < 100 * 1024 * 1024, `RSS grew ${grown} bytes for 30 stalled downloads`);
      // A client that reads gets the whole file, byte for byte.
      const whole = await rawHttpBytes(t.wsPort, request);
      const head = whole.findIndex((_, i) =>
        whole[i] === 13 && whole[i + 1] === 10 && whole[i + 2] === 13 && whole[i + 3] === 10
      );
      assertEquals(whole.length - (head + 4), file.length);
      assert(whole.subarray(head + 4).every((b, i) => b === file[i]), "same bytes");
      for (const conn of idle) conn.close();
    });
    await Deno.remove(dir, { recursive: true });
  });
}
