/**
 * Resumable subscriptions at the protocol level (docs/protocol/recovery.md), with scripted raw
 * WebSocket clients against the real server: positions in v5 frames only, replay then live with
 * no gap and no duplicate while CometQL keeps publishing, epoch change, a gap larger than the
 * window, garbage positions, and the window across a graceful restart and a crash.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { spawnComet } from "./helpers/comet_process.ts";
import { type TestServer, withTestServer } from "./helpers/server.ts";
import { testConf } from "./helpers/test_conf.ts";
import { waitFor } from "./helpers/wait_for.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

type Json = Record<string, unknown>;

async function open(port: number, v = "5.0") {
  return (await WsTestClient.connect(port, wsPath({ v }))).client;
}

/** Sends `resume` and returns the `_recovery` outcome of `pipe` and the frames before it. */
async function resume(client: WsTestClient, lines: string, pipe: string) {
  await client.sendText(`resume\n${lines}`);
  const before: Json[] = [];
  for (;;) {
    const m = await client.nextJson();
    if (m.pipe === "_recovery" && (m.data as Json).pipe === pipe) return { outcome: m, before };
    before.push(m);
  }
}

async function insert(port: number, password: string, pipe: string, bodies: string[]) {
  const ql = await connectCometql(port, password);
  for (const b of bodies) {
    await ql.query("INSERT INTO pipes_messages (name, event, message) VALUES (?, 'n', ?)", [
      pipe,
      b,
    ]);
  }
  await ql.end();
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

Deno.test("resume without a position: subscribed, told the position; v5 frames carry it", () =>
  withTestServer(async (t) => {
    const c = await open(t.wsPort);
    const { outcome } = await resume(c, "web_a", "web_a");
    const epoch = (outcome.data as Json).epoch as string;
    assertEquals(outcome, {
      data: { epoch, offset: 0, pipe: "web_a", replayed: 0 },
      event: "subscribed",
      message_send_time: 0,
      pipe: "_recovery",
    });
    const original = await open(t.wsPort, "4.08");
    await original.sendText("subscription\nweb_a");
    await original.barrier();
    await insert(t.qlPort, t.password, "web_a", ["one"]);
    assertEquals(await c.nextJson(), {
      data: "one",
      epoch,
      event: "n",
      message_send_time: 0,
      offset: 1,
      pipe: "web_a",
    });
    assertEquals(await original.nextJson(), {
      data: "one",
      event: "n",
      message_send_time: 0,
      pipe: "web_a",
    }, "the original client's frame has no position");
    await c.close();
    await original.close();
  }));

Deno.test("resume after a drop: the missed messages flagged recovered, then the outcome, then live", () =>
  withTestServer(async (t) => {
    const first = await open(t.wsPort);
    const { outcome } = await resume(first, "web_r", "web_r");
    const epoch = (outcome.data as Json).epoch as string;
    await insert(t.qlPort, t.password, "web_r", ["1", "2"]);
    assertEquals((await first.nextJson()).offset, 1);
    assertEquals((await first.nextJson()).offset, 2);
    await first.close();

    await insert(t.qlPort, t.password, "web_r", range(3, 7));
    const again = await open(t.wsPort);
    const r = await resume(again, `web_r ${epoch} 2`, "web_r");
    assertEquals(r.before.map((m) => [m.data, m.offset, m.recovered, m.epoch]), [
      ["3", 3, true, epoch],
      ["4", 4, true, epoch],
      ["5", 5, true, epoch],
      ["6", 6, true, epoch],
      ["7", 7, true, epoch],
    ]);
    assertEquals(r.outcome.event, "recovered");
    assertEquals(r.outcome.data, { epoch, offset: 7, pipe: "web_r", replayed: 5 });
    await insert(t.qlPort, t.password, "web_r", ["8"]);
    const live = await again.nextJson();
    assertEquals([live.data, live.offset, live.recovered], ["8", 8, undefined]);

    // A browser publish is replayed with its sender; the sender's S4 carries its position.
    const sender = await open(t.wsPort);
    await sender.sendText("web_pipe2\nweb_r\nsay\n*\nhello");
    const answer = await sender.nextJson();
    assertEquals(answer.data, { epoch, message: "hello", number_messages: 1, offset: 9 });
    assertEquals((await again.nextJson()).offset, 9);
    const third = await open(t.wsPort);
    const r3 = await resume(third, `web_r ${epoch} 8`, "web_r");
    assertEquals(r3.before, [{
      data: "hello",
      epoch,
      event: "say",
      message_send_time: 0,
      offset: 9,
      pipe: "web_r",
      recovered: true,
      user_id: 0,
    }]);
    assertEquals(t.node.stats.resumed, { subscribed: 1, recovered: 2, not_recovered: 0 });
    for (const c of [again, sender, third]) await c.close();
  }));

Deno.test("replay/live boundary under concurrent publishing: every offset exactly once, in order", () =>
  withTestServer(async (t) => {
    const TOTAL = 1200;
    const PUBLISHERS = 4;
    const c1 = await open(t.wsPort);
    const { outcome } = await resume(c1, "web_flow", "web_flow");
    const epoch = (outcome.data as Json).epoch as string;
    // Publishers on separate CometQL connections, interleaving with the reconnects below.
    const perPublisher = TOTAL / PUBLISHERS;
    const publishing = Promise.all(
      Array.from({ length: PUBLISHERS }, (_, p) =>
        insert(
          t.qlPort,
          t.password,
          "web_flow",
          Array.from({ length: perPublisher }, (_, i) => `${p}:${i}`),
        )),
    );
    const seen: number[] = [];
    const recoveredSeen: number[] = [];
    let client = c1;
    let last = 0;
    // Drop and resume the connection five times while the publishers run.
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 60; k++) {
        const m = await client.nextJson(5000);
        seen.push(m.offset as number);
        last = m.offset as number;
      }
      const online = t.node.stats.wsOnline;
      await client.close();
      // A real drop: the server has let go of the old connection before the resume comes.
      await waitFor(() => t.node.stats.wsOnline < online, "the server noticed the drop");
      client = await open(t.wsPort);
      const r = await resume(client, `web_flow ${epoch} ${last}`, "web_flow");
      assertEquals(r.outcome.event, "recovered", JSON.stringify(r.outcome));
      for (const m of r.before) {
        assertEquals(m.recovered, true);
        seen.push(m.offset as number);
        recoveredSeen.push(m.offset as number);
      }
      last = (r.outcome.data as Json).offset as number;
    }
    await publishing;
    while (seen.length < TOTAL) seen.push((await client.nextJson(5000)).offset as number);
    await client.expectNoFrame(50);
    assertEquals(seen, range(1, TOTAL).map(Number), "no gap, no duplicate, in order");
    assert(recoveredSeen.length > 0, "some messages were recovered");
    await client.close();
  }, "[recovery]\nwindow_messages = 5000\n"));

