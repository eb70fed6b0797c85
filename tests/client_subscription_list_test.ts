/**
 * Subscription names and the server-side pipe list of the browser client
 * (docs/protocol/websocket.md §3.1, §9.4).
 */
import assert from "node:assert/strict";
import {
  mergePipeLists,
  parseSubscriptionId,
  parseSubscriptionName,
  subscriptionId,
  SubscriptionList,
} from "../client/src/subscription_list.ts";
import { resumeCommand } from "../client/src/wire_commands.ts";

Deno.test("names: every form of §9.4", () => {
  assert.deepEqual(parseSubscriptionName(""), { signal: "comet_server_msg", pipe: null });
  assert.deepEqual(parseSubscriptionName("msg"), { signal: "msg", pipe: null });
  assert.deepEqual(parseSubscriptionName("msg.notice"), { signal: "msg.notice", pipe: null });
  assert.deepEqual(parseSubscriptionName("#web_room"), {
    signal: "_answer_to_web_room",
    pipe: null,
  });
  assert.deepEqual(parseSubscriptionName("answer_to_web_room"), {
    signal: "_answer_to_web_room",
    pipe: null,
  });
  assert.deepEqual(parseSubscriptionName("web_room.say"), {
    signal: "web_room.say",
    pipe: "web_room",
  });
  assert.deepEqual(parseSubscriptionName("simplechat.newMessage"), {
    signal: "simplechat.newMessage",
    pipe: "simplechat",
  });
  assert.deepEqual(parseSubscriptionName("track_lobby"), {
    signal: "track_lobby",
    pipe: "track_lobby",
  });
  assert.deepEqual(parseSubscriptionName("news."), { signal: "news", pipe: "news" });
});

Deno.test("names: too short, too long or bad characters are refused before reaching the server", () => {
  assert.ok("refused" in parseSubscriptionName("a"));
  assert.ok("refused" in parseSubscriptionName("a.b"));
  assert.ok("refused" in parseSubscriptionName("x".repeat(65)));
  assert.ok(!("refused" in parseSubscriptionName("x".repeat(64))));
  assert.ok("refused" in parseSubscriptionName("web room"));
  assert.ok("refused" in parseSubscriptionName("@web_room"));
});

Deno.test("ids: <signal>&&<slot> round-trips", () => {
  const id = subscriptionId("web_room.say", "slot3");
  assert.equal(id, "web_room.say&&slot3");
  assert.deepEqual(parseSubscriptionId(id), { signal: "web_room.say", slot: "slot3" });
  assert.equal(parseSubscriptionId("nonsense"), undefined);
});

Deno.test("list: a pipe is listed once, in order of first use, until its last subscription goes", () => {
  const list = new SubscriptionList();
  assert.equal(list.add("a&&1", "web_a"), true);
  assert.equal(list.add("b&&2", "web_b"), true);
  assert.equal(list.add("a.x&&3", "web_a"), false);
  assert.equal(list.add("msg&&4", null), false);
  assert.deepEqual(list.pipes(), ["web_a", "web_b"]);
  assert.equal(list.remove("a&&1"), false); // web_a still needed by a.x
  assert.deepEqual(list.pipes(), ["web_a", "web_b"]);
  assert.equal(list.remove("a.x&&3"), true);
  assert.deepEqual(list.pipes(), ["web_b"]);
  assert.equal(list.remove("a.x&&3"), false);
  assert.equal(list.remove("msg&&4"), false);
  assert.deepEqual(list.ids(), ["b&&2"]);
});

Deno.test("merged lists: each pipe once, the leader's own list first", () => {
  assert.deepEqual(
    mergePipeLists([["web_a", "web_b"], ["web_b", "track_c"], []]),
    ["web_a", "web_b", "track_c"],
  );
});

Deno.test("resume command: the full list joined by newlines, each pipe with its position", () => {
  const none = () => undefined;
  assert.equal(
    resumeCommand(["web_room", "track_lobby"], none),
    "resume\nweb_room\ntrack_lobby",
  );
  assert.equal(resumeCommand([], none), "resume\n");
  const positions = new Map([["web_room", { epoch: "e1", offset: 42 }]]);
  assert.equal(
    resumeCommand(["web_room", "track_lobby"], (pipe) => positions.get(pipe)),
    "resume\nweb_room e1 42\ntrack_lobby",
  );
});
