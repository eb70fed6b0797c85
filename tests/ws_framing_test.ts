/**
 * Framing on a real server (docs/protocol/websocket.md §2, docs/compatibility.md point 2):
 * ping/pong, fragments, Close handling, malformed and oversized frames, outbound sizes, pipelined
 * commands.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./helpers/assert.ts";
import { type TestServer, withTestServer } from "./helpers/server.ts";
import { buildFrame, delay, wsPath, WsTestClient } from "./helpers/ws_client.ts";
import { waitFor } from "./helpers/wait_for.ts";

const open = async (t: TestServer, v = "4.08") =>
  (await WsTestClient.connect(t.wsPort, wsPath({ v }))).client;

Deno.test("§2.1: Ping gets a Pong with the same payload; Pong is ignored", () =>
  withTestServer(async (t) => {
    const client = await open(t);
    await client.sendFrame(0x9, "are you there");
    const pong = await client.next();
    assertEquals([pong.opcode, pong.fin, pong.masked, pong.text], [
      0xa,
      true,
      false,
      "are you there",
    ]);
    await client.sendFrame(0xa, "unsolicited");
    assertEquals(await client.barrier(), []);
    await client.close();
  }));

Deno.test("§2.1: fragmented and binary commands work; 16/64-bit lengths accepted", () =>
  withTestServer(async (t) => {
    const client = await open(t);
    await client.sendText("subscription\nweb_frag\nweb_two", 5);
    await client.sendFrame(0x2, "pipe_count\nweb_frag\nbin\n");
    assertEquals((await client.nextJson()).data, ["user_in_pipe", 1]);
    await client.sendFrame(0x1, "pipe_count\nweb_two\nl16\n", { lengthForm: 16 });
    assertEquals((await client.nextJson()).marker, "l16");
    await client.sendFrame(0x1, "pipe_count\nweb_two\nl64\n", { lengthForm: 64 });
    assertEquals((await client.nextJson()).marker, "l64");
    // a Ping between fragments is answered at once
    await client.sendRaw(Buffer.concat([
      buildFrame(0x1, "pipe_count\nweb_", { fin: false }),
      buildFrame(0x9, "mid"),
      buildFrame(0x0, "two\nfrag\n"),
    ]));
    assertEquals((await client.next()).text, "mid");
    assertEquals((await client.nextJson()).marker, "frag");
    await client.close();
  }));

Deno.test("§2.3: a client Close frame → TCP dropped without a Close frame", () =>
  withTestServer(async (t) => {
    const client = await open(t);
    await client.sendFrame(0x8, new Uint8Array([0x03, 0xe8]));
    await client.waitClosed();
    assertEquals(client.pending, 0, "the server never sends Close");
    await client.close();
    await waitFor(() => t.node.stats.wsOnline === 0, "the server saw the connection go");
  }));

Deno.test("§2.1: malformed and oversized frames close only that connection", () =>
  withTestServer(async (t) => {
    const bystander = await open(t);
    await bystander.sendText("subscription\nweb_b");
    await bystander.barrier();
    const attacks: Uint8Array[] = [
      buildFrame(0x1, "subscription\nweb_x", { mask: false }),
      buildFrame(0x1, "x", { rsv: 2 }),
      buildFrame(0x3, "x"),
      buildFrame(0x0, "continuation without start"),
      buildFrame(0x1, "a".repeat(2000)), // over fragment_buf_max_size = 1024 below
      new Uint8Array([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (const bytes of attacks) {
      const client = await open(t);
      await client.sendRaw(bytes);
      await client.waitClosed();
      assertEquals(client.pending, 0);
      await client.close();
    }
    t.node.publish(0, "web_b", "ev", "still here");
    assertEquals((await bystander.nextJson()).data, "still here");
    await bystander.close();
  }, "[main]\nfragment_buf_max_size = 1024\n"));

Deno.test("compat: outbound frames of every size are intact (123–125 bytes, > 64 KB)", () =>
  withTestServer(async (t) => {
    const client = await open(t);
    await client.sendText("subscription\nweb_sizes");
    await client.barrier();
    const envelope = JSON.stringify({
      data: "",
      event: "e",
      message_send_time: Math.floor(Date.now() / 1000),
      pipe: "web_sizes",
    }).length;
    for (const size of [125, 123, 124, 125, 126, 127, 65535, 65536, 70000, 1_000_000]) {
      const body = "z".repeat(size - envelope);
      t.node.publish(0, "web_sizes", "e", body);
      const frame = await client.next(5000);
      assertEquals(frame.payload.length, size, `frame of ${size} bytes`);
      assertEquals(JSON.parse(frame.text).data, body);
    }
    await client.close();
  }));

Deno.test("§1.3: commands sent with the upgrade request run after auth, in order", () =>
  withTestServer(async (t) => {
    await t.node.setAuthHash(0, 11, "h11");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.wsPort });
    const request = `GET ${wsPath({ key: "h11", userId: 11 })} HTTP/1.1\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    // the request in segments; its end and three commands in one write, so they arrive together
    const bytes = Buffer.concat([
      Buffer.from(request),
      buildFrame(0x1, "subscription\nprivate_room"),
      buildFrame(0x1, "pipe_count\nweb_none\nm1\n"),
      buildFrame(0x1, "track_pipe_users\ntrack_none\nm2"),
    ]);
    let from = 0;
    for (const cut of [10, 70, bytes.length]) {
      await conn.write(bytes.subarray(from, cut));
      from = cut;
      // Not a wait for a result: the pause makes each segment arrive in a read of its own.
      await delay(10);
    }
    const text = await readUntil(conn, (s) => s.includes('"m2"'));
    // private_ needs auth: the subscription ran after the auth finished
    assertEquals(t.node.countSubscribers(0, "private_room"), 1);
    conn.close();
    const lines = text.split("\r\n\r\n")[1];
    const order = ["serverInfo", '"m1"', '"m2"'].map((s) => lines.indexOf(s));
    assert(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), lines);
    assert(lines.includes('"authorized":true'));
  }));

async function readUntil(conn: Deno.Conn, done: (text: string) => boolean): Promise<string> {
  const buf = new Uint8Array(65536);
  let text = "";
  const deadline = Date.now() + 3000;
  while (!done(text) && Date.now() < deadline) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text;
}
