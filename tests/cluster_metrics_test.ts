/**
 * `/metrics` of a node in a cluster: broker counts, Redis round trips, presence size (issue 12).
 */
import assert from "node:assert/strict";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { CLUSTER_PASSWORD, eventually, startCluster } from "./helpers/cluster.ts";
import { freePort } from "./helpers/comet_process.ts";
import { WsTestClient } from "./helpers/ws_client.ts";

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

Deno.test("cluster metrics: publishes, receives (only where subscribed), round trips, presence, live nodes", async () => {
  const cluster = await startCluster(1);
  const b = await cluster.addNode(`[admin]\nip = 127.0.0.1\nport = ${freePort()}\n`);
  // C has no subscribers: it must receive none of the pipe's messages.
  const c = await cluster.addNode(`[admin]\nip = 127.0.0.1\nport = ${freePort()}\n`);
  const a = cluster.nodes[0];
  const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const { client } = await WsTestClient.connect(b.wsPort);
  try {
    await client.sendText("subscription\nweb_m");
    await client.barrier();
    for (let i = 0; i < 5; i++) {
      await ql.query(
        "INSERT INTO pipes_messages (name, event, message) VALUES ('web_m', 'e', 'x')",
      );
    }
    for (let i = 0; i < 5; i++) await client.nextJson();
    const metrics = await eventually("two live nodes", async () => {
      const text = await (await fetch(`http://127.0.0.1:${b.adminPort}/metrics`)).text();
      return sample(text, "comet_cluster_nodes") === 3 ? text : undefined;
    });
    assert.ok(sample(metrics, "comet_cluster_received_total") >= 5);
    assert.equal(sample(metrics, "comet_cluster_available"), 1);
    assert.equal(sample(metrics, "comet_cluster_errors_total"), 0);
    assert.ok(sample(metrics, "comet_presence_entries") >= 1, "B's subscription");
    assert.ok(sample(metrics, "comet_redis_round_trip_seconds_count") >= 1);
    await client.sendText("web_pipe2\nweb_m\ne\n*\nfrom B");
    await client.nextJson();
    const after = await (await fetch(`http://127.0.0.1:${b.adminPort}/metrics`)).text();
    assert.ok(sample(after, "comet_cluster_published_total") >= 1, "B published once");
    const onC = await (await fetch(`http://127.0.0.1:${c.adminPort}/metrics`)).text();
    assert.equal(
      sample(onC, "comet_cluster_received_total"),
      0,
      "nothing for a node without subscribers",
    );
  } finally {
    await client.close();
    await ql.end();
    await cluster.dispose();
  }
});
