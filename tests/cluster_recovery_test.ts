/**
 * Resumable subscriptions across nodes (docs/protocol/recovery.md with `[redis]`): positions are
 * per node; a node that kept listening to a pipe resumes a client exactly, a node that had to
 * start listening says "not recovered" rather than hide what it never received.
 */
import assert from "node:assert/strict";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { CLUSTER_PASSWORD, startCluster } from "./helpers/cluster.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const V5 = { v: "5.0" };

async function open(port: number) {
  const { client } = await WsTestClient.connect(port, wsPath(V5));
  return client;
}

Deno.test("cluster recovery: a client resumes on the node that kept listening; a cold node says not recovered", async () => {
  const cluster = await startCluster(3);
  const [a, b, c] = cluster.nodes;
  const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const publish = (m: string) =>
    ql.query("INSERT INTO pipes_messages (name, event, message) VALUES ('web_r', 'e', ?)", [m]);
  const clients: WsTestClient[] = [];
  try {
    const keeper = await open(b.wsPort); // keeps B listening to web_r
    const reader = await open(b.wsPort);
    clients.push(keeper, reader);
    for (const client of [keeper, reader]) {
      await client.sendText("resume\nweb_r");
      assert.equal((await client.nextJson()).event, "subscribed");
    }
    await publish("one");
    const seen = await reader.nextJson();
    assert.equal(seen.data, "one");
    assert.equal((await keeper.nextJson()).data, "one");
    await reader.close();
    await publish("two");
    await publish("three");
    assert.deepEqual([(await keeper.nextJson()).data, (await keeper.nextJson()).data], [
      "two",
      "three",
    ]);

    // Back on B from the last position seen: exactly what was missed, then live.
    const back = await open(b.wsPort);
    clients.push(back);
    await back.sendText(`resume\nweb_r ${seen.epoch} ${seen.offset}`);
    const replay = [await back.nextJson(), await back.nextJson(), await back.nextJson()];
    assert.deepEqual(replay.slice(0, 2).map((f) => [f.data, f.recovered]), [
      ["two", true],
      ["three", true],
    ]);
    assert.equal(replay[2].event, "recovered");
    await publish("four");
    assert.equal((await back.nextJson()).data, "four");

    // On C, which never listened to web_r, the same position cannot be vouched for.
    const elsewhere = await open(c.wsPort);
    clients.push(elsewhere);
    await elsewhere.sendText(`resume\nweb_r ${seen.epoch} ${seen.offset}`);
    assert.equal((await elsewhere.nextJson()).event, "not_recovered");
    await publish("five");
    assert.equal((await elsewhere.nextJson()).data, "five");

    // A browser on C publishes to a pipe C does not listen to: its report carries C's position,
    // but what A publishes next never reaches C's window. Resuming from that position must not
    // pass for continuous once C starts listening.
    const writer = await open(c.wsPort);
    clients.push(writer);
    await writer.sendText("web_pipe2\nweb_cold\ne\n*\nfrom C");
    const report = (await writer.nextJson()).data as { epoch: string; offset: number };
    assert.equal(report.offset, 1);
    await ql.query(
      "INSERT INTO pipes_messages (name, event, message) VALUES ('web_cold', 'e', 'x')",
    );
    await writer.sendText(`resume\nweb_cold ${report.epoch} ${report.offset}`);
    const answer = await writer.nextJson();
    assert.equal(answer.event, "not_recovered", JSON.stringify(answer));
  } finally {
    for (const client of clients) await client.close();
    await ql.end();
    await cluster.dispose();
  }
});
