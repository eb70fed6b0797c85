/**
 * No message missed across a reconnect, in real Chromium with our (minified) client against the
 * real server while a backend keeps publishing over CometQL at a steady rate
 * (docs/protocol/recovery.md, docs/client.md _Recovery_): the server restarted with SIGTERM, the
 * TCP connection cut by the network, `restart()`, the tab holding the connection closed — every
 * message arrives exactly once, in order. A gap larger than the window is reported as not
 * recovered, then live messages follow.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { CometServerApi, RecoveryEvent } from "../client/src/public_types.ts";
import {
  launchBrowser,
  type PageServer,
  recordPageErrors,
  servePages,
  waitInPage,
} from "./helpers/browser.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { type CometProcess, freePort, spawnComet } from "./helpers/comet_process.ts";
import { startTestServer } from "./helpers/server.ts";
import { TcpProxy } from "./helpers/tcp_proxy.ts";
import { testConf } from "./helpers/test_conf.ts";

declare const cometApi: CometServerApi;
declare const got: unknown[];
declare const recoveries: RecoveryEvent[];

const PASSWORD = "ResumeBrowserPassword";
const TOTAL = 300;
const INTERVAL_MS = 8;
/** Long enough for a restart of the server process and the client's reconnect. */
const CATCH_UP_MS = 30_000;

function pageHtml(scriptPort: number, nodePort: number, pipe: string): string {
  return `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>resume</title>
<script src="http://127.0.0.1:${scriptPort}/CometServerApi.min.js"></script>
<script>
  window.got = [];
  window.recoveries = [];
  cometApi.onRecovery((e) => recoveries.push(e));
  cometApi.start({ node: "127.0.0.1:${nodePort}", dev_id: 0, nostat: true,
    reconnect_delay: 100, reconnect_max_delay: 300 });
  cometApi.subscription("${pipe}", (e) => got.push(e.data));
</script>`;
}

/**
 * Publishes 1…total, one every `intervalMs`, over CometQL; a failed INSERT (server down) is
 * retried on a new connection until it succeeds, as a backend must.
 */
class Publisher {
  sent = 0;
  done: Promise<void>;
  private port: () => number;

  constructor(port: () => number, pipe: string, total = TOTAL, intervalMs = INTERVAL_MS) {
    this.port = port;
    this.done = this.run(pipe, total, intervalMs);
  }

