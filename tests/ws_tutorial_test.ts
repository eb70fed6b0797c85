/**
 * The tutorial's chat (docs/protocol/tutorial.md, "Scheme of chat"), browser side: a page
 * subscribed to `simplechat` receives what the PHP backend inserts with CometQL after
 * `mysqli_real_escape_string(json_encode($msg))`, and decodes `event.data.name` / `.text`.
 * Here mysql2's client-side escaping plays mysqli_real_escape_string; the browser is the raw
 * scripted client, so the whole frame is checked.
 */
import { connectCometql } from "./helpers/cometql_connection.ts";
import { assertEquals } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

Deno.test("tutorial: CometQL INSERT into simplechat reaches the subscribed page intact", async () => {
  const t = await startTestServer();
  const comet = await connectCometql(t.qlPort, t.password);
  try {
    // cometApi.subscription("simplechat.newMessage", cb) sends the pipe name only
    // (docs/protocol/websocket.md §9.4)
    const { client: page } = await WsTestClient.connect(t.wsPort, wsPath());
    await page.sendText("subscription\nsimplechat");
    await page.barrier();

    const msg = { name: "Zoë O'Brien", text: 'She said "hi" \\ <b>ok</b>\nбыть' };
    await comet.query(
      "INSERT INTO pipes_messages (name, event, message) VALUES ('simplechat', 'newMessage', ?)",
      [JSON.stringify(msg)],
    );
    const frame = await page.nextJson();
    assertEquals(frame, {
      data: JSON.stringify(msg),
      event: "newMessage",
      message_send_time: 0,
      pipe: "simplechat",
    });
    // what the original client does with `data` (docs/protocol/websocket.md §4.3 step 4):
    // JSON-parse it
    assertEquals(JSON.parse(frame.data as string), msg);
    await page.close();
  } finally {
    await comet.end();
    await t.stop();
  }
});
