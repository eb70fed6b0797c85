/**
 * Users in real Chromium against the real server: authorization by stored hash and by JWT,
 * private messages (live and queued), presence, `track_` pipes, user data, `unsubscription`,
 * `restart` as another user, `stop`, and `webauth_` pipes (docs/protocol/websocket.md §5, §6, §9).
 * Every user has a browser context of its own (own storage and locks, hence its own socket).
 */
import assert from "node:assert/strict";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { SignJWT } from "jose";
import type { BrowserContext, Page } from "playwright-core";
import type * as Api from "../client/src/public_types.ts";
import { startTestServer } from "./helpers/server.ts";
import {
  launchBrowser,
  PAGE_TIMEOUT as TIMEOUT,
  recordPageErrors,
  servePages,
  waitInPage as waitIn,
} from "./helpers/browser.ts";

// Globals of the test page (see PAGE), for typing the functions run inside it.
declare const cometApi: Api.CometServerApi;
/** What the page recorded: one entry per delivery to a `record(tag)` callback. */
declare const got: { tag: string; data: unknown; info: Api.CometServerInfo }[];
declare const auth: string[];
declare const loadId: number;
declare function record(tag: string): Api.CometCallback;
/** Calls a request method (`count_users_in_pipe`…) and resolves with the reply's data. */
declare function ask<T>(method: string, arg: unknown): Promise<T>;
declare function setup(options: Api.CometOptions, subscriptions: Subs): void;

const PAGE = (wsPort: number) =>
  `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>users test</title>
<script src="http://127.0.0.1:${wsPort}/CometServerApi.js"></script>
<script>
  window.got = [];
  window.auth = [];
  window.loadId = Math.random();
  window.record = (tag) => (e) => got.push({ tag, data: e.data, info: e.server_info });
  window.ask = (method, arg) => new Promise((ok, fail) => {
    cometApi[method](arg, (e) => ok(e.data));
    setTimeout(() => fail(new Error(method + ": no reply")), 5000);
  });
  window.setup = (options, subscriptions) => {
    cometApi.onAuthSuccess(() => auth.push("success"));
    cometApi.onAuthFalill(() => auth.push("fail"));
    cometApi.onAuthFail(() => auth.push("failAlias"));
    for (const [name, tag] of subscriptions) cometApi.subscription(name, record(tag));
    cometApi.start(Object.assign({ dev_id: 0 }, options));
  };
</script>`;

const HASH1 = "hashOfUserOne1";
const HASH2 = "hash/Of+User=Two_2";
/** [subscription name, tag] pairs a page subscribes before start ("msg" → "msg" always). */
type Subs = [string, string][];
/** User 1's page. */
const USER1: [Api.CometOptions, Subs] = [
  { user_id: 1, user_key: HASH1 },
  [["msg.notice", "notice"]],
];
/** A private message body that broke one escaping layer or another. */
const BODY = { text: 'it\'s a \\ and a "quote"\nПривет <b>&amp;</b>' };

/** A browser profile with the test page, and the frames its sockets received (raw JSON). */
interface Client {
  context: BrowserContext;
  page: Page;
  sockets: string[];
  frames: { socket: number; msg: Record<string, unknown> }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Math.floor(Date.now() / 1000);

/** What the page recorded under `tag` so far. */
const tagged = (page: Page, tag: string) =>
  page.evaluate((t) => got.filter((g) => g.tag === t), tag);

/** Waits until the page recorded `count` deliveries under `tag`; returns them all. */
async function received(page: Page, tag: string, count: number) {
  await waitIn(page, (a) => got.filter((g) => g.tag === a.tag).length >= a.count, { tag, count });
  return await tagged(page, tag);
}

/** `subscription(name, record(tag))` in the page; returns the id. */
const subscribe = (page: Page, name: string, tag: string) =>
  page.evaluate(([n, t]) => cometApi.subscription(n, record(t)) as string, [name, tag]);
const unsubscribe = (page: Page, id: string) =>
  page.evaluate((i) => cometApi.unsubscription(i), id);

/** Waits for the auth state; returns [auth callbacks called, isAuthorized(), getUserId()]. */
async function authorized(page: Page, expected: boolean) {
  await waitIn(page, (v) => cometApi.isAuthorized() === v, expected);
  return await page.evaluate(() => [auth, cometApi.isAuthorized(), cometApi.getUserId()]);
}

/** Polls `get` until `ok` holds (or fails after TIMEOUT, naming `what`). */
async function until<T>(what: string, get: () => T | Promise<T>, ok: (v: T) => boolean) {
  const end = Date.now() + TIMEOUT;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await sleep(50);
  }
}

