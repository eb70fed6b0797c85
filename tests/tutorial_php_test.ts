/**
 * The tutorial (docs/protocol/tutorial.md), for real: the PHP backend code as users write it
 * publishes over CometQL; WebSocket subscribers of `simplechat` receive exactly the object PHP
 * encoded — with the original client's URL (v=4.08) and with ours (v=5.0).
 */
import { assertEquals } from "./helpers/assert.ts";
import { runPhp } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";
import { waitFor } from "./helpers/wait_for.ts";

const NAME = 'Zoë "the tester" O\'Brien';
const TEXT =
  'it\'s a "quoted" back\\slash, a\nnew line, tab\t, emoji 🎉, кириллица, 中文 & <b>html</b>';

Deno.test("tutorial: PHP json_encode + mysqli_real_escape_string → every subscriber", async () => {
  const server = await startTestServer();
  const subscribers = [];
  try {
    for (const v of ["4.08", "5.0"]) {
      const { client, serverInfo } = await WsTestClient.connect(server.wsPort, wsPath({ v }));
      assertEquals(serverInfo.event, "serverInfo");
      await client.sendText("subscription\nsimplechat");
      subscribers.push(client);
    }
    await waitFor(() => server.node.countSubscribers(0, "simplechat") === 2, "both subscribed");
    const php = `
      $host = "127.0.0.1"; $password = "${server.password}";
      $comet = mysqli_connect($host, "root", $password, "CometQL_v1", ${server.qlPort});
      if (mysqli_errno($comet)) { echo "Error:".mysqli_error($comet); exit; }
      $msg = Array("name" => ${JSON.stringify(NAME)}, "text" => ${JSON.stringify(TEXT)});
      $msg = json_encode($msg);
      $msg = mysqli_real_escape_string($comet, $msg);
      $query = "INSERT INTO pipes_messages (name, event, message)" .
        "VALUES('simplechat', 'newMessage', '".$msg."')";
      mysqli_query($comet, $query);
      if (mysqli_errno($comet)) echo "Error:".mysqli_error($comet); else echo "ok";
      echo "|", json_encode(Array("name" => ${JSON.stringify(NAME)}, "text" => ${
      JSON.stringify(TEXT)
    }));`;
    const [status, encoded] = (await runPhp(php)).split("|");
    assertEquals(status, "ok");
    for (const client of subscribers) {
      const frame = await client.nextJson();
      // Our client's frames (v=5.0) also carry the stream position (docs/protocol/recovery.md).
      const { message_send_time: _, epoch: _e, offset: _o, ...rest } = frame;
      assertEquals(rest, {
        data: encoded,
        event: "newMessage",
        pipe: "simplechat",
      });
      assertEquals(JSON.parse(frame.data as string), { name: NAME, text: TEXT });
    }
  } finally {
    for (const c of subscribers) await c.close();
    await server.stop();
  }
});

Deno.test("tutorial: the mysql CLI publishes; the subscriber gets the pipe, event and body", async () => {
  const server = await startTestServer();
  const { client } = await WsTestClient.connect(server.wsPort, wsPath({ v: "4.08" }));
  try {
    await client.sendText("subscription\nsimplechat");
    await waitFor(() => server.node.countSubscribers(0, "simplechat") === 1, "subscribed");
    const out = await new Deno.Command("mysql", {
      args: [
        "-h127.0.0.1",
        `-P${server.qlPort}`,
        "-uroot",
        `-p${server.password}`,
        "-DCometQL_v1",
        "-e",
        `INSERT INTO pipes_messages (name, event, message) VALUES ('simplechat', 'newMessage', '{"name":"cli","text":"it\\'s"}')`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const frame = await client.nextJson();
    assertEquals(frame.event, "newMessage");
    assertEquals(JSON.parse(frame.data as string), { name: "cli", text: "it's" });
  } finally {
    await client.close();
    await server.stop();
  }
});
