/**
 * docs/protocol/websocket.md §1.1 (routing, headers, static files) and §1.3 (handshake), pure
 * parts.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./helpers/assert.ts";
import { HttpRequestReader, MAX_REQUEST_BYTES, parseHttpRequest } from "../src/ws/http_request.ts";
import { httpResponse, infoBody, routeOf } from "../src/ws/http_routes.ts";
import { staticFileRequest } from "../src/ws/static_files.ts";
import { acceptValue, readUpgradeRequest, switchingProtocols } from "../src/ws/ws_handshake.ts";

Deno.test("§1.1: routes in the original's order", () => {
  const kind = (m: string, t: string) => routeOf(m, t).kind;
  assertEquals(kind("OPTIONS", "/anything"), "options");
  for (const t of ["/ws/sesion=1", "//ws/x", "/comet-server/ws/x", "//comet-server/ws/x"]) {
    assertEquals(kind("GET", t), "websocket", t);
  }
  assertEquals(kind("GET", "/wsx"), "static");
  assertEquals(kind("GET", "/info"), "info");
  assertEquals(kind("GET", "/comet-server/info"), "info");
  assertEquals(kind("GET", "/favicon.ico"), "favicon");
  assertEquals(kind("GET", "/comet-server/favicon.ico"), "favicon");
  assertEquals(kind("GET", "/"), "banner");
  assertEquals(kind("POST", "/sesion=x&myid=1"), "notFound");
  assertEquals(kind("PUT", "/x.html"), "notFound");
  assertEquals(routeOf("GET", "/CometServerApi.js"), {
    kind: "clientScript",
    name: "CometServerApi.js",
  });
  assertEquals(routeOf("GET", "/comet-server/comet_api.mjs?v=5"), {
    kind: "clientScript",
    name: "comet_api.mjs",
  });
  assertEquals(routeOf("GET", "/comet-server/img/a.png"), { kind: "static", path: "/img/a.png" });
});

Deno.test("§1.1: /info pads or cuts the node name to 10 characters", () => {
  assertEquals(infoBody("n1"), '{"status":"ok","node":"n1________"}');
  assertEquals(infoBody("a-very-long-node"), '{"status":"ok","node":"a-very-lon"}');
});

Deno.test("§1.1: plain responses carry the original's headers and Connection: close", () => {
  const text = httpResponse(200, "+OK\r\n").toString("latin1");
  assertEquals(
    text,
    "HTTP/1.1 200 OK\r\n" +
      "Content-Type:text/html; charset=UTF-8\r\n" +
      "Server:CppComet Server\r\n" +
      "Comet-Server:CppComet Server\r\n" +
      "Access-Control-Allow-Origin: *\r\n" +
      "Access-Control-Allow-Methods:POST, GET\r\n" +
      "Allow: POST, GET\r\n" +
      "Access-Control-Allow-Headers: origin, content-type, accept\r\n" +
      "Cache-Control: max-age=3600\r\n" +
      "Connection: close\r\n\r\n+OK\r\n",
  );
  const notFound = httpResponse(404, "x").toString("latin1");
  assert(notFound.startsWith("HTTP/1.1 404 Not Found\r\n"));
  assert(!notFound.includes("Cache-Control"));
  const moved = httpResponse(301, "", { location: "http://comet-server.com/favicon.ico" });
  assert(moved.toString().includes("\r\nLocation: http://comet-server.com/favicon.ico\r\n"));
});

Deno.test("§1.1: static paths are checked before touching the file system", () => {
  const types = { html: "text/html", js: "application/javascript", png: "image/png" };
  assertEquals(staticFileRequest("/index.html", types), {
    relative: "index.html",
    contentType: "text/html",
  });
  assertEquals(staticFileRequest("/a%20b/c.js", types), {
    relative: "a b/c.js",
    contentType: "application/javascript",
  });
  for (
    const bad of [
      "/../etc/passwd.html",
      "/a/../../x.html",
      "/%2e%2e/x.html",
      "/%2E%2E%2Fx.html",
      "/..%2fx.html",
      "/a%5c..%5cx.html",
      "/x.html%00.png",
      "/%zz.html",
      "/.hidden.html",
      "/noextension",
      "/x.exe",
      "/",
    ]
  ) {
    assertEquals(staticFileRequest(bad, types), undefined, bad);
  }
  // an absolute-looking target stays inside the base directory
  assertEquals(staticFileRequest("//etc/x.html", types)?.relative, "etc/x.html");
});

Deno.test("§1.3: accept value (RFC 6455 example) and the exact 101 response", () => {
  assertEquals(acceptValue("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assertEquals(
    switchingProtocols("dGhlIHNhbXBsZSBub25jZQ==", false).toString(),
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  assert(switchingProtocols("k", true).toString().endsWith("Sec-WebSocket-Protocol: chat\r\n\r\n"));
});

Deno.test("§1.3: headers recorded from the upgrade request; chat only when offered", () => {
  const req = parseHttpRequest(
    "GET /ws/x HTTP/1.1\r\nsec-websocket-key: abc\r\nUser-Agent: UA/1\r\norigin: http://a\r\n" +
      "Accept-Language: ru\r\nSec-WebSocket-Protocol: soap, chat\r\n\r\n",
  );
  assertEquals(readUpgradeRequest(req), {
    key: "abc",
    chatOffered: true,
    userAgent: "UA/1",
    origin: "http://a",
    language: "ru",
  });
  const other = readUpgradeRequest(parseHttpRequest(
    `GET / HTTP/1.1\r\nSec-WebSocket-Key: ${"k".repeat(51)}\r\nSec-WebSocket-Protocol: soap\r\n` +
      `User-Agent: ${"u".repeat(300)}\r\n\r\n`,
  ));
  assertEquals(other.key, undefined, "keys over 50 characters are not keys");
  assertEquals(other.chatOffered, false);
  assertEquals(other.userAgent.length, 250);
});

Deno.test("§1.3: a request in several segments is reassembled; oversized ones refused", () => {
  const reader = new HttpRequestReader();
  const text = "GET /ws/a=b HTTP/1.1\r\nHost: x\r\n\r\n";
  const bytes = Buffer.from(text + "\x81\x80", "latin1");
  for (let i = 0; i < text.length - 1; i += 5) {
    const r = reader.push(bytes.subarray(i, Math.min(i + 5, text.length - 1)));
    assertEquals(r.kind, "incomplete");
  }
  const r = reader.push(bytes.subarray(text.length - 1));
  assert(r.kind === "request");
  assertEquals(r.request.method, "GET");
  assertEquals(r.request.target, "/ws/a=b");
  assertEquals([...r.rest], [0x81, 0x80], "pipelined bytes are handed back");

  const big = new HttpRequestReader();
  assertEquals(big.push(Buffer.alloc(MAX_REQUEST_BYTES, 0x41)).kind, "incomplete");
  assertEquals(big.push(Buffer.from("AA")).kind, "too large");
});