  private async run(pipe: string, total: number, intervalMs: number): Promise<void> {
    let conn: Awaited<ReturnType<typeof connectCometql>> | undefined;
    while (this.sent < total) {
      try {
        if (conn === undefined) {
          conn = await connectCometql(this.port(), PASSWORD);
          conn.on("error", () => {}); // the server went away: the next query fails, we reconnect
        }
        await conn.query("INSERT INTO pipes_messages (name, event, message) VALUES (?, 'n', ?)", [
          pipe,
          String(this.sent + 1),
        ]);
        this.sent++;
      } catch {
        conn?.destroy();
        conn = undefined;
        await new Promise((r) => setTimeout(r, 30));
        continue;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    await conn?.end();
  }
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function waitGot(page: Page, n: number, timeout = CATCH_UP_MS): Promise<void> {
  await waitInPage(page, (k) => got.length >= k, n, timeout);
}

/** Until the server counts a subscriber on the pipe (the page's `resume` was run). */
async function waitSubscribed(page: Page, pipe: string): Promise<void> {
  await waitInPage(page, () => cometApi.isConnected(), undefined);
  for (let i = 0; i < 200; i++) {
    const n = await page.evaluate((p) =>
      new Promise<number>((resolve) => {
        cometApi.count_users_in_pipe(p, (e) => resolve(e.data.user_in_pipe));
        setTimeout(() => resolve(-1), 1000);
      }), pipe);
    if (n >= 1) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${pipe}: never subscribed`);
}

async function expectEverythingOnce(page: Page, label: string): Promise<RecoveryEvent[]> {
  await waitGot(page, TOTAL);
  await new Promise((r) => setTimeout(r, 100)); // a duplicate would arrive now
  const [all, events] = await page.evaluate(() => [got, recoveries] as const);
  assert.deepEqual(all, oneToN(TOTAL), `${label}: every message exactly once, in order`);
  return events as RecoveryEvent[];
}

Deno.test({
  name: "browser: no message missed across reconnects",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "comet-resume-browser-" });
    const wsPort = freePort();
    const qlPort = freePort();
    const confPath = `${dataDir}/comet.conf`;
    await Deno.writeTextFile(
      confPath,
      testConf(dataDir, PASSWORD, `[ws]\nport = ${wsPort}\n[cometql]\nport = ${qlPort}\n`),
    );
    let server: CometProcess = await spawnComet(confPath);
    const proxy = new TcpProxy(wsPort);
    const pages: PageServer = servePages({
      "/restart.html": pageHtml(wsPort, wsPort, "web_restart"),
      "/cut.html": pageHtml(wsPort, proxy.port, "web_cut"),
      "/tabs.html": pageHtml(wsPort, wsPort, "web_tabs"),
    });
    const browser = await launchBrowser();
    const errors: string[] = [];
    const open = async (path: string, context?: Awaited<ReturnType<typeof browser.newContext>>) => {
      const page = await (context ?? await browser.newContext()).newPage();
      recordPageErrors(page, errors);
      await page.goto(pages.url(path));
      return page;
    };
    try {
      await t.step("the server restarted with SIGTERM while publishing", async () => {
        const page = await open("/restart.html");
        await waitSubscribed(page, "web_restart");
        const publisher = new Publisher(() => qlPort, "web_restart");
        await waitGot(page, 50);
        server.kill("SIGTERM");
        assert.equal((await server.exited()).code, 0, server.output());
        server = await spawnComet(confPath);
        await publisher.done;
        const events = await expectEverythingOnce(page, "restart");
        assert.deepEqual(events, [{
          pipe: "web_restart",
          recovered: true,
          replayed: events[0]?.replayed,
        }]);
        await page.context().close();
      });

      await t.step(
        "the TCP connection cut by the network, then restart(), while publishing",
        async () => {
          const page = await open("/cut.html");
          await waitSubscribed(page, "web_cut");
          const publisher = new Publisher(() => qlPort, "web_cut");
          await waitGot(page, 50);
          proxy.cut();
          await waitGot(page, 120);
          proxy.cut();
          await waitGot(page, 200);
          await page.evaluate(() => cometApi.restart());
          await publisher.done;
          const events = await expectEverythingOnce(page, "cut");
          assert.equal(events.length, 3, JSON.stringify(events));
          assert.ok(
            events.every((e) => e.pipe === "web_cut" && e.recovered),
            JSON.stringify(events),
          );
          assert.ok(events.reduce((n, e) => n + e.replayed, 0) > 0, "some messages were replayed");
          await page.context().close();
        },
      );

      await t.step("the tab holding the connection closes; the next one resumes", async () => {
        const context = await browser.newContext();
        const leader = await open("/tabs.html", context);
        await waitInPage(leader, () => cometApi.isMaster() === true);
        const follower = await open("/tabs.html", context);
        await waitInPage(follower, () => cometApi.isMaster() === false);
        await waitSubscribed(follower, "web_tabs");
        const publisher = new Publisher(() => qlPort, "web_tabs");
        await waitGot(follower, 60);
        await leader.close();
        await waitInPage(follower, () => cometApi.isMaster() === true);
        await publisher.done;
        const events = await expectEverythingOnce(follower, "new leader");
        assert.deepEqual(events.map((e) => [e.pipe, e.recovered]), [["web_tabs", true]]);
        await context.close();
      });
      // The browser reports the attempts made while the server was down; nothing else.
      assert.deepEqual(errors.filter((e) => !e.includes("net::ERR_CONNECTION_REFUSED")), []);
    } finally {
      await browser.close();
      await pages.stop();
      await proxy.stop();
      server.kill("SIGTERM");
      await server.exited().catch(() => server.dispose());
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "browser: a gap larger than the window is reported as not recovered, then live",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startTestServer("[recovery]\nwindow_messages = 5\n");
    const proxy = new TcpProxy(server.wsPort);
    const pages = servePages({ "/gap.html": pageHtml(server.wsPort, proxy.port, "web_gap") });
    const browser = await launchBrowser();
    const errors: string[] = [];
    const ql = await connectCometql(server.qlPort, server.password);
    const publish = (n: number) =>
      ql.query("INSERT INTO pipes_messages (name, event, message) VALUES ('web_gap', 'n', ?)", [
        String(n),
      ]);
    try {
      const page = await (await browser.newContext()).newPage();
      recordPageErrors(page, errors);
      await page.goto(pages.url("/gap.html"));
      await waitSubscribed(page, "web_gap");
      for (let n = 1; n <= 3; n++) await publish(n);
      await waitGot(page, 3);
      proxy.blocked = true;
      proxy.cut();
      await waitInPage(page, () => !cometApi.isConnected());
      for (let n = 4; n <= 23; n++) await publish(n);
      proxy.blocked = false;
      await waitInPage(page, () => recoveries.length > 0, undefined, CATCH_UP_MS);
      await publish(24);
      await waitInPage(page, () => got.includes(24));
      const [all, events] = await page.evaluate(() => [got, recoveries] as const);
      assert.deepEqual(events, [{ pipe: "web_gap", recovered: false, replayed: 0 }]);
      assert.deepEqual(all, [1, 2, 3, 24], "nothing replayed from a window that lost some");
      // While the proxy is blocked it closes the reconnect attempts before their handshake; the
      // browser reports each of those, and nothing else.
      assert.deepEqual(
        errors.filter((e) => !e.includes("closed before receiving a handshake response")),
        [],
      );
    } finally {
      await ql.end();
      await browser.close();
      await pages.stop();
      await proxy.stop();
      await server.stop();
    }
  },
});
