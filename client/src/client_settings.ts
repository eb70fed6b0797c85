/// <reference lib="dom" />
/**
 * What follows from the options (docs/protocol/websocket.md §1.2, §1.6, §9.1, §9.2): the socket
 * URLs, the name of the tab group that may share a socket, the node `roundrobin` picks, the backoff
 * policy. Pure functions, so the facade keeps only state.
 */
import type { CometOptions } from "./public_types.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF } from "./reconnect_backoff.ts";
import {
  buildSocketUrl,
  CLIENT_VERSION,
  eventKey,
  nodesOf,
  numericParam,
  useSecure,
} from "./socket_url.ts";

/** Options before any `start()`: a self-hosted server's tenant is 0. */
export const DEFAULT_OPTIONS: CometOptions = { dev_id: 0 };

/** Merges `update` into `current`; a new `node` replaces an older `nodes` list. */
export function mergeOptions(current: CometOptions, update: CometOptions): CometOptions {
  const merged = { ...current, ...update };
  if (update.node !== undefined) delete merged.nodes;
  return merged;
}

/** Drops undefined values, so a follower's unset option does not erase the leader's. */
export function definedOnly(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * Lock and channel name of the tab group: tabs with the same nodes, dev_id and user_id may share
 * one socket (a different user needs its own, authorized differently).
 */
export function groupNameFor(options: CometOptions, defaultNodes: string[]): string {
  return `comet_api_${eventKeyOf(options, defaultNodes)}`;
}

/**
 * `tabSignal` state name of the real user key: `<eventKey>real_user_key`
 * (docs/protocol/websocket.md §9.1).
 */
export function realUserKeyStateName(options: CometOptions, defaultNodes: string[]): string {
  return `${eventKeyOf(options, defaultNodes)}real_user_key`;
}

function eventKeyOf(options: CometOptions, defaultNodes: string[]): string {
  return eventKey(nodesOf(options, defaultNodes), options.dev_id, options.user_id);
}

/**
 * With `roundrobin`, the one node to use: `user_id % count`, random when that is 0 or NaN
 * (docs/protocol/websocket.md §1.6). Chosen once per connection, so reconnects return to the same
 * node.
 */
export function roundRobinNode(
  options: CometOptions,
  count: number,
  random: () => number = Math.random,
): number | undefined {
  if (!options.roundrobin || count < 2) return undefined;
  const index = Number(options.user_id) % count;
  return index > 0 ? index : Math.floor(random() * count);
}

/** One URL per node, with the current key, user and uuid. */
export function socketUrlsFor(
  options: CometOptions,
  defaultNodes: string[],
  pageProtocol: string | undefined,
  uuid: string,
): string[] {
  return nodesOf(options, defaultNodes).map((node) =>
    buildSocketUrl({
      node,
      secure: useSecure(options, node, pageProtocol),
      userKey: options.user_key,
      userId: options.user_id,
      devId: options.dev_id,
      uuid,
    })
  );
}

/** `reconnect_delay` / `reconnect_max_delay`, each falling back to the default policy. */
export function backoffPolicyOf(options: CometOptions): BackoffPolicy {
  return {
    baseMs: Number(options.reconnect_delay) || DEFAULT_BACKOFF.baseMs,
    maxMs: Number(options.reconnect_max_delay) || DEFAULT_BACKOFF.maxMs,
  };
}

/** The `statistics` command's object (docs/protocol/websocket.md §3.8; the server ignores it). */
export function statisticsOf(options: CometOptions, pageUrl: string | undefined) {
  return { url: pageUrl, dev_id: numericParam(options.dev_id), version: CLIENT_VERSION };
}
