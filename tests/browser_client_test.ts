/**
 * The browser client library in real Chromium against the real server: the script the server
 * serves, exact message bodies from browsers and from CometQL, history, one socket shared by the
 * tabs of a browser, reconnection after a server restart, and the tutorial's chat end to end
 * (docs/protocol/websocket.md §9; the tutorial in docs/protocol/tutorial.md).
 */
import assert from "node:assert/strict";
import { connectCometql } from "./helpers/cometql_connection.ts";
import type { BrowserContext, Page } from "playwright-core";
import type { CometServerApi, CometServerInfo } from "../client/src/public_types.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import {
  launchBrowser,
  PAGE_TIMEOUT as TIMEOUT,
  recordPageErrors,
  servePages,
  startPhpServer,
  waitInPage,
} from "./helpers/browser.ts";
import { waitFor } from "./helpers/wait_for.ts";

/** What the test page records for each delivery. */
interface Received {
  tag: string;
  data: unknown;
  info: CometServerInfo;
  signal: string;
  other: boolean;
}

// Globals of the test page (see pageHtml), for typing the functions run inside it.
declare const cometApi: CometServerApi;
declare const got: Received[];
declare function record(tag: string): (e: unknown, signal: string, other: boolean) => void;

function pageHtml(wsPort: number): string {
  return `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>client test</title>
<script src="http://127.0.0.1:${wsPort}/CometServerApi.js"></script>
<script>
  window.got = [];
  window.record = (tag) => (e, signal, other) =>
    got.push({ tag, data: e.data, info: e.server_info, signal, other });
</script>`;
}

