/**
 * One socket per browser: tabs elect a leader with Web Locks and share its socket over a
 * BroadcastChannel. Here "tabs" are CometApi instances in one process, with a fake lock manager
 * and Deno's real BroadcastChannel.
 */
import assert from "node:assert/strict";
import { CometApi } from "../client/src/comet_api.ts";
import type { CometEvent } from "../client/src/public_types.ts";
import { FakeLockManager, FakeNetwork } from "../client/testing/fake_browser.ts";
import { waitFor } from "../client/testing/wait_for.ts";

/** A browser: one network, one lock manager, tabs that share them. */
function browser() {
  const net = new FakeNetwork();
  const locks = new FakeLockManager().asLockManager();
  const env = net.environment({ locks, BroadcastChannel });
  const tabs: CometApi[] = [];
  const tab = (options: Record<string, unknown> = {}): CometApi => {
    const api = new CometApi(env);
    tabs.push(api);
    // A node name per test keeps the channels of different tests apart.
    api.start({ node: `tabs-${testId}`, nostat: true, ...options });
    return api;
  };
  return {
    net,
    tab,
    /** A tab that has become the leader. */
    async leader(): Promise<CometApi> {
      const api = tab();
      await waitFor(() => api.isMaster() === true, "a leader");
      return api;
    },
    /** A tab that follows and sees the leader's (open) connection. */
    async connectedFollower(): Promise<CometApi> {
      const api = tab();
      await waitFor(() => api.isConnected(), "the follower to see the connection");
      return api;
    },
    stopAll() {
      for (const t of tabs) t.stop();
    },
  };
}
let testId = 0;

/** A test with a fresh browser whose tabs are all stopped at the end. */
function tabsTest(name: string, fn: (b: ReturnType<typeof browser>) => Promise<void>): void {
  Deno.test(name, async () => {
    testId++;
    const b = browser();
    try {
      await fn(b);
    } finally {
      b.stopAll();
    }
  });
}

const SERVER_INFO =
  '{"authorized":false,"data":"","event":"serverInfo","message_send_time":1,"pipe":"sys"}';

tabsTest("tabs: the first tab leads and holds the only socket; the others follow", async (b) => {
  const leader = await b.leader();
  const follower = b.tab();
  await waitFor(() => follower.isMaster() === false, "a follower");
  assert.equal(b.net.sockets.length, 1);
  b.net.last.accept();
  await waitFor(() => follower.isConnected(), "the follower to see the connection");
  assert.equal(leader.isConnected(), true);
});

tabsTest("tabs: the leader subscribes the union; messages reach every tab", async (b) => {
  const leader = await b.leader();
  const follower = b.tab();
  const got: string[] = [];
  leader.subscription("web_a", (e: CometEvent, _s, other) => got.push(`L:${e.data}:${other}`));
  follower.subscription("web_b", (e: CometEvent, _s, other) => got.push(`F:${e.data}:${other}`));
  follower.subscription("web_a", (e: CometEvent, _s, other) => got.push(`F:${e.data}:${other}`));
  const socket = b.net.last;
  socket.accept();
  await waitFor(() => socket.sent.at(-1) === "resume\nweb_a\nweb_b", "the merged list");
  socket.receive(SERVER_INFO);
  socket.receive('{"data":"one","event":"e","pipe":"web_a"}');
  socket.receive('{"data":"two","event":"e","pipe":"web_b"}');
  await waitFor(() => got.length === 3, "three deliveries");
  assert.deepEqual(got.sort(), ["F:one:true", "F:two:true", "L:one:false"]);
  assert.equal(follower.isAuthorized(), false);
});

tabsTest(
  "tabs: a follower's commands go out on the leader's socket, its replies come back",
  async (b) => {
    await b.leader();
    const socket = b.net.last;
    socket.accept();
    const follower = await b.connectedFollower();
    const counts: number[] = [];
    follower.count_users_in_pipe("web_room", (e) => counts.push(e.data.user_in_pipe));
    await waitFor(() => socket.sent.some((s) => s.startsWith("pipe_count")), "pipe_count");
    const marker = socket.sent.find((s) => s.startsWith("pipe_count"))!.split("\n")[2];
    socket.receive(
      `{"data":["user_in_pipe",2],"event":"user_in_pipe","marker":"${marker}","pipe":"_answer_pipe_count"}`,
    );
    await waitFor(() => counts.length === 1, "the reply");
    assert.deepEqual(counts, [2]);
  },
);