/** `count_users_in_pipe` as seen from a page. */
const countUsers = (page: Page, pipe: string) =>
  page.evaluate(
    (p) => ask<Api.UserCountData>("count_users_in_pipe", p).then((d) => d.user_in_pipe),
    pipe,
  );

/** `getTrackPipeUsers` as seen from a page, sorted by user id. */
const trackUsers = (page: Page, pipe: string) =>
  page.evaluate((p) => ask<Api.TrackPipeUser[]>("getTrackPipeUsers", p), pipe)
    .then((list) => list.sort((a, b) => a.user_id - b.user_id));

Deno.test({
  name: "browser users: auth, private messages, presence, track_, webauth_",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startTestServer();
    const pages = servePages({ "/test.html": PAGE(server.wsPort) });
    const browser = await launchBrowser();
    const ql = await connectCometql(server.qlPort, server.password);
    const errors: string[] = [];
    const sql = async (query: string, params: unknown[] = []) =>
      (await ql.query(query, params))[0] as Record<string, unknown>[];
    const lastOnline = async (id: number) =>
      Number((await sql("SELECT * FROM users_time WHERE id = ?", [id]))[0].time);
    const subscribers = async (pipe: string) =>
      Number((await sql("SELECT * FROM pipes WHERE name = ?", [pipe]))[0].users);
    /** Waits until `pipe` has `n` subscribed connections (CometQL `pipes`). */
    const waitPipe = (pipe: string, n: number) =>
      until(`${pipe} subscribers`, () => subscribers(pipe), (v) => v === n);
    const queueOf = (id: number) => sql("SELECT * FROM users_messages WHERE id = ?", [id]);
    const privateMessage = (id: number, event: string, message: string) =>
      sql("INSERT INTO users_messages (id, event, message) VALUES (?, ?, ?)", [id, event, message]);

    /** Prepares the page (callbacks, subscriptions incl. "msg" → tag msg) and starts it. */
    const setupPage = async (page: Page, options: Api.CometOptions, subs: Subs) => {
      const s: Subs = [["msg", "msg"], ...subs];
      await page.evaluate(({ o, s }) => setup(o, s), { o: options, s });
    };
    const open = async (options: Api.CometOptions, subs: Subs = []) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const client: Client = { context, page, sockets: [], frames: [] };
      recordPageErrors(page, errors);
      page.on("websocket", (ws) => {
        const socket = client.sockets.push(ws.url()) - 1;
        ws.on("framereceived", ({ payload }) => {
          for (const line of String(payload).split("\n")) {
            if (line.trim()) client.frames.push({ socket, msg: JSON.parse(line) });
          }
        });
      });
      await page.goto(pages.url("/test.html"));
      await setupPage(page, options, subs);
      return client;
    };

    try {
      await sql("INSERT INTO users_auth (id, hash) VALUES (1, ?)", [HASH1]);
      await sql("INSERT INTO users_auth (id, hash) VALUES (2, ?)", [HASH2]);
      let u1: Client;
      let u2: Client;
      let u3: Client;

      await t.step("authorization: stored hash, wrong key, JWT", async () => {
        u2 = await open({ user_id: 2, user_key: HASH2 }, [["user_status_1", "status"]]);
        assert.deepEqual(await authorized(u2.page, true), [["success"], true, 2]);
        assert.equal(await u2.page.evaluate(() => cometApi.getRealUserKey()), HASH2);
        assert.equal(await lastOnline(2), 0);
        // Presence is published to current subscribers only: be subscribed before user 1 comes.
        await waitPipe("user_status_1", 1);

        const wrong = await open({ user_id: 1, user_key: "notTheKey" });
        assert.deepEqual(await authorized(wrong.page, false), [["fail", "failAlias"], false, 1]);
        const info = wrong.frames.find((f) => f.msg.event === "serverInfo")!.msg;
        assert.deepEqual([info.authorized, info.data], [false, ""]);
        assert.equal(await lastOnline(1), -1, "a failed login does not make the user online");
        await wrong.context.close();

        const jwt = await new SignJWT({ user_id: 3, exp: now() + 600 })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(server.password + "0"));
        u3 = await open({ user_id: 3, user_key: jwt });
        assert.deepEqual(await authorized(u3.page, true), [["success"], true, 3]);
        assert.equal(await lastOnline(3), 0);

        u1 = await open(...USER1);
        assert.deepEqual(await authorized(u1.page, true), [["success"], true, 1]);
        assert.match(u1.sockets[0], new RegExp(`/ws/sesion=${HASH1}&myid=1&devid=0&v=5\\.0&`));
      });

      await t.step("private messages: msg and msg.EVENT get the exact body", async () => {
        await privateMessage(1, "notice", JSON.stringify(BODY));
        await privateMessage(1, "other", "plain a\\b it's");
        const all = await received(u1.page, "msg", 2);
        assert.deepEqual(all.map((g) => g.data), [BODY, "plain a\\b it's"]);
        assert.deepEqual(all.map((g) => [g.info.pipe, g.info.event, g.info.user_id]), [
          ["msg", "notice", 0],
          ["msg", "other", 0],
        ]);
        assert.deepEqual((await tagged(u1.page, "notice")).map((g) => g.data), [BODY]);
        assert.deepEqual(await tagged(u2.page, "msg"), [], "not for user 2");
        assert.deepEqual(await tagged(u3.page, "msg"), [], "not for user 3");
      });

      await t.step("presence and the offline queue (delivered once, on reconnect)", async () => {
        const online = await received(u2.page, "status", 1);
        assert.deepEqual(online.map((g) => [g.data, g.info.pipe, g.info.event]), [
          ["online", "user_status_1", "online"],
        ]);
        assert.equal(await lastOnline(1), 0);

        const before = now();
        await u1.context.close();
        const offline = await received(u2.page, "status", 2);
        assert.deepEqual([offline[1].data, offline[1].info.event], ["offline", "offline"]);
        const seen = await lastOnline(1);
        assert.ok(seen >= before && seen <= now(), `users_time ${seen}, closed at ${before}`);

        await privateMessage(1, "notice", "while you were away");
        assert.equal((await queueOf(1)).length, 1);
        u1 = await open(...USER1);
        const queued = await received(u1.page, "msg", 1);
        assert.deepEqual(queued.map((g) => [g.data, g.info.event]), [[
          "while you were away",
          "notice",
        ]]);
        const frame = u1.frames.find((f) => f.msg.pipe === "msg")!.msg;
        assert.deepEqual([frame.fromQueue, frame.data], [true, "while you were away"]);
        await until("queue of user 1", () => queueOf(1), (rows) => rows.length === 0);
        assert.equal((await received(u2.page, "status", 3))[2].data, "online");
        assert.equal(await lastOnline(1), 0);

        // Exactly once: a live message comes right after it, and a reload brings no copy back.
        await privateMessage(1, "notice", "live 1");
        assert.deepEqual((await received(u1.page, "msg", 2)).map((g) => g.data), [
          "while you were away",
          "live 1",
        ]);
        await u1.page.reload();
        await setupPage(u1.page, ...USER1);
        await authorized(u1.page, true);
        await privateMessage(1, "notice", "live 2");
        await received(u1.page, "msg", 1);
        await sleep(200); // proves that no copy arrives: there is no event to wait for
        assert.deepEqual((await tagged(u1.page, "msg")).map((g) => g.data), ["live 2"]);
      });

      await t.step("track_ pipes: both users listed, (un)subscription events", async () => {
        await subscribe(u2.page, "track_room", "track");
        await waitPipe("track_room", 1);
        const trackId = await subscribe(u1.page, "track_room", "track");
        const uuid1 = await u1.page.evaluate(() => cometApi.getUUID());
        const uuid2 = await u2.page.evaluate(() => cometApi.getUUID());
        assert.notEqual(uuid1, uuid2);
        const joined = await received(u2.page, "track", 1);
        assert.deepEqual([joined[0].info.event, joined[0].data], [
          "subscription",
          { user_id: 1, uuid: uuid1 },
        ]);
        const both = [{ user_id: 1, uuid: uuid1 }, { user_id: 2, uuid: uuid2 }];
        assert.deepEqual(await trackUsers(u3.page, "track_room"), both, "asked by a non-member");
        assert.deepEqual(await trackUsers(u1.page, "track_room"), both);
        assert.equal(await countUsers(u3.page, "track_room"), 2);

        assert.equal(await unsubscribe(u1.page, trackId), true);
        const left = await received(u2.page, "track", 2);
        assert.deepEqual([left[1].info.event, left[1].data], [
          "unsubscription",
          { user_id: 1, uuid: uuid1 },
        ]);
        assert.deepEqual(await trackUsers(u2.page, "track_room"), [{ user_id: 2, uuid: uuid2 }]);
        assert.deepEqual(await tagged(u1.page, "track"), [], "no events about oneself");
      });

      await t.step("getUserData and count_users_in_pipe", async () => {
        const data = JSON.stringify({ nick: "it's \\ one", lang: "ru" });
        await sql("INSERT INTO users_data (id, data) VALUES (1, ?)", [data]);
        const reply = await u2.page.evaluate(() =>
          Promise.all([1, 99].map((id) => ask("getUserData", id)))
        );
        assert.deepEqual(reply, [{ user_data: data, user_id: 1 }, { user_data: "", user_id: 99 }]);

        for (const c of [u1, u2, u3]) {
          await subscribe(c.page, "web_count", "count");
        }
        await until("count_users_in_pipe", () => countUsers(u1.page, "web_count"), (n) => n === 3);
        assert.equal(await subscribers("web_count"), 3);
      });

      await t.step("unsubscription(id) stops only that local callback", async () => {
        await subscribe(u2.page, "web_unsub", "keep");
        const drop = await subscribe(u2.page, "web_unsub.e", "drop");
        await waitPipe("web_unsub", 1);
        await u3.page.evaluate(() => cometApi.web_pipe_send("web_unsub", "e", "before"));
        await received(u2.page, "drop", 1);
        assert.deepEqual([await unsubscribe(u2.page, drop), await unsubscribe(u2.page, drop)], [
          true,
          false,
        ]);
        await u3.page.evaluate(() => cometApi.web_pipe_send("web_unsub", "e", "after"));
        const kept = await received(u2.page, "keep", 2);
        assert.deepEqual(kept.map((g) => g.data), ["before", "after"]);
        assert.deepEqual((await tagged(u2.page, "drop")).map((g) => g.data), ["before"]);
      });

      await t.step("restart() logs in as another user without reloading the page", async () => {
        const pageLoad = await u3.page.evaluate(() => loadId);
        const socketsBefore = u3.sockets.length;
        await u3.page.evaluate((key) => cometApi.restart({ user_id: 1, user_key: key }), HASH1);
        await until("a new socket", () => u3.sockets.length, (n) => n > socketsBefore);
        assert.match(u3.sockets.at(-1)!, new RegExp(`/ws/sesion=${HASH1}&myid=1&`));
        const onNewSocket = () => u3.frames.find((f) => f.socket === socketsBefore && f.msg.pipe);
        const info = (await until("serverInfo", onNewSocket, (f) => f !== undefined))!.msg;
        assert.deepEqual([info.event, info.authorized, info.data], ["serverInfo", true, HASH1]);
        await until("user 3 offline", () => lastOnline(3), (v) => v > 0);
        assert.deepEqual(await authorized(u3.page, true), [["success"], true, 1]);
        assert.equal(await u3.page.evaluate(() => loadId), pageLoad, "the page was not reloaded");
        // Subscriptions survive the restart; receivers see the new user id; user 1's private
        // messages now reach this page too.
        await waitPipe("web_count", 3);
        await u3.page.evaluate(() => cometApi.web_pipe_send("web_count", "e", "as user 1"));
        const seen = (await received(u2.page, "count", 1))[0];
        assert.deepEqual([seen.data, seen.info.user_id], ["as user 1", 1]);
        await u2.page.evaluate(() => cometApi.web_pipe_send("web_count", "e", "to all"));
        assert.equal((await received(u3.page, "count", 1))[0].data, "to all");
        await privateMessage(1, "notice", "to both of user 1's pages");
        for (const page of [u1.page, u3.page]) {
          const msgs = await received(page, "msg", page === u1.page ? 2 : 1);
          assert.equal(msgs.at(-1)!.data, "to both of user 1's pages");
        }
        await privateMessage(3, "notice", "user 3 is gone");
        assert.equal((await queueOf(3)).length, 1);
      });

      await t.step("stop() disconnects for good", async () => {
        const sockets = u3.sockets.length;
        await u3.page.evaluate(() => cometApi.stop());
        await waitIn(u3.page, () => !cometApi.isConnected());
        await waitPipe("web_count", 2);
        await sleep(3000); // > reconnect_delay (1 s): a reconnect would have happened by now
        assert.equal(u3.sockets.length, sockets, "no new socket after stop()");
        assert.equal(await countUsers(u2.page, "web_count"), 2, "count_users_in_pipe");
        assert.equal(await u3.page.evaluate(() => cometApi.isConnected()), false);
        await privateMessage(1, "notice", "after stop");
        assert.equal((await received(u1.page, "msg", 3))[2].data, "after stop");
        assert.equal((await tagged(u3.page, "msg")).length, 1, "the stopped page got nothing");
        // User 1 is still online on its other page: no offline event, users_time still 0.
        assert.equal(await lastOnline(1), 0);
        assert.equal((await tagged(u2.page, "status")).at(-1)!.data, "online");
      });

      await t.step("webauth_ pipes: only authorized senders, with their user id", async () => {
        const anon = await open({}, [["webauth_room", "wa"], ["", "all"]]);
        await authorized(anon.page, false);
        await subscribe(u2.page, "webauth_room", "wa");
        await subscribe(u1.page, "#webauth_room", "report");
        await waitPipe("webauth_room", 2);

        await anon.page.evaluate(() => cometApi.web_pipe_send("webauth_room", "say", "anonymous"));
        await waitIn(anon.page, () => got.some((g) => g.info.pipe === "sys"));
        const error = (await tagged(anon.page, "all")).find((g) => g.info.pipe === "sys")!;
        assert.match(JSON.stringify(error.data), /webauth_pipe_msg2\] Invalid user auth/);

        await u1.page.evaluate(() => cometApi.web_pipe_send("webauth_room", "say", { n: 1 }));
        const atTwo = await received(u2.page, "wa", 1);
        assert.deepEqual(atTwo.map((g) => [g.data, g.info.user_id]), [[{ n: 1 }, 1]]);
        await u2.page.evaluate(() => cometApi.web_pipe_send("webauth_room.say", "from two"));
        const atAnon = await received(anon.page, "wa", 2);
        assert.deepEqual(atAnon.map((g) => [g.data, g.info.user_id, g.info.event]), [
          [{ n: 1 }, 1, "say"],
          ["from two", 2, "say"],
        ]);
        const report = await received(u1.page, "report", 1);
        assert.equal((report[0].data as { number_messages: number }).number_messages, 2);
        await sleep(200); // proves that nothing more arrives: there is no event to wait for
        assert.equal((await tagged(anon.page, "wa")).length, 2, "the anonymous one never arrives");
        assert.equal((await tagged(u2.page, "wa")).length, 1);
      });

      assert.deepEqual(errors.filter((e) => !e.includes("WebSocket")), []);
    } catch (err) {
      if (errors.length) console.error("page errors:\n" + errors.join("\n"));
      throw err;
    } finally {
      await browser.close();
      await ql.end().catch(() => {});
      await pages.stop();
      await server.stop();
    }
  },
});
