/// <reference lib="dom" />
/**
 * Node lists and WebSocket URLs (docs/protocol/websocket.md §1.2, §1.6). Pure functions: everything
 * they need from the page (its protocol) is passed in.
 */
import type { CometOptions } from "./public_types.ts";

/** The protocol version we announce: MAJOR ≥ 5 selects the server's clean body format. */
export const CLIENT_VERSION = "5.0";

/** One place to connect to: `host[:port][/prefix]` plus the scheme it asked for, if any. */
export interface CometNode {
  /** `host`, `host:port` or `host/prefix`, without scheme or trailing `/`. */
  address: string;
  /** true for `wss://`/`https://`, false for `ws://`/`http://`, undefined when not written. */
  secure: boolean | undefined;
}

/** Parses one node string; a scheme is optional (`wss://chat.example.org/comet-server`). */
export function parseNode(text: string): CometNode {
  const m = /^(wss?|https?):\/\//i.exec(text.trim());
  const rest = m ? text.trim().slice(m[0].length) : text.trim();
  const secure = m ? /^(wss|https)$/i.test(m[1]) : undefined;
  return { address: rest.replace(/\/+$/, ""), secure };
}

/**
 * The node list of the options, in the order of docs/protocol/websocket.md §1.6: `node` (string or
 * array), then `nodes`, else the fallback (the host that served the script).
 */
export function nodesOf(options: CometOptions, fallback: string[]): CometNode[] {
  const raw = options.node !== undefined
    ? (Array.isArray(options.node) ? options.node : [options.node])
    : options.nodes?.length
    ? options.nodes
    : fallback;
  return raw.filter((n) => typeof n === "string" && n.trim() !== "").map(parseNode);
}

/**
 * Whether to use `wss`: the `wss` option wins, then a scheme written in the node, then the page's
 * protocol (a page served over https may not open plain `ws://`).
 */
export function useSecure(
  options: CometOptions,
  node: CometNode | undefined,
  pageProtocol: string | undefined,
): boolean {
  if (options.wss === true || options.wss === false) return options.wss;
  if (node?.secure !== undefined) return node.secure;
  return pageProtocol === "https:";
}

/**
 * Digits only, else "0": the server reads `myid`/`devid` as leading decimal digits
 * (docs/protocol/websocket.md §1.2).
 */
export function numericParam(value: unknown): string {
  const text = String(value ?? "").trim();
  return /^\d{1,9}$/.test(text) ? text : "0";
}

export interface SocketUrlParams {
  node: CometNode;
  secure: boolean;
  userKey: string | undefined;
  userId: unknown;
  devId: unknown;
  uuid: string;
}

/**
 * `ws[s]://NODE/ws/sesion=KEY&myid=UID&devid=DEV&v=5.0&uuid=UUID&api=js` — parameters in the
 * path, in exactly this order, because the original server reads them by position
 * (docs/protocol/websocket.md §1.2). Nothing is percent-encoded (auth hashes and JWTs are
 * URL-safe); an unset key is sent as the literal `undefined`, as the original client does.
 */
export function buildSocketUrl(p: SocketUrlParams): string {
  const scheme = p.secure ? "wss" : "ws";
  const key = p.userKey === undefined || p.userKey === null ? "undefined" : String(p.userKey);
  return `${scheme}://${p.node.address}/ws/sesion=${key}&myid=${numericParam(p.userId)}` +
    `&devid=${numericParam(p.devId)}&v=${CLIENT_VERSION}&uuid=${p.uuid}&api=js`;
}

/**
 * `<nodes joined by _>_<dev_id>_<user_id>`: names what tabs may share (docs/protocol/websocket.md
 * §9.1 uses it for the `real_user_key` state; we also derive the tab-group lock from it).
 */
export function eventKey(nodes: CometNode[], devId: unknown, userId: unknown): string {
  return `${nodes.map((n) => n.address).join("_")}_${numericParam(devId)}_${numericParam(userId)}`;
}

/**
 * The node a script was loaded from, so that `start()` without `node` connects back to the comet
 * server that served `CometServerApi.js` (e.g. `http://host:8087/CometServerApi.js` gives
 * `host:8087`, `https://site/comet-server/CometServerApi.js` gives `wss://site/comet-server`).
 */
export function nodeFromScriptUrl(scriptUrl: string | undefined): string | undefined {
  if (!scriptUrl) return undefined;
  let url: URL;
  try {
    url = new URL(scriptUrl);
  } catch {
    return undefined; // Not an absolute URL (inline script): no default node.
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  const dir = url.pathname.replace(/\/[^/]*$/, "");
  return `${url.protocol === "https:" ? "wss" : "ws"}://${url.host}${dir}`;
}
