/**
 * Plain HTTP on the WebSocket port against a real server (docs/protocol/websocket.md §1.1): every
 * route, the exact headers, the client library files, static files and path traversal attempts.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { rawHttp } from "./helpers/ws_client.ts";
import { Logger } from "../src/log.ts";
import { startWsListener } from "../src/ws/ws_listener.ts";

const HEADERS = "Server:CppComet Server\r\n" +
  "Comet-Server:CppComet Server\r\n" +
  "Access-Control-Allow-Origin: *\r\n" +
  "Access-Control-Allow-Methods:POST, GET\r\n" +
  "Allow: POST, GET\r\n" +
  "Access-Control-Allow-Headers: origin, content-type, accept\r\n";

const get = (t: TestServer, path: string) =>
  rawHttp(t.wsPort, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);

async function withSite(fn: (t: TestServer, site: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "comet-site-" });
  const site = `${root}/site`;
  await Deno.mkdir(`${site}/sub dir`, { recursive: true });
  await Deno.writeTextFile(`${site}/index.html`, "<p>hello</p>");
  await Deno.writeTextFile(`${site}/sub dir/app.js`, "console.log(1)");
  await Deno.writeTextFile(`${site}/notes.txt`, "no content type for txt");
  await Deno.writeTextFile(`${root}/secret.html`, "SECRET");
  await Deno.symlink(`${root}/secret.html`, `${site}/link.html`);
  await Deno.symlink(`${site}/index.html`, `${site}/inside.html`);
  const t = await startTestServer(
    `[main]\nbase_dir = ${site}\n[content-type]\nhtml = text/html\njs = application/javascript\n`,
  );
  try {
    await fn(t, site);
  } finally {
    await t.stop();
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("§1.1: OPTIONS, /info, favicon, banner, POST and unknown paths", () =>
  withSite(async (t) => {
    assertEquals(
      await rawHttp(t.wsPort, "OPTIONS /whatever HTTP/1.1\r\n\r\n"),
      "HTTP/1.1 200 OK\r\nContent-Type:text/html; charset=UTF-8\r\n" + HEADERS +
        "Cache-Control: max-age=3600\r\nConnection: close\r\n\r\n+OK\r\n",
    );
    for (const path of ["/info", "/comet-server/info"]) {
      const info = await get(t, path);
      assert(info.startsWith("HTTP/1.1 200 OK\r\n"));
      assert(info.endsWith('\r\n\r\n{"status":"ok","node":"test______"}'), info);
    }
    const favicon = await get(t, "/favicon.ico");
    assert(favicon.startsWith("HTTP/1.1 301 Moved Permanently\r\n"));
    assert(favicon.includes("\r\nLocation: http://comet-server.com/favicon.ico\r\n"));
    const banner = await get(t, "/");
    assert(banner.startsWith("HTTP/1.1 200 OK\r\n") && banner.includes("CppComet Server</h1>"));
    const post = await rawHttp(
      t.wsPort,
      "POST /sesion=x&myid=1 HTTP/1.1\r\nContent-Length: 4\r\n\r\nweb_",
    );
    assert(post.startsWith("HTTP/1.1 404 Not Found\r\n") && post.includes("CppComet Server</h1>"));
    assert((await get(t, "/nothing-here")).startsWith("HTTP/1.1 404 Not Found\r\n"));
  }));

Deno.test("§1.1: static files from [main] base_dir with [content-type] types", () =>
  withSite(async (t) => {
    const page = await get(t, "/index.html");
    assert(page.startsWith("HTTP/1.1 200 OK\r\nContent-Type:text/html; charset=UTF-8\r\n"));
    assert(page.endsWith("\r\n\r\n<p>hello</p>"));
    const js = await get(t, "/comet-server/sub%20dir/app.js?v=3");
    assert(js.includes("Content-Type:application/javascript; charset=UTF-8\r\n"), js);
    assert(js.endsWith("console.log(1)"));
    assert((await get(t, "/inside.html")).endsWith("<p>hello</p>"), "symlinks inside are fine");
    assertEquals((await get(t, "/notes.txt")).split("\r\n")[0], "HTTP/1.1 404 Not Found");
  }));

Deno.test("§1.1: path traversal attempts get 404 and never the file", () =>
  withSite(async (t) => {
    for (
      const path of [
        "/../secret.html",
        "/sub%20dir/../../secret.html",
        "/%2e%2e/secret.html",
        "/%2E%2E%2Fsecret.html",
        "/..%2fsecret.html",
        "/..%5csecret.html",
        "/link.html",
        "//../secret.html",
        "/comet-server/../secret.html",
        "/index.html%00.js",
      ]
    ) {
      const response = await get(t, path);
      assertEquals(response.split("\r\n")[0], "HTTP/1.1 404 Not Found", path);
      assert(!response.includes("SECRET"), path);
    }
  }));

Deno.test("§1.1: requests in several segments; oversized requests are dropped", () =>
  withSite(async (t) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.wsPort });
    for (const part of ["GET /in", "fo HTTP/1.1\r\nHost:", " x\r\n", "\r\n"]) {
      await conn.write(new TextEncoder().encode(part));
      // Not a wait for a result: the pause makes each segment arrive in a read of its own.
      await new Promise((r) => setTimeout(r, 5));
    }
    const buf = new Uint8Array(4096);
    let text = "";
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
    assert(text.endsWith('{"status":"ok","node":"test______"}'), text);
    const huge = await rawHttp(t.wsPort, `GET /${"a".repeat(20000)} HTTP/1.1\r\n\r\n`);
    assertEquals(huge, "", "closed without a response");
  }));

Deno.test("client library files are served with a JS content type and CORS *", async () => {
  const t = await startTestServer();
  const files: Record<string, Uint8Array> = {
    "CometServerApi.js": new TextEncoder().encode("var cometApi = {};"),
    "comet_api.mjs": new TextEncoder().encode("export {};"),
  };
  const listener = await startWsListener(t.node, new Logger(200), {
    clientScript: (name) => files[name],
  });
  try {
    for (const path of ["/CometServerApi.js", "/comet-server/CometServerApi.js?v=4.08"]) {
      const r = await rawHttp(listener.port, `GET ${path} HTTP/1.1\r\n\r\n`);
      assert(
        r.startsWith("HTTP/1.1 200 OK\r\nContent-Type:application/javascript; charset=UTF-8\r\n"),
      );
      assert(r.includes("\r\nAccess-Control-Allow-Origin: *\r\n"));
      assert(r.endsWith("\r\n\r\nvar cometApi = {};"));
    }
    assert(
      (await rawHttp(listener.port, "GET /comet_api.mjs HTTP/1.1\r\n\r\n")).endsWith("export {};"),
    );
    const missing = await rawHttp(listener.port, "GET /comet_api.d.ts HTTP/1.1\r\n\r\n");
    assertEquals(missing.split("\r\n")[0], "HTTP/1.1 404 Not Found");
  } finally {
    await listener.close();
    await t.stop();
  }
});
