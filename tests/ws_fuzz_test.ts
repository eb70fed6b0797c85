/**
 * Bad input of any kind on the WebSocket port — garbage instead of HTTP, mutated upgrade requests,
 * random frames and random command texts after a valid handshake — only ever costs the sender its
 * connection: the server keeps running and a well-behaved subscriber keeps receiving.
 */
import { assertEquals } from "./helpers/assert.ts";
import { prng } from "./helpers/prng.ts";
import { startTestServer } from "./helpers/server.ts";
import { buildFrame, wsPath, WsTestClient } from "./helpers/ws_client.ts";
import { waitFor } from "./helpers/wait_for.ts";

const COMMANDS = [
  "subscription\nweb_a\ntrack_b",
  "web_pipe2\nweb_a\nev\n*\n{}",
  "pipe_log\nweb_a\n1234567890\n",
  "pipe_count\nweb_a\n1234567890\n",
  "track_pipe_users\ntrack_b\n1234567890",
  "user_data\n1234567890\n7",
  "user_status\n7",
  "CometQL_call\n1234567890\na.b.c",
];

Deno.test("WebSocket port survives random and mutated input", async () => {
  const server = await startTestServer();
  const random = prng(20261125);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const { client: watcher } = await WsTestClient.connect(server.wsPort, wsPath({ v: "4.08" }));
  await watcher.sendText("subscription\nfuzz_watch");
  await waitFor(() => server.node.countSubscribers(0, "fuzz_watch") === 1, "fuzz_watch subscribed");
  try {
    // 1. Garbage where the HTTP request should be, and mutated upgrade requests.
    for (let i = 0; i < 60; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.wsPort });
      let request = new TextEncoder().encode(
        `GET ${wsPath()} HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      if (i % 2 === 0) request = bytes(1 + Math.floor(random() * 3000));
      else {
        for (let k = 0; k < 5; k++) {
          request[Math.floor(random() * request.length)] = Math.floor(random() * 256);
        }
      }
      await conn.write(request).catch(() => 0); // the server may already have closed
      conn.close();
    }
    // 2. Valid handshakes followed by random frames and mutated commands.
    for (let i = 0; i < 60; i++) {
      const { client } = await WsTestClient.connect(server.wsPort, wsPath({ v: "4.08" }));
      for (let k = 0; k < 5; k++) {
        const r = random();
        let frame: Uint8Array;
        if (r < 0.3) frame = bytes(1 + Math.floor(random() * 200));
        else if (r < 0.6) {
          const text = new TextEncoder().encode(COMMANDS[Math.floor(random() * COMMANDS.length)]);
          for (let m = 0; m < 3; m++) {
            text[Math.floor(random() * text.length)] = Math.floor(random() * 256);
          }
          frame = buildFrame(1, text);
        } else {
          const opcode = Math.floor(random() * 16);
          frame = buildFrame(opcode, bytes(Math.floor(random() * 300)), {
            fin: random() < 0.7,
            rsv: random() < 0.2 ? 1 : 0,
            mask: random() < 0.9,
          });
        }
        await client.sendRaw(frame).catch(() => 0);
      }
      await client.close();
    }
    // The server still serves: a publish reaches the well-behaved subscriber.
    assertEquals(server.node.publish(0, "fuzz_watch", "ok", "still alive"), 1);
    let frame = await watcher.nextJson();
    while (frame.pipe !== "fuzz_watch") frame = await watcher.nextJson();
    assertEquals(frame.data, "still alive");
    const fresh = await WsTestClient.connect(server.wsPort, wsPath({ v: "4.08" }));
    assertEquals(fresh.serverInfo.event, "serverInfo");
    await fresh.client.close();
  } finally {
    await watcher.close();
    await server.stop();
  }
});
