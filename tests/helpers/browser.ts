/**
 * Real-browser tests: the system's Chromium driven by playwright-core, plus tiny HTTP servers for
 * the test pages (served from another origin than the comet server, as on a real site; 127.0.0.1
 * is a secure context, so Web Locks are available as on https sites).
 */
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface PageServer {
  /** Absolute URL of a path on this server. */
  url(path: string): string;
  stop(): Promise<void>;
}

/** Serves fixed HTML documents by path, on an ephemeral port of 127.0.0.1. */
export function servePages(pages: Record<string, string>): PageServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const body = pages[new URL(req.url).pathname];
    return body === undefined
      ? new Response("not found", { status: 404 })
      : new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stop: () => server.shutdown(),
  };
}

/** How long a browser test waits for a page to reach a state. */
export const PAGE_TIMEOUT = 10_000;

/** `page.waitForFunction(fn, arg)` with a timeout (PAGE_TIMEOUT unless given). */
export function waitInPage<A>(
  page: Page,
  fn: (arg: A) => boolean,
  arg?: A,
  timeout = PAGE_TIMEOUT,
): Promise<unknown> {
  return page.waitForFunction(fn as (arg: unknown) => boolean, arg, { timeout });
}

/** Collects the page's console errors and uncaught exceptions, to show when a test fails. */
export function recordPageErrors(page: Page, into: string[]): void {
  page.on("pageerror", (err) => into.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") into.push(`console: ${msg.text()}`);
  });
}

/** Starts `php -S` on a free port for a directory; resolves once it answers. */
export async function startPhpServer(
  dir: string,
  env: Record<string, string>,
): Promise<{ url(path: string): string; stop(): Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command("php", {
    args: ["-S", `127.0.0.1:${port}`, "-t", dir],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/`);
      await res.body?.cancel();
      break;
    } catch (err) {
      if (Date.now() > until) {
        child.kill();
        await child.status;
        throw new Error(`php -S did not start: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: (path) => `${base}${path}`,
    stop: async () => {
      child.kill();
      await child.status;
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