Deno.test("another epoch, or a gap larger than the window: not_recovered, then live", () =>
  withTestServer(async (t) => {
    const c = await open(t.wsPort);
    const r = await resume(c, "web_e 0123456789ab 3", "web_e");
    assertEquals(r.before, []);
    assertEquals(r.outcome.event, "not_recovered");
    const epoch = (r.outcome.data as Json).epoch as string;
    assert(epoch !== "0123456789ab");
    await insert(t.qlPort, t.password, "web_e", ["live"]);
    const live = await c.nextJson();
    assertEquals([live.data, live.epoch, live.offset], ["live", epoch, 1]);
    await c.close();

    await insert(t.qlPort, t.password, "web_e", range(2, 20));
    const late = await open(t.wsPort);
    const gap = await resume(late, `web_e ${epoch} 1`, "web_e");
    assertEquals(gap.before, [], "nothing replayed when the window lost some");
    assertEquals(gap.outcome.event, "not_recovered");
    assertEquals(gap.outcome.data, { epoch, offset: 20, pipe: "web_e", replayed: 0 });
    await insert(t.qlPort, t.password, "web_e", ["21"]);
    assertEquals((await late.nextJson()).offset, 21);
    await late.close();
  }, "[recovery]\nwindow_messages = 5\n"));

