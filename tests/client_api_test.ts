/**
 * The `cometApi` object against a fake WebSocket (no server, no browser): what it sends for each
 * API call (docs/protocol/websocket.md §3, §9.3, §9.4) and how it delivers what the server sends
 * (§9.5).
 */
import assert from "node:assert/strict";
import { CometApi } from "../client/src/comet_api.ts";
import type { CometEvent } from "../client/src/public_types.ts";
import { FakeNetwork, type FakeWebSocket } from "../client/testing/fake_browser.ts";
import { waitFor } from "../client/testing/wait_for.ts";

const SERVER_INFO_OK =
  '{"authorized":true,"data":"hash1","event":"serverInfo","message_send_time":1,"pipe":"sys"}';
const SERVER_INFO_ANON =
  '{"authorized":false,"data":"","event":"serverInfo","message_send_time":1,"pipe":"sys"}';

/** A started instance with its socket open; `stop()` it at the end of the test. */
function connected(options: Record<string, unknown> = {}) {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  api.start({ node: "127.0.0.1:8087", dev_id: 0, nostat: true, ...options });
  const socket = net.last;
  socket.accept();
  socket.receive(SERVER_INFO_ANON);
  return { net, api, socket };
}

/** Subscription lists are debounced: wait until `socket` got exactly this list. */
async function subscribed(socket: FakeWebSocket, ...pipes: string[]) {
  const command = `resume\n${pipes.join("\n")}`;
  await waitFor(() => socket.sent.at(-1) === command, command);
}

Deno.test("start: one socket to the node's /ws/ URL with the v=5.0 parameters", () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  let ready = 0;
  api.start({ node: "127.0.0.1:8087", user_id: 42, user_key: "k1", nostat: true }, () => ready++);
  try {
    assert.equal(net.sockets.length, 1);
    assert.equal(
      net.last.url,
      `ws://127.0.0.1:8087/ws/sesion=k1&myid=42&devid=0&v=5.0&uuid=${api.getUUID()}&api=js`,
    );
    assert.equal(api.getUUID().length, 32);
    assert.equal(api.isMaster(), true); // No Web Locks here: every instance leads itself.
    assert.equal(ready, 1);
    assert.equal(api.isConnected(), false);
    net.last.accept();
    assert.equal(api.isConnected(), true);
  } finally {
    api.stop();
  }
  assert.equal(api.isConnected(), false);
});

Deno.test("serverInfo: sets the auth state, fires the callbacks on change, is not delivered", () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  const seen: string[] = [];
  api.onAuthSuccess(() => seen.push("success"));
  api.onAuthFalill(() => seen.push("fail"));
  api.subscription((e: CometEvent) => seen.push(`msg:${e.server_info.event}`));
  api.start({ node: "h1", user_id: 7, user_key: "hash1", nostat: true });
  try {
    assert.equal(api.isAuthorized(), undefined);
    net.last.accept();
    net.last.receive(SERVER_INFO_OK);
    net.last.receive(SERVER_INFO_OK);
    assert.equal(api.isAuthorized(), true);
    assert.equal(api.getRealUserKey(), "hash1");
    net.last.receive(SERVER_INFO_ANON);
    assert.equal(api.isAuthorized(), false);
    assert.deepEqual(seen, ["success", "fail"]);
  } finally {
    api.stop();
  }
});

Deno.test("subscription: the full list is sent, grows and shrinks with the subscriptions", async () => {
  const { api, socket } = connected();
  try {
    const a = api.subscription("web_room.say", () => {});
    const b = api.subscription("web_room", () => {});
    api.subscription("track_lobby", () => {});
    api.subscription("msg.notice", () => {});
    api.subscription("#web_room", () => {});
    await subscribed(socket, "web_room", "track_lobby");
    assert.equal(socket.sent.filter((s) => s.startsWith("resume")).length, 1);
    assert.equal(api.unsubscription(a as string), true);
    assert.equal(api.unsubscription(b as string), true);
    await subscribed(socket, "track_lobby");
    api.unsubscriptionAll();
    await subscribed(socket);
    assert.equal(api.subscription("x", () => {}), false);
    assert.equal(api.subscription("web_room", undefined as never), false);
  } finally {
    api.stop();
  }
});

