/**
 * Resumable subscriptions across nodes (docs/protocol/recovery.md §5): with `[redis]` the window
 * and the positions live in Redis, so a client that saw a message on one node resumes on any
 * other and gets exactly what it missed — also while publishes keep coming — or is told it
 * cannot (a gap beyond the window, a Redis that lost its data).
 */
import assert from "node:assert/strict";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { CLUSTER_PASSWORD, eventually, startCluster } from "./helpers/cluster.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const V5 = { v: "5.0" };
type Json = Record<string, unknown>;

async function open(port: number) {
  const { client } = await WsTestClient.connect(port, wsPath(V5));
  return client;
}

/** Frames until `count` messages of `pipe` arrived (the `_recovery` ones included). */
async function framesUntil(client: WsTestClient, pipe: string, count: number): Promise<Json[]> {
  const frames: Json[] = [];
  let messages = 0;
  while (messages < count) {
    const f = await client.nextJson(5000);
    frames.push(f);
    if (f.pipe === pipe) messages++;
  }
  return frames;
}

Deno.test("cluster recovery: seen on B, missed while publishes go through A, resumed on C: exactly the missed ones, then live, no gap or duplicate under concurrent publishing", async () => {
  const cluster = await startCluster(3);
  const [a, b, c] = cluster.nodes;
  const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const ql2 = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const insert = "INSERT INTO pipes_messages (name, event, message) VALUES ('web_r', 'e', ?)";
  const clients: WsTestClient[] = [];
  try {
    const reader = await open(b.wsPort);
    clients.push(reader);
    await reader.sendText("resume\nweb_r");
    const subscribed = await reader.nextJson();
    assert.equal(subscribed.event, "subscribed");
    await ql.query(insert, ["one"]);
    const seen = await reader.nextJson();
    assert.equal(seen.data, "one");
    assert.equal(seen.offset, (subscribed.data as Json).offset as number + 1);
    await reader.close();
    const missed = ["two", "three", "four", "five"];
    for (const m of missed) await ql.query(insert, [m]);

    // Resumed on C (which never listened to web_r) while A keeps publishing.
    const back = await open(c.wsPort);
    clients.push(back);
    const live: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing && i < 400; i++) {
        const m = `live${i}`;
        await ql2.query(insert, [m]);
        live.push(m);
      }
    })();
    await eventually("some live publishes before the resume", () => live.length >= 3);
    await back.sendText(`resume\nweb_r ${seen.epoch} ${seen.offset}`);
    const first = await framesUntil(back, "_recovery", 1);
    await eventually("more live publishes after the resume", () => live.length >= 40);
    publishing = false;
    await publisher;
    const published = [...missed, ...live];
    const rest = await framesUntil(back, "web_r", published.length - (first.length - 1));
    await back.expectNoFrame(200);

    const outcome = first.at(-1)!;
    assert.equal(outcome.event, "recovered", JSON.stringify(outcome));
    const replay = first.slice(0, -1);
    assert.equal((outcome.data as Json).replayed, replay.length);
    assert.ok(replay.every((f) => f.recovered === true), "the replay is flagged recovered");
    assert.ok(rest.every((f) => f.recovered === undefined), "live messages are not flagged");
    const all = [...replay, ...rest];
    assert.deepEqual(all.map((f) => f.data), published, "every message once, in order");
    assert.deepEqual(
      all.map((f) => f.offset),
      published.map((_, i) => (seen.offset as number) + 1 + i),
      "offsets continue without a gap",
    );
    assert.ok(all.every((f) => f.epoch === seen.epoch));

    // Every node stamps the same position: a subscriber on B sees what C sees.
    const onB = await open(b.wsPort);
    clients.push(onB);
    await onB.sendText("resume\nweb_r");
    const position = (await onB.nextJson()).data as Json;
    await ql.query(insert, ["same"]);
    const [x, y] = [await onB.nextJson(), await back.nextJson()];
    assert.deepEqual([x.epoch, x.offset], [y.epoch, y.offset]);
    assert.deepEqual([x.epoch, x.offset], [position.epoch, position.offset as number + 1]);
  } finally {
    for (const client of clients) await client.close();
    await ql.end();
    await ql2.end();
    await cluster.dispose();
  }
});