Deno.test("garbage and impossible positions get a clear error; the connection keeps working", () =>
  withTestServer(async (t: TestServer) => {
    const c = await open(t.wsPort);
    const epoch = t.node.window.position(0, "web_g").epoch;
    await c.sendText(
      `resume\nweb_g ${epoch} -4\nweb_h zz!! 1\nbad/name\nweb_i ${epoch} 1 extra\nweb_j ${epoch}`,
    );
    const errors = [];
    const outcomes: Json = {};
    while (Object.keys(outcomes).length < 4) {
      const m = await c.nextJson();
      if (m.pipe === "sys") errors.push(m.data);
      else outcomes[(m.data as Json).pipe as string] = m.event;
    }
    const position = "[resume] invalid position: expected NAME EPOCH OFFSET (A-Za-z0-9, digits)";
    assertEquals(errors, [
      { error: position, pipe: "web_g" },
      { error: position, pipe: "web_h" },
      { error: '[resume] invalid channel name "bad/name"' },
      { error: position, pipe: "web_i" },
      { error: position, pipe: "web_j" },
    ]);
    assertEquals(outcomes, {
      web_g: "not_recovered",
      web_h: "not_recovered",
      web_i: "not_recovered",
      web_j: "not_recovered",
    });

    // Too long: refused whole, the connection keeps its pipes.
    await c.sendText(`resume\n${"web_x\n".repeat(700)}`);
    assertEquals((await c.nextJson()).data, {
      error: "[resume] the list is longer than 4096 bytes",
    });

    // Well-formed but impossible: an offset this epoch never reached.
    const d = await open(t.wsPort);
    await d.sendText(`resume\nweb_g ${epoch} 99`);
    assertEquals(await d.nextJson(), {
      data: {
        error: "[resume] offset 99 of pipe web_g is beyond the last one of its epoch (0); " +
          "resuming from the current position",
        pipe: "web_g",
      },
      event: "error",
      message_send_time: 0,
      pipe: "sys",
    });
    assertEquals((await d.nextJson()).event, "not_recovered");
    await insert(t.qlPort, t.password, "web_g", ["still live"]);
    assertEquals((await d.nextJson()).data, "still live");
    assertEquals((await c.nextJson()).data, "still live");
    for (const x of [c, d]) await x.close();
  }));

Deno.test("the window survives a graceful restart (same epoch); a crash starts a new epoch", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-resume-" });
  const password = "ResumePassword";
  const confPath = `${dataDir}/comet.conf`;
  await Deno.writeTextFile(confPath, testConf(dataDir, password));
  let proc = await spawnComet(confPath);
  let epoch = "";
  try {
    const c = await open(proc.wsPort);
    epoch = ((await resume(c, "web_s", "web_s")).outcome.data as Json).epoch as string;
    await c.close();
    await insert(proc.qlPort, password, "web_s", range(1, 3));
    proc.kill("SIGTERM");
    assertEquals((await proc.exited()).code, 0, proc.output());
  } finally {
    await proc.dispose();
  }
  proc = await spawnComet(confPath);
  try {
    const c = await open(proc.wsPort);
    const r = await resume(c, `web_s ${epoch} 1`, "web_s");
    assertEquals(r.outcome.event, "recovered", proc.output());
    assertEquals(r.before.map((m) => m.data), ["2", "3"]);
    await c.close();
    await insert(proc.qlPort, password, "web_s", ["4"]);
    proc.kill("SIGKILL");
    await proc.exited();
  } finally {
    await proc.dispose();
  }
  proc = await spawnComet(confPath);
  try {
    const c = await open(proc.wsPort);
    const r = await resume(c, `web_s ${epoch} 3`, "web_s");
    assertEquals(r.outcome.event, "not_recovered", "after a crash the epoch changed");
    assert((r.outcome.data as Json).epoch !== epoch);
    await c.close();
    proc.kill("SIGTERM");
    await proc.exited();
  } finally {
    await proc.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
});