Deno.test("subscription: each form receives what §9.4 says", () => {
  const { api, socket } = connected();
  const got: string[] = [];
  const record = (tag: string) => (e: CometEvent, signal: string, other: boolean) =>
    got.push(`${tag}:${signal}:${JSON.stringify(e.data)}:${other}`);
  try {
    api.subscription("web_room", record("pipe"));
    api.subscription("web_room.say", record("event"));
    api.subscription("msg", record("msg"));
    api.subscription("#web_room", record("report"));
    api.subscription(record("all"));
    socket.receive('{"data":"{\\"t\\":1}","event":"say","pipe":"web_room","user_id":3}');
    socket.receive('{"data":"plain","event":"other","pipe":"web_room"}');
    socket.receive('{"data":"hello","event":"notice","pipe":"msg"}');
    socket.receive(
      '{"data":{"message":"x","number_messages":2},"event":"answer","pipe":"_answer_to_web_room"}',
    );
    assert.deepEqual(got, [
      'pipe:web_room:{"t":1}:false',
      'event:web_room.say:{"t":1}:false',
      'all:comet_server_msg:{"t":1}:false',
      'pipe:web_room:"plain":false',
      'all:comet_server_msg:"plain":false',
      'msg:msg:"hello":false',
      'all:comet_server_msg:"hello":false',
      'report:_answer_to_web_room:{"message":"x","number_messages":2}:false',
      'all:comet_server_msg:{"message":"x","number_messages":2}:false',
    ]);
  } finally {
    api.stop();
  }
});

Deno.test("subscription: a text with newlines subscribes each line", async () => {
  const { api, socket } = connected();
  try {
    const ids = api.subscription("web_a\nweb_b", () => {}) as string;
    assert.equal(ids.split("\n").length, 2);
    await subscribed(socket, "web_a", "web_b");
    api.unsubscription(ids);
    await subscribed(socket);
  } finally {
    api.stop();
  }
});

Deno.test("web_pipe_send: 3-argument, pipe.event, pipe-only and anonymous @web_ forms", () => {
  const { api, socket } = connected();
  try {
    assert.equal(api.web_pipe_send("web_room", "say", { text: 'it\'s \\ "q"' }), true);
    assert.equal(api.web_pipe_send("web_room.say", "hi"), true);
    assert.equal(api.web_pipe_send("web_room", 5), true);
    assert.equal(api.web_pipe_send("@web_room", "say", { a: 1 }), true);
    assert.equal(api.web_pipe_send("webauth_x", "e", null), true);
    assert.equal(api.web_pipe_send("news", "e", 1), undefined);
    assert.equal(api.web_pipe_send("@webauth_x", "e", 1), undefined);
    assert.equal(api.web_pipe_send("web_room", "bad event", 1), undefined);
    assert.deepEqual(socket.sent, [
      'web_pipe2\nweb_room\nsay\n*\n{"text":"it\'s \\\\ \\"q\\""}',
      'web_pipe2\nweb_room\nsay\n*\n"hi"',
      "web_pipe2\nweb_room\nundefined\n*\n5",
      'web_pipe2\n@web_room\nsay\n*\n{"a":1}',
      "web_pipe2\nwebauth_x\ne\n*\nnull",
    ]);
  } finally {
    api.stop();
  }
});

Deno.test("queue: commands wait while disconnected and follow the subscription list on open", () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  try {
    assert.equal(api.web_pipe_send("web_x", "e", 1), false); // before start
    api.subscription("web_x", () => {});
    api.start({ node: "h", nostat: true });
    assert.equal(api.send_msg("pipe_count\nweb_x\n0123456789\n"), false);
    net.last.accept();
    assert.deepEqual(net.last.sent, [
      "resume\nweb_x",
      "web_pipe2\nweb_x\ne\n*\n1",
      "pipe_count\nweb_x\n0123456789\n",
    ]);
  } finally {
    api.stop();
  }
});

Deno.test("reconnect: after a bare TCP drop, with the full list again; not after a clean 1000", async () => {
  const { net, api, socket } = connected({ reconnect_delay: 1 });
  try {
    api.subscription("web_a", () => {});
    api.subscription("track_b", () => {});
    await subscribed(socket, "web_a", "track_b");
    socket.drop();
    assert.equal(api.isConnected(), false);
    assert.equal(api.web_pipe_send("web_a", "e", 1), false);
    await waitFor(() => net.sockets.length === 2, "a second socket");
    net.last.accept();
    assert.deepEqual(net.last.sent, ["resume\nweb_a\ntrack_b", "web_pipe2\nweb_a\ne\n*\n1"]);
    net.last.drop(1000, true);
    // Proves that nothing happens: a reconnect would have come within the 100 ms minimum delay.
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(net.sockets.length, 2);
  } finally {
    api.stop();
  }
});

