/**
 * Plain-HTTP routing on the WebSocket port (docs/protocol/websocket.md §1.1). The route is chosen
 * from the method and target in the original's order; every plain response carries the original's
 * headers and `Connection: close`, and the socket is closed after it.
 */
import { Buffer } from "node:buffer";

export type Route =
  | { kind: "options" }
  | { kind: "websocket" }
  | { kind: "info" }
  | { kind: "favicon" }
  | { kind: "banner" }
  | { kind: "clientScript"; name: string }
  | { kind: "static"; path: string }
  | { kind: "notFound" };

/** Prefixes that open a WebSocket session (§1.1). */
const WS_PREFIXES = ["/ws/", "//ws/", "/comet-server/ws/", "//comet-server/ws/"];
const PREFIX = "/comet-server";
/** Our built client library, served by name (see src/client_files.ts). */
export const CLIENT_SCRIPTS: Record<string, string> = {
  "CometServerApi.js": "application/javascript",
  "comet_api.mjs": "application/javascript",
  "comet_api.d.ts": "application/typescript",
  "CometServerApi.min.js": "application/javascript",
  "CometServerApi.min.js.map": "application/json",
  "comet_api.min.mjs": "application/javascript",
  "comet_api.min.mjs.map": "application/json",
};

export function routeOf(method: string, target: string): Route {
  if (method === "OPTIONS") return { kind: "options" };
  if (method === "GET") {
    if (WS_PREFIXES.some((p) => target.startsWith(p))) return { kind: "websocket" };
    if (target === "/info" || target === `${PREFIX}/info`) return { kind: "info" };
    if (target === "/favicon.ico" || target === `${PREFIX}/favicon.ico`) return { kind: "favicon" };
    if (target === "/") return { kind: "banner" };
  }
  // The long-polling transport is gone (§1.1); POST gets the 404 banner.
  if (method !== "GET") return { kind: "notFound" };
  const path = withoutPrefix(withoutQuery(target));
  const name = path.startsWith("/") ? path.slice(1) : path;
  if (Object.hasOwn(CLIENT_SCRIPTS, name)) return { kind: "clientScript", name };
  return { kind: "static", path };
}

/** `/info`: the node name, first 10 characters padded with `_` (§1.1). */
export function infoBody(nodeName: string): string {
  const node = nodeName.slice(0, 10).padEnd(10, "_");
  return `{"status":"ok","node":"${node}"}`;
}

export const BANNER = '<!DOCTYPE html>\n<html><head><meta charset="utf-8">' +
  "<title>CppComet Server</title></head>\n<body><h1>CppComet Server</h1>\n" +
  "<p>Comet server compatible with CppComet 4.09 (AGPL license). " +
  "Browsers connect over WebSocket at <code>/ws/</code>; backends publish over CometQL " +
  "(the MySQL protocol).</p></body></html>\n";

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  301: "Moved Permanently",
  404: "Not Found",
};

export interface ResponseOptions {
  /** Without charset; `; charset=UTF-8` is appended as the original does. */
  contentType?: string;
  location?: string;
  /** `Cache-Control: max-age=3600`; on for everything but 404s. */
  cache?: boolean;
}

/** Head and body of a plain-HTTP response with the headers of §1.1, no Content-Length. */
export function httpResponse(
  status: 200 | 301 | 404,
  body: Uint8Array | string,
  options: ResponseOptions = {},
): Buffer {
  const cache = options.cache ?? status !== 404;
  const head = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
    `Content-Type:${options.contentType ?? "text/html"}; charset=UTF-8\r\n` +
    "Server:CppComet Server\r\n" +
    "Comet-Server:CppComet Server\r\n" +
    "Access-Control-Allow-Origin: *\r\n" +
    "Access-Control-Allow-Methods:POST, GET\r\n" +
    "Allow: POST, GET\r\n" +
    "Access-Control-Allow-Headers: origin, content-type, accept\r\n" +
    (options.location ? `Location: ${options.location}\r\n` : "") +
    (cache ? "Cache-Control: max-age=3600\r\n" : "") +
    "Connection: close\r\n\r\n";
  const bodyBytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return Buffer.concat([Buffer.from(head, "latin1"), bodyBytes]);
}

/** The response for every route that needs no file or WebSocket. */
export function fixedResponse(
  route: Route,
  nodeName: string,
): Buffer | undefined {
  switch (route.kind) {
    case "options":
      return httpResponse(200, "+OK\r\n");
    case "info":
      return httpResponse(200, infoBody(nodeName));
    case "favicon":
      return httpResponse(301, "", { location: "http://comet-server.com/favicon.ico" });
    case "banner":
      return httpResponse(200, BANNER);
    case "notFound":
      return notFoundResponse();
    default:
      return undefined;
  }
}

/** 404 with the banner, for every path nothing else answers (§1.1). */
export function notFoundResponse(): Buffer {
  return httpResponse(404, BANNER);
}

function withoutQuery(target: string): string {
  const q = target.search(/[?#]/);
  return q < 0 ? target : target.slice(0, q);
}

function withoutPrefix(path: string): string {
  return path === PREFIX || path.startsWith(`${PREFIX}/`) ? path.slice(PREFIX.length) : path;
}
