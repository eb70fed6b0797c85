/**
 * The offline queue loses nothing the connection did not get (issue 13, point 1): 1000 × 3 KB
 * private messages queued for an offline user; the user connects with a small receive buffer,
 * reads ~100 KB and drops. A queued message leaves storage only once its frame was handed to the
 * kernel whole, so a reconnect gets the rest, once and in order. Only what the kernel had taken
 * but the client never read is gone with the TCP connection (bounded by the socket buffers).
 * Also with SIGKILL while the queue is being written: then the client reads the socket to its end
 * and, after a restart, nothing is missing. Both transports (libc sockets and node:net).
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { waitFor } from "./helpers/wait_for.ts";
import { spawnComet } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { SmallBufferClient } from "./helpers/small_buffer_client.ts";
import { testConf } from "./helpers/test_conf.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";
import { QUEUE_BATCH } from "../src/core/offline_queue_delivery.ts";

const PASSWORD = "QueuePassword";
const COUNT = 1000;
const BODY = "x".repeat(3000);
const PATH = wsPath({ key: "queuehash1", userId: 1 });

/** Indices of the queued messages among received frame texts, in arrival order. */
function indices(texts: string[]): number[] {
  const out: number[] = [];
  for (const text of texts) {
    const m = JSON.parse(text);
    if (m.pipe === "msg" && m.event === "q") out.push(Number(String(m.data).split(":")[0]));
  }
  return out;
}

function assertConsecutive(list: number[], what: string): void {
  for (let i = 1; i < list.length; i++) {
    assertEquals(list[i], list[i - 1] + 1, `${what}: ${list[i - 1]} then ${list[i]}`);
  }
}

async function queueMessages(port: number): Promise<void> {
  const ql = await connectCometql(port, PASSWORD);
  await ql.query("INSERT INTO users_auth (id, hash) VALUES (1, 'queuehash1')");
  for (let i = 0; i < COUNT; i++) {
    await ql.query("INSERT INTO users_messages (id, event, message) VALUES (1, 'q', ?)", [
      `${i}:${BODY}`,
    ]);
  }
  await ql.end();
}

async function setUp(transport: string) {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-queue-" });
  const confPath = `${dataDir}/comet.conf`;
  await Deno.writeTextFile(confPath, testConf(dataDir, PASSWORD));
  const env = { COMET_TRANSPORT: transport };
  return { confPath, env, start: () => spawnComet(confPath, { env }) };
}

for (const transport of ["libc", "node"]) {
  Deno.test(`offline queue: a drop after ~100 KB keeps the rest queued (${transport})`, async () => {
    const { start } = await setUp(transport);
    const proc = await start();
    try {
      await queueMessages(proc.qlPort);
      const first = await SmallBufferClient.open(proc.wsPort, PATH, 4096);
      const firstTexts: string[] = [];
      await first.readFrames(firstTexts, () => first.received >= 100_000, 4096, 1);
      first.close();
      const read = indices(firstTexts);
      assert(read.length > 0 && read.length < 100, `first connection read ${read.length}`);
      assertEquals(read[0], 0);
      assertConsecutive(read, "first connection");

      // The queue is delivered before any command runs: a barrier's reply follows all of it.
      const { client: second } = await WsTestClient.connect(proc.wsPort, PATH);
      const rest = indices((await second.barrier(10_000)).map((m) => JSON.stringify(m)));
      await second.close();
      assert(rest.length > 0, "the reconnect got the rest of the queue");
      assertConsecutive(rest, "second connection");
      assertEquals(rest.at(-1), COUNT - 1);
      const lost = rest[0] - (read.at(-1)! + 1);
      assert(lost >= 0, `delivered twice: first read up to ${read.at(-1)}, then from ${rest[0]}`);
      // Taken by the kernel but never read: at most what the two socket buffers can hold (the
      // sender's grows up to tcp_wmem's maximum on loopback, whatever the receiver's size).
      const wmemMax = Number(
        (await Deno.readTextFile("/proc/sys/net/ipv4/tcp_wmem")).trim().split(/\s+/)[2],
      );
      assert(lost * BODY.length <= wmemMax + 65536, `${lost} messages lost in socket buffers`);
      console.log(
        `  read ${read.length}, in socket buffers at the drop ${lost}, then ${rest.length}`,
      );
    } finally {
      await proc.dispose();
    }
  });

  Deno.test(`offline queue: SIGKILL while it is written loses nothing (${transport})`, async () => {
    const { start } = await setUp(transport);
    let proc = await start();
    try {
      await queueMessages(proc.qlPort);
      const first = await SmallBufferClient.open(proc.wsPort, PATH, 4096);
      const firstTexts: string[] = [];
      const reading = first.readFrames(firstTexts, () => false, 4096, 5);
      // Killed while the queue is being written: ~100 KB of its ~3 MB have arrived.
      await waitFor(() => first.received >= 100_000, "the queue being delivered", 10_000);
      proc.kill("SIGKILL");
      await proc.exited();
      await reading; // what the kernel still had for us, up to the end of the connection
      first.close();
      const read = indices(firstTexts);
      assertConsecutive(read, "first connection");

      proc = await start();
      // The queue is delivered before any command runs: a barrier's reply follows all of it.
      const { client: second } = await WsTestClient.connect(proc.wsPort, PATH);
      const rest = indices((await second.barrier(10_000)).map((m) => JSON.stringify(m)));
      await second.close();
      assertConsecutive(rest, "second connection");
      if (rest.length > 0) assertEquals(rest.at(-1), COUNT - 1);
      else assertEquals(read.at(-1), COUNT - 1, "nothing queued any more: all was read before");
      const next = read.length === 0 ? 0 : read.at(-1)! + 1;
      if (rest.length === 0) return;
      assert(rest[0] <= next, `lost ${next}…${rest[0] - 1} with the killed process`);
      const repeated = next - rest[0];
      // Only messages whose delete was still in flight at the kill can come again: the ids that
      // gathered while one storage delete ran, at most one read batch.
      assert(repeated <= QUEUE_BATCH, `${repeated} messages delivered twice`);
      console.log(
        `  read ${read.length} before the kill, ${rest.length} after (${repeated} again)`,
      );
    } finally {
      await proc.dispose();
    }
  });
}