Deno.test("reconnect: a clean 1001 is followed by a reconnect; a clean 1008 or 4xxx is final", async () => {
  for (const [code, reconnects] of [[1001, true], [1008, false], [4001, false]] as const) {
    const { net, api, socket } = connected({ reconnect_delay: 1 });
    try {
      socket.drop(code, true);
      if (reconnects) await waitFor(() => net.sockets.length === 2, `reconnect after ${code}`);
      // Proves that nothing happens: a reconnect would come within the 100 ms minimum delay.
      else await new Promise((r) => setTimeout(r, 250));
      assert.equal(net.sockets.length, reconnects ? 2 : 1, `close code ${code}`);
    } finally {
      api.stop();
    }
  }
});

Deno.test("restart: reconnects at once with the new key; stop: no reconnect", async () => {
  const { net, api, socket } = connected({ user_id: 5, user_key: "old" });
  api.restart({ user_key: "new" });
  assert.equal(socket.closedWith, 1000);
  assert.equal(net.sockets.length, 2);
  assert.ok(net.last.url.includes("/ws/sesion=new&myid=5&"));
  net.last.accept();
  api.stop();
  assert.equal(net.last.closedWith, 1000);
  // Proves that nothing happens: stop() must not reconnect.
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(net.sockets.length, 2);
});

Deno.test("count_users_in_pipe: one reply, either data form, others' replies ignored", () => {
  const { api, socket } = connected();
  const counts: unknown[] = [];
  const all: unknown[] = [];
  try {
    api.subscription((e: CometEvent) => all.push(e.server_info.marker));
    api.count_users_in_pipe("web_room", (e) => counts.push([e.data[1], e.data.user_in_pipe]));
    const marker = socket.sent.at(-1)!.split("\n")[2];
    assert.match(socket.sent.at(-1)!, /^pipe_count\nweb_room\n\d{10}\n$/);
    socket.receive(
      `{"data":["user_in_pipe",3],"event":"user_in_pipe","marker":"9999999999","pipe":"_answer_pipe_count"}`,
    );
    socket.receive(
      `{"data":{"user_in_pipe":4},"event":"user_in_pipe","marker":"${marker}","pipe":"_answer_pipe_count"}`,
    );
    socket.receive(
      `{"data":["user_in_pipe",5],"event":"user_in_pipe","marker":"${marker}","pipe":"_answer_pipe_count"}`,
    );
    assert.deepEqual(counts, [[4, 4]]);
    assert.deepEqual(all, [marker]);
    assert.equal(api.count_users_in_pipe("news", () => {}), false);
  } finally {
    api.stop();
  }
});

Deno.test("requests: track_pipe_users and user_data commands and their one-shot replies", () => {
  const { api, socket } = connected();
  const got: unknown[] = [];
  try {
    api.getTrackPipeUsers("track_lobby", (e) => got.push(e.data));
    const trackMarker = socket.sent.at(-1)!.split("\n")[2];
    assert.equal(socket.sent.at(-1), `track_pipe_users\ntrack_lobby\n${trackMarker}`);
    api.getUserData(7, (e) => got.push(e.data));
    const userMarker = socket.sent.at(-1)!.split("\n")[1];
    assert.equal(socket.sent.at(-1), `user_data\n${userMarker}\n7`);
    socket.receive(
      `{"_info":"answer for track_pipe_users","data":[{"user_id":42,"uuid":"u"}],"event":"answer","marker":"${trackMarker}","pipe":"_answer"}\n` +
        `{"data":{"user_data":"{\\"nick\\":\\"bob\\"}","user_id":7},"event":"answer","marker":"${userMarker}","pipe":"_answer"}`,
    );
    assert.deepEqual(got, [[{ user_id: 42, uuid: "u" }], {
      user_data: '{"nick":"bob"}',
      user_id: 7,
    }]);
    assert.equal(api.getTrackPipeUsers("web_x", () => {}), false);
    assert.equal(api.getUserData("abc", () => {}), false);
  } finally {
    api.stop();
  }
});