Deno.test("cluster recovery: web_pipe2 gets a shared position; a resume elsewhere replays it to others, never echoes the sender", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes;
  const clients: WsTestClient[] = [];
  try {
    const writer = await open(a.wsPort);
    const peer = await open(a.wsPort);
    clients.push(writer, peer);
    for (const client of [writer, peer]) {
      await client.sendText("resume\nweb_w");
      assert.equal((await client.nextJson()).event, "subscribed");
    }
    await writer.sendText("web_pipe2\nweb_w\ne\n*\nhello");
    const report = await writer.nextJson();
    const got = await peer.nextJson();
    assert.equal(got.data, "hello");
    assert.deepEqual([got.epoch, got.offset], [
      (report.data as Json).epoch,
      (report.data as Json).offset,
    ]);
    await writer.expectNoFrame(200); // the sender is not echoed by its own node

    const late = await open(b.wsPort);
    clients.push(late);
    await late.sendText(`resume\nweb_w ${got.epoch} ${(got.offset as number) - 1}`);
    const replay = await late.nextJson();
    assert.deepEqual([replay.data, replay.recovered], ["hello", true]);
    assert.equal((await late.nextJson()).event, "recovered");
  } finally {
    for (const client of clients) await client.close();
    await cluster.dispose();
  }
});

Deno.test("cluster recovery: a gap beyond the window is not recovered, then live", async () => {
  const cluster = await startCluster(2, "[recovery]\nwindow_messages = 3\n");
  const [a, b] = cluster.nodes;
  const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const insert = "INSERT INTO pipes_messages (name, event, message) VALUES ('web_g', 'e', ?)";
  const clients: WsTestClient[] = [];
  try {
    const reader = await open(a.wsPort);
    clients.push(reader);
    await reader.sendText("resume\nweb_g");
    await reader.nextJson();
    await ql.query(insert, ["seen"]);
    const seen = await reader.nextJson();
    await reader.close();
    for (let i = 0; i < 3; i++) await ql.query(insert, [`m${i}`]); // 3 kept: still covered
    const ok = await open(b.wsPort);
    clients.push(ok);
    await ok.sendText(`resume\nweb_g ${seen.epoch} ${seen.offset}`);
    const frames = await framesUntil(ok, "_recovery", 1);
    assert.deepEqual(frames.map((f) => f.data ?? f.event), ["m0", "m1", "m2", {
      epoch: seen.epoch,
      offset: (seen.offset as number) + 3,
      pipe: "web_g",
      replayed: 3,
    }]);
    await ql.query(insert, ["m3"]); // now the one after `seen` has left the window
    const lost = await open(b.wsPort);
    clients.push(lost);
    await lost.sendText(`resume\nweb_g ${seen.epoch} ${seen.offset}`);
    const answer = await lost.nextJson();
    assert.equal(answer.event, "not_recovered", JSON.stringify(answer));
    assert.equal((answer.data as Json).offset, (seen.offset as number) + 4);
    await ql.query(insert, ["after"]);
    assert.equal((await lost.nextJson()).data, "after");
  } finally {
    for (const client of clients) await client.close();
    await ql.end();
    await cluster.dispose();
  }
});

Deno.test("cluster recovery: Redis restarted without its data → a new epoch, not recovered", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes;
  const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
  const insert = "INSERT INTO pipes_messages (name, event, message) VALUES ('web_e', 'e', ?)";
  const clients: WsTestClient[] = [];
  try {
    const reader = await open(a.wsPort);
    clients.push(reader);
    await reader.sendText("resume\nweb_e");
    await reader.nextJson();
    await ql.query(insert, ["before"]);
    const seen = await reader.nextJson();
    await reader.close();

    await cluster.redis.stop();
    await assert.rejects(ql.query(insert, ["while down"]), /Redis/, "no false OK");
    await cluster.redis.start();
    await eventually(
      "publishes go through again",
      () => ql.query(insert, ["after"]).then(() => true, () => false),
      10_000,
    );

    const back = await open(b.wsPort);
    clients.push(back);
    await back.sendText(`resume\nweb_e ${seen.epoch} ${seen.offset}`);
    const answer = await back.nextJson();
    assert.equal(answer.event, "not_recovered", JSON.stringify(answer));
    const position = answer.data as Json;
    assert.notEqual(position.epoch, seen.epoch, "the lost stream got a new epoch");
    await ql.query(insert, ["live"]);
    const live = await back.nextJson();
    assert.deepEqual([live.data, live.epoch, live.offset], [
      "live",
      position.epoch,
      (position.offset as number) + 1,
    ]);
  } finally {
    for (const client of clients) await client.close();
    await ql.end();
    await cluster.dispose();
  }
});
