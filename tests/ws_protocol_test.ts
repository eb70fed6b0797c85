/**
 * Every browser command against a real server, comparing whole frames with the shapes of
 * docs/protocol/websocket.md §3 and §4.2 (message_send_time normalised to 0).
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { type TestServer, withTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

async function open(t: TestServer, p: Parameters<typeof wsPath>[0] = {}) {
  return (await WsTestClient.connect(t.wsPort, wsPath(p))).client;
}

async function subscribed(t: TestServer, pipes: string, p: Parameters<typeof wsPath>[0] = {}) {
  const client = await open(t, p);
  await client.sendText(`subscription\n${pipes}`);
  await client.barrier();
  return client;
}

const sysError = (data: Record<string, unknown>) => ({
  data,
  event: "error",
  message_send_time: 0,
  pipe: "sys",
});

Deno.test("§3.2: web_pipe2 → S3 to the others (E′ escaping), S4 to the sender", () =>
  withTestServer(async (t) => {
    await t.node.setAuthHash(0, 42, "h42");
    const sender = await subscribed(t, "web_room", { key: "h42", userId: 42 });
    const other = await subscribed(t, "web_room");
    const clean = await subscribed(t, "web_room", { v: "5.0" });
    const body = `{"text":"it's \\"hi\\"\\n"}\nline2`;
    const escaped = `{\\"text\\":\\"it's \\\\\\"hi\\\\\\"\\\\n\\"}\\nline2`;
    await sender.sendText(`web_pipe2\nweb_room\nsay\n*\n${body}`);
    assertEquals(await other.nextJson(), {
      data: escaped,
      event: "say",
      message_send_time: 0,
      pipe: "web_room",
      user_id: 42,
    });
    const position = t.node.window.position(0, "web_room");
    assertEquals(await clean.nextJson(), {
      data: body,
      epoch: position.epoch,
      event: "say",
      message_send_time: 0,
      offset: 1,
      pipe: "web_room",
      user_id: 42,
    }, "our own client (v=5) gets the body as sent, with its stream position");
    assertEquals(await sender.nextJson(), {
      data: { message: escaped, number_messages: 2 },
      event: "answer",
      message_send_time: 0,
      pipe: "_answer_to_web_room",
    });
    await sender.expectNoFrame(50);

    // @web_: anonymous even for an authorized sender; the answer pipe has no `@`
    await sender.sendText("web_pipe2\n@web_room\n\n*\nx");
    assertEquals(await other.nextJson(), {
      data: "x",
      event: "",
      message_send_time: 0,
      pipe: "web_room",
      user_id: 0,
    });
    assertEquals((await sender.nextJson()).pipe, "_answer_to_web_room");
    for (const c of [sender, other, clean]) await c.close();
  }));

Deno.test("§3.2: webauth_ needs auth; errors keep the connection open", () =>
  withTestServer(async (t) => {
    await t.node.setAuthHash(0, 7, "h7");
    const anonymous = await open(t);
    const user = await subscribed(t, "webauth_x", { key: "h7", userId: 7 });
    await anonymous.sendText("web_pipe2\nwebauth_x\nev\n*\nbody");
    assertEquals(
      await anonymous.nextJson(),
      sysError({
        error: "[webauth_pipe_msg2] Invalid user auth. In to channel with name like webauth_* " +
          "can not send messages anonim users",
        number_messages: -1,
      }),
    );
    await anonymous.sendText("web_pipe2\nnews\nev\n*\nbody");
    assertEquals(
      await anonymous.nextJson(),
      sysError({
        error: "[pipe_msg2] Invalid channel name. The channel should begin with web_",
        number_messages: -1,
      }),
    );
    await user.sendText("web_pipe2\nwebauth_x\nev\n*\nbody");
    assertEquals(await user.nextJson(), {
      data: { message: "body", number_messages: 0 },
      event: "answer",
      message_send_time: 0,
      pipe: "_answer_to_webauth_x",
    }, "the sender itself is not counted");
    assertEquals(await anonymous.barrier(), [], "still connected");
    await anonymous.close();
    await user.close();
  }));

Deno.test("§4.2 S5: CometQL publishes reach every subscriber, and only them", () =>
  withTestServer(async (t) => {
    const a = await subscribed(t, "news\nweb_x");
    const b = await subscribed(t, "news");
    const c = await subscribed(t, "other");
    assertEquals(t.node.publish(0, "news", "tick", '{"n":1}'), 2);
    const s5 = { data: '{"n":1}', event: "tick", message_send_time: 0, pipe: "news" };
    assertEquals(await a.nextJson(), s5);
    assertEquals(await b.nextJson(), s5);
    await c.expectNoFrame(50);
    assertEquals(t.node.publish(1, "news", "tick", "x"), 0, "other tenant");
    for (const x of [a, b, c]) await x.close();
  }));

Deno.test("§3.1: subscription replaces the set", () =>
  withTestServer(async (t) => {
    const client = await subscribed(t, "web_a\nweb_b");
    assertEquals(t.node.countSubscribers(0, "web_a"), 1);
    await client.sendText("subscription\nweb_b\nweb_c");
    await client.barrier();
    assertEquals(t.node.countSubscribers(0, "web_a"), 0);
    assertEquals(t.node.countSubscribers(0, "web_c"), 1);
    await client.sendText("subscription\n");
    await client.barrier();
    assertEquals(t.node.countSubscribers(0, "web_b"), 0);
    await client.close();
  }));

Deno.test("§3.1: 33rd name refused, private_ needs auth, too long closes", () =>
  withTestServer(async (t) => {
    const names = Array.from({ length: 33 }, (_, i) => `web_${i}`);
    const many = await open(t);
    await many.sendText(`subscription\n${names.join("\n")}`);
    assertEquals(await many.nextJson(), sysError({ code: "403", error: "Too many letters" }));
    await many.barrier();
    assertEquals(t.node.countSubscribers(0, "web_31"), 1);
    assertEquals(t.node.countSubscribers(0, "web_32"), 0);

    const anonymous = await subscribed(t, "web_a\nprivate_x\nweb_b");
    assertEquals(t.node.countSubscribers(0, "private_x"), 0);
    assertEquals(t.node.countSubscribers(0, "web_b"), 1, "later names still subscribed");
    await t.node.setAuthHash(0, 3, "h3");
    await subscribed(t, "private_x", { key: "h3", userId: 3 }).then(async (c) => {
      assertEquals(t.node.countSubscribers(0, "private_x"), 1);
      await c.close();
    });

    const long = await open(t);
    await long.sendText(`subscription\nweb_ok\n${"n".repeat(65)}`);
    assertEquals(
      await long.nextJson(),
      sysError({ code: "403", error: "Channel name is too long" }),
    );
    await long.waitClosed();
    const huge = await open(t);
    await huge.sendText(`subscription\n${"web_x\n".repeat(400)}`);
    assertEquals(await huge.nextJson(), sysError({ code: "403", error: "Too many letters" }));
    await huge.waitClosed();
    for (const c of [many, anonymous, long, huge]) await c.close();
  }));

Deno.test("§3.3: pipe_log returns stored history oldest first; nothing for no history", () =>
  withTestServer(async (t) => {
    await t.node.setAuthHash(0, 8, "h8");
    await t.node.setPipeLength(0, "web_hist", 3);
    const sender = await open(t, { key: "h8", userId: 8 });
    t.node.publish(0, "web_hist", "e1", "first");
    t.node.publish(0, "web_hist", "", "second");
    await sender.sendText("web_pipe2\nweb_hist\ne3\n*\nthird 'q'");
    await sender.nextJson();
    t.node.publish(0, "web_hist", "e4", "fourth");
    const reader = await open(t);
    await reader.sendText("pipe_log\nweb_hist\n4815162342\n");
    const entry = (event: string, data: string, userId: number) => ({
      data,
      event,
      fromQueue: true,
      message_send_time: 0,
      pipe: "web_hist",
      user_id: userId,
    });
    assertEquals(await reader.nextJson(), entry("undefined", "second", 0));
    assertEquals(await reader.nextJson(), entry("e3", "third 'q'", 8));
    assertEquals(await reader.nextJson(), entry("e4", "fourth", 0));
    await reader.sendText("pipe_log\nweb_nohistory\n1\n");
    assertEquals(await reader.barrier(), []);

    const clean = await open(t, { v: "5.0" });
    await clean.sendText("pipe_log\nweb_hist\nm7");
    assertEquals(await clean.nextJson(), {
      ...entry("undefined", "second", 0),
      history: true,
      marker: "m7",
    }, "our own client gets history:true and the marker");

    await reader.sendText("pipe_log\nweb.hist\n1\n");
    const channelChars = "The channel name can only contain characters A-Za-z0-9_-";
    assertEquals(await reader.nextJson(), sysError({ error: channelChars, number_messages: -1 }));
    assertEquals(
      await reader.nextJson(),
      sysError({ error: "Invalid channel name.", number_messages: -1 }),
    );
    for (const c of [sender, reader, clean]) await c.close();
  }));

Deno.test("§3.4: pipe_count counts connections on web_ and track_ pipes", () =>
  withTestServer(async (t) => {
    const a = await subscribed(t, "web_room\ntrack_t");
    const b = await subscribed(t, "web_room");
    await a.sendText("pipe_count\nweb_room\n4815162342\n");
    assertEquals(await a.nextJson(), {
      data: ["user_in_pipe", 2],
      event: "user_in_pipe",
      marker: "4815162342",
      message_send_time: 0,
      pipe: "_answer_pipe_count",
    });
    await a.sendText("pipe_count\ntrack_t\nm\n");
    assertEquals((await a.nextJson()).data, ["user_in_pipe", 1]);
    await a.sendText("pipe_count\nnews\nm\n");
    assertEquals(
      await a.nextJson(),
      sysError({
        error: "[pipe_count] Invalid channel name. The channel should start with web_",
        number_messages: -1,
      }),
    );
    await a.close();
    await b.close();
  }));

Deno.test("§3.5: track_pipe_users lists connections newest first", () =>
  withTestServer(async (t) => {
    await t.node.setAuthHash(0, 42, "h42");
    const first = await subscribed(t, "track_lobby", { uuid: "a".repeat(32) });
    const second = await subscribed(t, "track_lobby", {
      key: "h42",
      userId: 42,
      uuid: "b".repeat(32),
    });
    const asker = await open(t);
    await asker.sendText("track_pipe_users\ntrack_lobby\n4815162342");
    assertEquals(await asker.nextJson(), {
      _info: "answer for track_pipe_users",
      data: [{ user_id: 42, uuid: "b".repeat(32) }, { user_id: 0, uuid: "a".repeat(32) }],
      event: "answer",
      marker: "4815162342",
      message_send_time: 0,
      pipe: "_answer",
    });
    await asker.sendText("track_pipe_users\ntrack_empty\nm");
    assertEquals((await asker.nextJson()).data, []);
    await asker.sendText("track_pipe_users\nweb_x\nm");
    assertEquals(
      await asker.nextJson(),
      sysError({
        error: "[track_pipe_users] Invalid channel name. The channel should start with track_",
        user_id: -1,
      }),
    );
    for (const c of [first, second, asker]) await c.close();
  }));

Deno.test('§3.6: user_data returns the stored string or ""', () =>
  withTestServer(async (t) => {
    await t.node.storage.setUserData(0, 7, '{"nick":"bob"}');
    const client = await open(t);
    await client.sendText("user_data\n4815162342\n7");
    assertEquals(await client.nextJson(), {
      data: { user_data: '{"nick":"bob"}', user_id: 7 },
      event: "answer",
      marker: "4815162342",
      message_send_time: 0,
      pipe: "_answer",
    });
    await client.sendText("user_data\nm\n8");
    assertEquals((await client.nextJson()).data, { user_data: "", user_id: 8 });
    await client.sendText("user_data\nm\nx");
    assertEquals(
      await client.nextJson(),
      sysError({ error: "Invalid user id", user_data: "", user_id: -1 }),
    );
    await client.close();
  }));

Deno.test("§3.7: user_status answers now − T", () =>
  withTestServer(async (t) => {
    await t.node.setAuthHash(0, 5, "h5");
    const user = await open(t, { key: "h5", userId: 5 });
    const client = await open(t);
    await client.sendText("user_status\n5");
    const online = await client.nextJson();
    const now = Math.floor(Date.now() / 1000);
    const data = online.data as { data: number; last_online_time: number };
    assert(Math.abs(data.data - now) <= 2, "online user: T = 0, so X = now");
    assertEquals(online, {
      data: { data: data.data, last_online_time: data.data },
      event: "user_status_5",
      message_send_time: 0,
      pipe: "_answer_user_status",
    });
    await user.close();
    await client.barrier();
    await client.sendText("user_status\n5");
    const offline = (await client.nextJson()).data as { data: number };
    assert(offline.data >= 0 && offline.data <= 2, "seconds since last seen");
    await client.close();
  }));

Deno.test("§3.8: statistics, cgi_call and CometQL_call send nothing; unknown commands close", () =>
  withTestServer(async (t) => {
    const client = await open(t);
    await client.sendText('statistics\n{"url":"x","dev_id":"0","version":"4.08"}');
    await client.sendText("cgi_call\nanything");
    await client.sendText("CometQL_call\n4815162342\nnot.a.jwt");
    assertEquals(await client.barrier(), []);
    await client.sendText("CometQL_call\nbad marker\nx");
    assertEquals((await client.nextJson()).data, {
      error: "The channel name can only contain characters A-Za-z0-9_-",
      number_messages: -1,
    });
    assertEquals(
      await client.nextJson(),
      sysError({ error: "Invalid marker name.", user_data: "", user_id: -1 }),
    );
    await client.sendText("unsubscription\nweb_a");
    await client.waitClosed();
    assertEquals(client.pending, 0, "bare TCP close");
    await client.close();
  }));

Deno.test("replies keep the order of the commands, even around storage reads", () =>
  withTestServer(async (t) => {
    await t.node.storage.setUserData(0, 1, "one");
    const client = await open(t);
    await client.sendText("user_data\nm1\n1");
    await client.sendText("pipe_count\nweb_a\nm2\n");
    await client.sendText("user_data\nm3\n1");
    await client.sendText("pipe_count\nweb_a\nm4\n");
    const markers = [];
    for (let i = 0; i < 4; i++) markers.push((await client.nextJson()).marker);
    assertEquals(markers, ["m1", "m2", "m3", "m4"]);
    await client.close();
  }));