Deno.test("get_pipe_log: history arrives on the pipe's subscribers, flagged as history", () => {
  const { api, socket } = connected();
  const got: unknown[] = [];
  try {
    api.get_pipe_log(
      "web_room",
      (e) => got.push([e.data, e.server_info.history, e.server_info.user_id]),
    );
    const marker = socket.sent.at(-1)!.split("\n")[2];
    // The subscription goes out first: a command never overtakes a subscription made before it.
    assert.deepEqual(socket.sent, ["resume\nweb_room", `pipe_log\nweb_room\n${marker}\n`]);
    socket.receive(
      `{"data":"old","event":"e","fromQueue":true,"history":true,"marker":"${marker}","pipe":"web_room","user_id":4}\n` +
        `{"data":"{\\"n\\":2}","event":"e","fromQueue":true,"history":true,"marker":"${marker}","pipe":"web_room","user_id":0}`,
    );
    socket.receive('{"data":"live","event":"e","pipe":"web_room"}');
    assert.deepEqual(got, [["old", true, 4], [{ n: 2 }, true, 0], ["live", false, 0]]);
  } finally {
    api.stop();
  }
});

Deno.test("duplicates: multi_web_pipe_send copies are delivered once, without the tag", () => {
  const { api, socket } = connected();
  const got: unknown[] = [];
  try {
    api.subscription("web_x", (e) => got.push(e.data));
    const frame =
      '{"data":"{\\"a\\":1,\\"_cometApi_uuid\\":\\"jsapiABC\\"}","event":"e","pipe":"web_x"}';
    socket.receive(frame);
    socket.receive(frame);
    assert.deepEqual(got, [{ a: 1 }]);
    const withUuid = '{"data":"u","event":"e","pipe":"web_x","uuid":"msg-uuid-1"}';
    socket.receive(withUuid);
    socket.receive(withUuid);
    assert.deepEqual(got, [{ a: 1 }, "u"]);
    api.multi_web_pipe_send("web_x", "e", { b: 2 }, 1);
    assert.match(
      socket.sent.at(-1)!,
      /^web_pipe2\nweb_x\ne\n\*\n\{"b":2,"_cometApi_uuid":"jsapi[\w-]{11}"\}$/,
    );
  } finally {
    api.stop();
  }
});

Deno.test("several nodes: one socket each, every command to every open socket", () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  api.start({ node: ["n1:1", "n2:2"], nostat: true });
  try {
    assert.deepEqual(net.sockets.map((s) => new URL(s.url).host), ["n1:1", "n2:2"]);
    net.sockets[0].accept();
    api.web_pipe_send("web_x", "e", 1);
    net.sockets[1].accept();
    api.web_pipe_send("web_x", "e", 2);
    assert.deepEqual(net.sockets[0].sent, [
      "web_pipe2\nweb_x\ne\n*\n1",
      "web_pipe2\nweb_x\ne\n*\n2",
    ]);
    assert.deepEqual(net.sockets[1].sent, ["web_pipe2\nweb_x\ne\n*\n2"]);
  } finally {
    api.stop();
  }
});

Deno.test("roundrobin: one node, user_id % count", () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment());
  api.start({ nodes: ["n0", "n1", "n2"], user_id: 4, roundrobin: true, nostat: true });
  try {
    assert.equal(net.sockets.length, 1);
    assert.equal(new URL(net.last.url).host, "n1");
  } finally {
    api.stop();
  }
});

Deno.test("accessors: options, wss switch, markers", () => {
  const net = new FakeNetwork();
  const api = new CometApi(net.environment({ pageProtocol: "https:" }));
  api.start({ node: "h", dev_id: 3, user_id: 9, user_key: "k", nostat: true });
  try {
    assert.equal(api.getDevId(), 3);
    assert.equal(api.getUserId(), 9);
    assert.equal(api.getUserKey(), "k");
    assert.equal(api.isUseWss(), true);
    assert.ok(net.last.url.startsWith("wss://h/ws/"));
    assert.equal(api.UseWss(false), false);
    assert.match(api.getCustomString(), /^\d{10}$/);
    assert.equal(api.getTabUUID().length, 32);
    assert.notEqual(api.getTabUUID(), api.getUUID());
    assert.equal(api.UseWebSocket(true), true);
  } finally {
    api.stop();
  }
});
