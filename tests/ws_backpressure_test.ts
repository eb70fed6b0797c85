/**
 * Slow consumers (`[ws] max_backlog`): a subscriber that stops reading is dropped with a bare TCP
 * close once its unsent bytes pass the limit, and everyone else keeps receiving everything.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const MAX_BACKLOG = 1024 * 1024;
const BODY = "x".repeat(64 * 1024);
/** Enough to fill loopback buffers (a few MB) plus the backlog several times over. */
const MAX_MESSAGES = 600;

Deno.test("a slow consumer among fast ones is dropped; the fast ones receive everything", async () => {
  const t = await startTestServer(`[ws]\nmax_backlog = ${MAX_BACKLOG}\n`);
  try {
    const clients: WsTestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const { client } = await WsTestClient.connect(t.wsPort, wsPath());
      await client.sendText("subscription\nweb_flood");
      await client.barrier();
      clients.push(client);
    }
    const [slow, ...fast] = clients;
    slow.pauseReading();

    let sent = 0;
    while (sent < MAX_MESSAGES && t.node.stats.wsSlowConsumerDrops === 0) {
      t.node.publish(0, "web_flood", "n", `${sent}:${BODY}`);
      sent++;
      for (const f of fast) {
        const data = (await f.nextJson(5000)).data as string;
        assertEquals(data.slice(0, data.indexOf(":")), String(sent - 1));
      }
    }
    assertEquals(t.node.stats.wsSlowConsumerDrops, 1, `dropped within ${sent} messages`);
    // after the drop the others go on as before
    for (let i = 0; i < 20; i++) {
      t.node.publish(0, "web_flood", "n", `${sent}:${BODY}`);
      sent++;
      for (const f of fast) {
        assert(((await f.nextJson(5000)).data as string).startsWith(`${sent - 1}:`));
      }
    }
    slow.resumeReading();
    await slow.waitClosed(5000);
    let received = 0;
    while (slow.pending > 0) {
      const frame = await slow.next();
      assertEquals(frame.opcode, 0x1, "no Close frame, only the messages written before the drop");
      received++;
    }
    assert(received < sent, `slow consumer got ${received} of ${sent}`);
    assertEquals(t.node.countSubscribers(0, "web_flood"), 2);
    for (const c of clients) await c.close();
  } finally {
    await t.stop();
  }
});