tabsTest(
  "tabs: a message one tab publishes is shown to the others (the server skips the socket)",
  async (b) => {
    const leader = await b.leader();
    const socket = b.net.last;
    socket.accept();
    const follower = await b.connectedFollower();
    const got: string[] = [];
    leader.subscription("web_room.say", (e: CometEvent) => got.push(`L:${JSON.stringify(e.data)}`));
    follower.subscription(
      "web_room.say",
      (e: CometEvent) => got.push(`F:${JSON.stringify(e.data)}`),
    );
    follower.web_pipe_send("web_room", "say", { text: "hi" });
    await waitFor(() => socket.sent.includes('web_pipe2\nweb_room\nsay\n*\n{"text":"hi"}'), "send");
    await waitFor(() => got.length === 1, "the echo");
    assert.deepEqual(got, ['L:{"text":"hi"}']);
  },
);

tabsTest("tabs: a follower's restart() makes the leader reconnect with the new key", async (b) => {
  const leader = await b.leader();
  const socket = b.net.last;
  socket.accept();
  const follower = await b.connectedFollower();
  follower.restart({ user_key: "new" });
  await waitFor(() => b.net.sockets.length === 2, "the leader to reconnect");
  assert.equal(socket.closedWith, 1000);
  assert.ok(b.net.last.url.includes("/ws/sesion=new&"), b.net.last.url);
  assert.equal(leader.getUserKey(), "new");
});

tabsTest(
  "tabs: when the leader goes, a follower connects and subscribes everyone's pipes",
  async (b) => {
    const first = await b.leader();
    const second = b.tab();
    const third = b.tab();
    await waitFor(() => second.isMaster() === false && third.isMaster() === false, "followers");
    second.subscription("web_two", () => {});
    third.subscription("web_three", () => {});
    b.net.last.accept();
    await waitFor(() => b.net.last.sent.at(-1) === "resume\nweb_two\nweb_three", "union");
    first.stop();
    await waitFor(() => b.net.sockets.length === 2, "a new socket");
    const successor = second.isMaster() ? second : third;
    assert.equal(successor.isMaster(), true);
    const socket = b.net.last;
    socket.accept();
    await waitFor(
      () =>
        socket.sent.some((s) =>
          s === "resume\nweb_two\nweb_three" || s === "resume\nweb_three\nweb_two"
        ),
      "the union from the new leader",
    );
  },
);

tabsTest(
  "tabs: the new leader resumes every tab's pipes from the positions relayed to it",
  async (b) => {
    const first = await b.leader();
    const second = b.tab();
    const third = b.tab();
    await waitFor(() => second.isMaster() === false && third.isMaster() === false, "followers");
    const got: unknown[] = [];
    second.subscription("web_two", (e: CometEvent) => got.push(e.data));
    third.subscription("web_three", () => {});
    b.net.last.accept();
    await waitFor(() => b.net.last.sent.at(-1) === "resume\nweb_two\nweb_three", "union");
    const E = "0a1b2c3d4e5f";
    const frame = (pipe: string, offset: number) =>
      `{"data":${offset},"epoch":"${E}","event":"n","offset":${offset},"pipe":"${pipe}"}`;
    b.net.last.receive(frame("web_two", 4));
    b.net.last.receive(frame("web_three", 9));
    b.net.last.receive(frame("web_two", 4)); // a duplicate: dropped by the leader
    await waitFor(() => got.length === 1, "the follower got web_two's message");
    first.stop();
    await waitFor(() => b.net.sockets.length === 2, "a new socket");
    const socket = b.net.last;
    socket.accept();
    await waitFor(
      () =>
        socket.sent.some((s) =>
          s === `resume\nweb_two ${E} 4\nweb_three ${E} 9` ||
          s === `resume\nweb_three ${E} 9\nweb_two ${E} 4`
        ),
      "the union with positions from the new leader",
    );
    assert.deepEqual(got, [4]);
  },
);

tabsTest("tabs: share_connection:false gives the instance its own socket", async (b) => {
  await b.leader();
  const own = b.tab({ share_connection: false });
  assert.equal(own.isMaster(), true);
  assert.equal(b.net.sockets.length, 2);
});
