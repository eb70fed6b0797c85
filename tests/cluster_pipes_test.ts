/**
 * Several nodes on one Redis behave as one server for pipes (issue 12): CometQL on one node,
 * browsers on the others. Real processes, real redis-server, raw WebSocket and mysql2 clients.
 */
import assert from "node:assert/strict";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { CLUSTER_PASSWORD, eventually, startCluster } from "./helpers/cluster.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

async function subscribed(port: number, pipes: string, path = wsPath()) {
  const { client } = await WsTestClient.connect(port, path);
  await client.sendText(`subscription\n${pipes}`);
  await client.barrier(); // the subscription is in effect on every node from here
  return client;
}

Deno.test("cluster: CometQL INSERT on A reaches every node's subscribers once, in order; history once", async () => {
  const cluster = await startCluster(3);
  const [a, b, c] = cluster.nodes;
  const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const clients: WsTestClient[] = [];
  try {
    await ql.query("INSERT INTO pipes_settings (name, length) VALUES ('web_news', 100)");
    for (const node of [a, b, c, b]) clients.push(await subscribed(node.wsPort, "web_news"));
    const sent = Array.from({ length: 50 }, (_, i) => `m${i} it's "quoted" Привет`);
    for (const m of sent) {
      await ql.query("INSERT INTO pipes_messages (name, event, message) VALUES (?, 'ev', ?)", [
        "web_news",
        m,
      ]);
    }
    for (const client of clients) {
      const got = [];
      for (let i = 0; i < sent.length; i++) {
        const frame = await client.nextJson();
        assert.equal(frame.pipe, "web_news");
        got.push(frame.data);
      }
      assert.deepEqual(got, sent);
      await client.expectNoFrame(100);
    }
    // History: stored once, by the node that took the INSERT, readable on every node.
    for (const node of [a, b, c]) {
      const q = await connectCometql(node.qlPort, CLUSTER_PASSWORD);
      const [rows] = await q.query("SELECT * FROM pipes_messages WHERE name = 'web_news'");
      assert.equal((rows as unknown[]).length, sent.length, `history on ${node.wsPort}`);
      await q.end();
    }
  } finally {
    for (const client of clients) await client.close();
    await ql.end();
    await cluster.dispose();
  }
});

Deno.test("cluster: web_pipe2 from a browser on A reaches B; the report counts every node", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes;
  const clients: WsTestClient[] = [];
  try {
    const sender = await subscribed(a.wsPort, "web_chat");
    const hereA = await subscribed(a.wsPort, "web_chat");
    const onB = [await subscribed(b.wsPort, "web_chat"), await subscribed(b.wsPort, "web_chat")];
    clients.push(sender, hereA, ...onB);
    // pipe_count on A sees all four (presence), so the report can count them.
    await eventually("4 subscribers seen from A", async () => {
      await sender.sendText("pipe_count\nweb_chat\ncount\n");
      const reply = await sender.nextJson();
      return (reply.data as [string, number])[1] === 4;
    });
    await sender.sendText("web_pipe2\nweb_chat\nhello\n*\nfrom A");
    const answer = await sender.nextJson();
    assert.equal(answer.event, "answer");
    assert.deepEqual(answer.data, { message: "from A", number_messages: 3 });
    for (const client of [hereA, ...onB]) {
      const frame = await client.nextJson();
      assert.deepEqual([frame.pipe, frame.event, frame.data], ["web_chat", "hello", "from A"]);
    }
    await sender.expectNoFrame(100);
  } finally {
    for (const client of clients) await client.close();
    await cluster.dispose();
  }
});