/** Waits until `count_users_in_pipe(pipe)` seen from `page` reaches `atLeast`. */
async function waitForSubscribers(page: Page, pipe: string, atLeast = 1): Promise<void> {
  const until = Date.now() + TIMEOUT;
  for (;;) {
    const n = await page.evaluate((p) =>
      new Promise<number>((resolve) => {
        cometApi.count_users_in_pipe(p, (e) => resolve(e.data.user_in_pipe));
        setTimeout(() => resolve(-1), 2000);
      }), pipe);
    if (n >= atLeast) return;
    if (Date.now() > until) throw new Error(`${pipe}: ${n} subscribers, wanted ${atLeast}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function received(page: Page, tag: string, count: number): Promise<Received[]> {
  await waitInPage(
    page,
    ([t, n]) => got.filter((g) => g.tag === t).length >= n,
    [tag, count] as const,
  );
  return await page.evaluate((t) => got.filter((g) => g.tag === t), tag);
}

/** Bodies that broke one or another escaping layer of the original. */
const TRICKY_BODIES: unknown[] = [
  { text: 'it\'s a \\ and a "quote"\nПривет, мир <b>&amp;</b>' },
  "a\\b",
  "it's",
  "back\\\\slashes\\n",
  ["x", 1, null],
];

Deno.test({
  name: "browser client against the real server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let server: TestServer = await startTestServer();
    const pages = servePages({ "/test.html": pageHtml(server.wsPort) });
    const browser = await launchBrowser();
    const errors: string[] = [];
    /** A new browser profile (own localStorage, locks: its own socket) with the test page. */
    const openProfile = async () => {
      const context = await browser.newContext();
      return { context, page: await openPage(context) };
    };
    const openPage = async (context: BrowserContext) => {
      const page = await context.newPage();
      recordPageErrors(page, errors);
      await page.goto(pages.url("/test.html"));
      return page;
    };
    const ql = () => connectCometql(server.qlPort, server.password);

    try {
      const { page: a } = await openProfile();
      const { page: b } = await openProfile();

      await t.step("the served script defines the original globals", async () => {
        const globals = await a.evaluate(() => {
          const g = globalThis as unknown as Record<string, unknown>;
          return {
            start: typeof cometApi.start,
            same: (g.CometServer as () => unknown)() === cometApi,
            ctor: typeof g.cometServerApi,
            alias: g._cometServerApi === g.cometServerApi,
            independent: new (g.cometServerApi as new () => unknown)() !== cometApi,
            tabSignal: typeof (g.tabSignal as { connect: unknown }).connect,
            signalFn: (g.comet_server_signal as () => unknown)() === g.tabSignal,
            misspelt: typeof cometApi.onAuthFalill,
          };
        });
        assert.deepEqual(globals, {
          start: "function",
          same: true,
          ctor: "function",
          alias: true,
          independent: true,
          tabSignal: "function",
          signalFn: true,
          misspelt: "function",
        });
      });

      await t.step(
        "start() without node connects to the server that served the script",
        async () => {
          for (const page of [a, b]) {
            await page.evaluate(() => cometApi.start({ dev_id: 0 }));
            await waitInPage(
              page,
              () => cometApi.isConnected() && cometApi.isAuthorized() === false,
            );
            assert.equal(await page.evaluate(() => cometApi.isMaster()), true);
          }
        },
      );

      await t.step("web_pipe_send: another browser gets every body exactly", async () => {
        await b.evaluate(() => cometApi.subscription("web_room.say", record("say")));
        await waitForSubscribers(a, "web_room");
        await a.evaluate(() => cometApi.subscription("#web_room", record("report")));
        for (const body of TRICKY_BODIES) {
          await a.evaluate((m) => cometApi.web_pipe_send("web_room", "say", m), body);
        }
        await a.evaluate(() => cometApi.web_pipe_send("@web_room.say", "anonymous"));
        const got = await received(b, "say", TRICKY_BODIES.length + 1);
        assert.deepEqual(got.map((g) => g.data), [...TRICKY_BODIES, "anonymous"]);
        for (const g of got) {
          assert.deepEqual(
            [g.info.user_id, g.info.pipe, g.info.event, g.info.history, g.other],
            [0, "web_room", "say", false, false],
          );
        }
        const reports = await received(a, "report", 1);
        assert.equal((reports[0].data as { number_messages: number }).number_messages, 1);
      });

      await t.step("CometQL INSERT reaches the page exactly (tutorial step 3)", async () => {
        // web_sync goes out in the same subscription list: once it counts, simplechat is active.
        await b.evaluate(() => {
          cometApi.subscription("simplechat.newMessage", record("chat"));
          cometApi.subscription("web_sync", () => {});
        });
        await waitForSubscribers(a, "web_sync");
        const message = { name: "Bob", text: 'it\'s \\ "q" <i>Привет</i>' };
        const conn = await ql();
        try {
          await conn.query(
            "INSERT INTO pipes_messages (name, event, message) VALUES ('simplechat', 'newMessage', ?)",
            [JSON.stringify(message)],
          );
          await conn.query(
            "INSERT INTO pipes_messages (name, event, message) VALUES ('simplechat', 'newMessage', ?)",
            ["plain a\\b it's"],
          );
        } finally {
          await conn.end();
        }
        const got = await received(b, "chat", 2);
        assert.deepEqual(got.map((g) => g.data), [message, "plain a\\b it's"]);
        assert.equal(got[0].info.user_id, 0);
      });

      await t.step("get_pipe_log: stored messages come back flagged as history", async () => {
        const conn = await ql();
        try {
          await conn.query("INSERT INTO pipes_settings (name, length) VALUES ('web_hist', 10)");
        } finally {
          await conn.end();
        }
        await a.evaluate(() => {
          cometApi.web_pipe_send("web_hist", "e", { n: 1 });
          cometApi.web_pipe_send("web_hist", "e", "it's \\");
        });
        await waitFor(
          async () => (await server.node.readHistory(0, "web_hist")).length === 2,
          "both messages in the history",
        );
        await b.evaluate(() => cometApi.get_pipe_log("web_hist", record("hist")));
        const got = await received(b, "hist", 2);
        assert.deepEqual(got.map((g) => [g.data, g.info.history]), [[{ n: 1 }, true], [
          "it's \\",
          true,
        ]]);
      });

      await t.step("tabs of one browser share one socket; a follower takes over", async () => {
        const context = await browser.newContext();
        const sockets: string[] = [];
        const first = await openPage(context);
        first.on("websocket", (ws) => sockets.push(`first ${ws.url()}`));
        await first.evaluate(() => cometApi.start({ dev_id: 0 }));
        await waitInPage(first, () => cometApi.isConnected());
        const second = await openPage(context);
        second.on("websocket", (ws) => sockets.push(`second ${ws.url()}`));
        await second.evaluate(() => {
          cometApi.start({ dev_id: 0 });
          cometApi.subscription("web_tabs", record("tabs"));
        });
        await waitInPage(second, () => cometApi.isMaster() === false && cometApi.isConnected());
        assert.equal(await first.evaluate(() => cometApi.isMaster()), true);
        await waitForSubscribers(a, "web_tabs");
        await a.evaluate(() => cometApi.web_pipe_send("web_tabs", "e", "via leader"));
        const viaLeader = await received(second, "tabs", 1);
        assert.deepEqual([viaLeader[0].data, viaLeader[0].other], ["via leader", true]);
        assert.equal(sockets.length, 1);
        assert.ok(sockets[0].startsWith("first "));
        assert.match(
          sockets[0],
          /\/ws\/sesion=undefined&myid=0&devid=0&v=5\.0&uuid=[\w-]{32}&api=js$/,
        );

        await first.close();
        await waitInPage(second, () => cometApi.isMaster() === true && cometApi.isConnected());
        await waitForSubscribers(a, "web_tabs");
        await a.evaluate(() => cometApi.web_pipe_send("web_tabs", "e", "own socket"));
        const own = await received(second, "tabs", 2);
        assert.deepEqual([own[1].data, own[1].other], ["own socket", false]);
        assert.equal(sockets.length, 2);
        assert.ok(sockets[1].startsWith("second "));
      });

      await t.step("after a server restart the page reconnects and resubscribes", async () => {
        const { wsPort, qlPort, dataDir } = server;
        await server.stop();
        await waitInPage(b, () => !cometApi.isConnected());
        server = await startTestServer(`[ws]\nport = ${wsPort}\n[cometql]\nport = ${qlPort}\n`, {
          dataDir,
        });
        for (const page of [a, b]) {
          await waitInPage(page, () => cometApi.isConnected(), undefined, 40_000);
        }
        await waitForSubscribers(a, "web_room");
        await a.evaluate(() => cometApi.web_pipe_send("web_room", "say", "after restart"));
        const got = await received(b, "say", TRICKY_BODIES.length + 2);
        assert.equal(got.at(-1)!.data, "after restart");
      });

      await t.step("the tutorial's chat: PHP back-end, two browsers, escaped display", async () => {
        const php = await startPhpServer(new URL("../examples/chat", import.meta.url).pathname, {
          COMET_HOST: "127.0.0.1",
          COMET_QL_PORT: String(server.qlPort),
          COMET_PASSWORD: server.password,
        });
        try {
          const chatUrl = php.url(`/index.html?node=127.0.0.1:${server.wsPort}`);
          const [alice, bob] = [await browser.newContext(), await browser.newContext()];
          const alicePage = await alice.newPage();
          const bobPage = await bob.newPage();
          for (const page of [alicePage, bobPage]) {
            recordPageErrors(page, errors);
            await page.goto(chatUrl);
            await waitInPage(page, () => typeof cometApi !== "undefined" && cometApi.isConnected());
            // Same list as simplechat: once web_sync counts, the chat subscription is active.
            await page.evaluate(() => cometApi.subscription("web_sync_chat", () => {}));
          }
          await waitForSubscribers(alicePage, "web_sync_chat", 2);
          const text = `<b>bold?</b> & it's "quoted" \\ Привет`;
          await alicePage.fill("#name", "Alice <3");
          await alicePage.fill("#text", text);
          await alicePage.click("button[type=submit]");
          for (const page of [alicePage, bobPage]) {
            await waitInPage(page, () => document.querySelectorAll("#web_chat i").length === 1);
            const shown = await page.evaluate(() => {
              const i = document.querySelector("#web_chat i")!;
              const name = document.querySelector("#web_chat b")!;
              return { text: i.textContent, tags: i.children.length, name: name.textContent };
            });
            assert.deepEqual(shown, { text, tags: 0, name: "Alice <3" });
          }
        } finally {
          await php.stop();
        }
      });

      assert.deepEqual(errors.filter((e) => !e.includes("WebSocket")), []);
    } catch (err) {
      if (errors.length) console.error("page errors:\n" + errors.join("\n"));
      throw err;
    } finally {
      await browser.close(); // closes every context

      await pages.stop();
      await server.stop();
    }
  },
});
