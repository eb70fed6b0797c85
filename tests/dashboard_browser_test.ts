/// <reference lib="dom" />
/**
 * The admin dashboard in headless Chromium: it asks for the key (kept in sessionStorage only),
 * shows the right numbers while messages are published, keeps updating, and logs no console
 * error. A screenshot is kept in test-artifacts/dashboard.png (gitignored).
 */
import type { Page } from "playwright-core";
import { assert, assertEquals } from "./helpers/assert.ts";
import { launchBrowser, recordPageErrors, waitInPage } from "./helpers/browser.ts";
import { ApiClient } from "./helpers/http_api_client.ts";
import { adminOn, withTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);

/** The number a card shows (thousands separators removed). */
function cardValue(page: Page, id: string): Promise<number> {
  return page.$eval(`#${id}`, (el) => Number((el.textContent ?? "").replace(/,/g, "")));
}

function waitForCard(page: Page, id: string, value: number): Promise<unknown> {
  return waitInPage(
    page,
    ([id, value]) => document.getElementById(id)?.textContent?.replace(/,/g, "") === String(value),
    [id, value] as const,
  );
}

Deno.test({
  name: "dashboard: login, live figures while a backend publishes, chart, no console errors",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async (t) => {
      const api = new ApiClient(t.adminPort, t.password);
      await api.put("/api/users/21/auth", { hash: "hash21" });
      const viewers: WsTestClient[] = [];
      for (const [i, pipes] of ["ticker\nlobby", "ticker", "ticker"].entries()) {
        const path = i === 0 ? wsPath({ key: "hash21", userId: 21 }) : wsPath();
        const { client } = await WsTestClient.connect(t.wsPort, path);
        await client.sendText(`subscription\n${pipes}`);
        await client.barrier();
        viewers.push(client);
      }
      const browser = await launchBrowser();
      const errors: string[] = [];
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        recordPageErrors(page, errors);
        await page.goto(`http://127.0.0.1:${t.adminPort}/`);
        await page.waitForSelector("#loginForm", { state: "visible" });

        // A wrong key is refused and the form comes back.
        await page.fill("#key", "not-the-key");
        await page.click("button[type=submit]");
        await waitInPage(page, () => document.getElementById("loginError")?.textContent !== "");
        assertEquals(await page.textContent("#loginError"), "Wrong API key");
        assertEquals(await page.evaluate(() => sessionStorage.length), 0);
        // Chromium logs every 401 response; that one is expected, nothing else is.
        assertEquals(errors, [
          "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)",
        ]);
        errors.length = 0;

        await page.fill("#key", t.password);
        await page.click("button[type=submit]");
        await page.waitForSelector("#board", { state: "visible" });
        await waitForCard(page, "connections", 3);
        assertEquals(await cardValue(page, "authorized"), 1);
        assertEquals(await cardValue(page, "users"), 1);
        assertEquals(await cardValue(page, "subscriptions"), 4);
        assertEquals(await page.textContent("#storageUp"), "up");

        // Publish over the API and watch the counters follow.
        const before = await cardValue(page, "messagesIn");
        const outBefore = t.node.stats.wsMessagesOut;
        const published = 120;
        for (let i = 0; i < published; i++) {
          const r = await api.post("/api/publish", {
            pipe: "ticker",
            event: "tick",
            message: `${i}`,
          });
          assertEquals(r.status, 200);
          // Pacing, not a wait for a result: the publishing spans about one of the dashboard's
          // one-second samples instead of landing in a single burst.
          if (i % 20 === 19) await new Promise((r) => setTimeout(r, 150));
        }
        await waitForCard(page, "messagesIn", before + published);
        await waitForCard(page, "messagesOut", outBefore + 3 * published);
        await waitInPage(
          page,
          () => document.getElementById("topByMessages")?.textContent?.includes("ticker") === true,
        );
        const busiest = await page.$eval("#topBySubscribers tr td", (td) => td.textContent);
        assertEquals(busiest, "ticker");
        assert.ok(await page.$("#chart canvas"), "the chart is drawn");

        // It keeps updating: one more message moves the counter.
        await api.post("/api/publish", { pipe: "lobby", event: "e", message: "one more" });
        await waitForCard(page, "messagesIn", before + published + 1);

        // The key is in this tab's sessionStorage, nowhere else.
        const stored = await page.evaluate(() => ({
          session: sessionStorage.getItem("comet.dashboard.key"),
          local: localStorage.length,
          cookies: document.cookie,
        }));
        assertEquals(stored, { session: t.password, local: 0, cookies: "" });

        await Deno.mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({
          path: new URL("dashboard.png", ARTIFACTS).pathname,
          fullPage: true,
        });
        assertEquals(errors, [], "no console errors");
      } finally {
        await browser.close();
        for (const v of viewers) await v.close();
      }
    }, adminOn()),
});
