/**
 * The client's side of resumable subscriptions (docs/protocol/recovery.md, docs/client.md
 * _Recovery_), against a fake WebSocket: positions learnt from frames, the `resume` list after a
 * reconnect and after `restart()`, duplicates dropped, recovery events per pipe.
 */
import assert from "node:assert/strict";
import { CometApi } from "../client/src/comet_api.ts";
import type { CometEvent, RecoveryEvent } from "../client/src/public_types.ts";
import { StreamPositions } from "../client/src/stream_positions.ts";
import { FakeNetwork } from "../client/testing/fake_browser.ts";
import { waitFor } from "../client/testing/wait_for.ts";

const SERVER_INFO =
  '{"authorized":false,"data":"","event":"serverInfo","message_send_time":1,"pipe":"sys"}';
const E = "0a1b2c3d4e5f";

function live(pipe: string, offset: number, data = `m${offset}`, extra = ""): string {
  return `{"data":"${data}","epoch":"${E}","event":"n","message_send_time":1,"offset":${offset},` +
    `"pipe":"${pipe}"${extra}}`;
}

function report(event: string, pipe: string, offset: number, replayed = 0): string {
  return JSON.stringify({
    data: { epoch: E, offset, pipe, replayed },
    event,
    message_send_time: 1,
    pipe: "_recovery",
  });
}

Deno.test("positions: learnt from live frames, reports and own publications; stale ones refused", () => {
  const p = new StreamPositions();
  assert.equal(p.observe({ data: "x", pipe: "web_a", epoch: E, offset: 3 }), true);
  assert.deepEqual(p.get("web_a"), { epoch: E, offset: 3 });
  assert.equal(p.observe({ data: "x", pipe: "web_a", epoch: E, offset: 3 }), false, "duplicate");
  assert.equal(p.observe({ data: "x", pipe: "web_a", epoch: E, offset: 2 }), false, "older");
  assert.equal(p.observe({ data: "x", pipe: "web_a", epoch: "ffffffffffff", offset: 1 }), true);
  assert.deepEqual(p.get("web_a"), { epoch: "ffffffffffff", offset: 1 });
  p.observe(JSON.parse(report("subscribed", "web_b", 9)));
  assert.deepEqual(p.get("web_b"), { epoch: E, offset: 9 });
  // Our own web_pipe_send's answer moves past the message the server does not send us.
  p.observe({
    data: { epoch: E, message: "m", number_messages: 1, offset: 10 },
    pipe: "_answer_to_web_b",
  });
  assert.deepEqual(p.get("web_b"), { epoch: E, offset: 10 });
  p.observe({
    data: { epoch: E, message: "m", number_messages: 1, offset: 4 },
    pipe: "_answer_to_web_x",
  });
  assert.equal(p.get("web_x"), undefined, "not a tracked pipe");
  assert.equal(p.observe({ data: "no position", pipe: "web_a" }), true);
  p.forget(["web_a"]);
  assert.equal(p.get("web_a"), undefined);
});

Deno.test("reconnect and restart(): the list goes with the last positions; recovery events per pipe", async () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  const got: [unknown, boolean][] = [];
  const recoveries: RecoveryEvent[] = [];
  api.onRecovery((e) => recoveries.push(e));
  api.subscription("web_a", (e: CometEvent) => got.push([e.data, e.server_info.recovered]));
  api.subscription("web_b", () => {});
  api.start({ node: "127.0.0.1:8087", nostat: true, reconnect_delay: 1 });
  try {
    net.last.accept();
    net.last.receive(SERVER_INFO);
    assert.deepEqual(net.last.sent, ["resume\nweb_a\nweb_b"]);
    net.last.receive(report("subscribed", "web_a", 0));
    net.last.receive(live("web_a", 1));
    net.last.receive(live("web_a", 2));
    net.last.receive(live("web_a", 2)); // a duplicate is never delivered
    net.last.drop();
    await waitFor(() => net.sockets.length === 2, "a second socket");
    net.last.accept();
    assert.deepEqual(net.last.sent, [`resume\nweb_a ${E} 2\nweb_b`]);
    net.last.receive(live("web_a", 3, "m3", ',"recovered":true'));
    net.last.receive(report("recovered", "web_a", 3, 1));
    net.last.receive(report("subscribed", "web_b", 5));
    net.last.receive(live("web_a", 4));
    assert.deepEqual(got, [["m1", false], ["m2", false], ["m3", true], ["m4", false]]);
    assert.deepEqual(recoveries, [{ pipe: "web_a", recovered: true, replayed: 1 }]);

    api.restart({});
    await waitFor(() => net.sockets.length === 3, "a third socket");
    net.last.accept();
    assert.deepEqual(net.last.sent, [`resume\nweb_a ${E} 4\nweb_b ${E} 5`]);
    net.last.receive(report("not_recovered", "web_a", 40));
    net.last.receive(report("recovered", "web_b", 5));
    net.last.receive(report("recovered", "web_other", 5)); // not ours: no event
    assert.deepEqual(recoveries.slice(1), [
      { pipe: "web_a", recovered: false, replayed: 0 },
      { pipe: "web_b", recovered: true, replayed: 0 },
    ]);
    net.last.receive(live("web_a", 41));
    assert.deepEqual(got.at(-1), ["m41", false]);
  } finally {
    api.stop();
  }
});

Deno.test("an unsubscribed pipe's position is forgotten: subscribing again starts afresh", async () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  api.start({ node: "127.0.0.1:8087", nostat: true });
  try {
    net.last.accept();
    net.last.receive(SERVER_INFO);
    const id = api.subscription("web_a", () => {}) as string;
    await waitFor(() => net.last.sent.at(-1) === "resume\nweb_a", "subscribed");
    net.last.receive(live("web_a", 7));
    api.unsubscription(id);
    await waitFor(() => net.last.sent.at(-1) === "resume\n", "unsubscribed");
    api.subscription("web_a", () => {});
    await waitFor(() => net.last.sent.at(-1) === "resume\nweb_a", "subscribed without position");
  } finally {
    api.stop();
  }
});
