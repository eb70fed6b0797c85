/**
 * What presence keeps in Redis. Each node writes only its own keys, so a dead node's entries can
 * be told apart and removed:
 *   `<p>nodes`                    sorted set: node id → registration expiry (ms), renewed by
 *                                 heartbeat
 *   `<p>n:<node>:p:<dev>:<pipe>`  hash: connection id → subscriber details (users_in_pipes)
 *   `<p>n:<node>:c:<dev>:<user>`  set: the user's connection ids on that node
 *   `<p>n:<node>:t:<dev>`         set: the tenant's authorized connection ids on that node
 *   `<p>n:<node>:keys`            set: every key above of that node (for removal)
 *   `<p>seen:<dev>`               hash: user id → when the user's last connection anywhere closed
 *   `<p>lock:<dev>:<user>`        the offline queue's lock (SET NX PX)
 *   `<p>node-info`                hash: node id → host and storage (the start-up check)
 *   `<p>n:<node>:ql`              the node's open CometQL connections, renewed by heartbeat
 *   `<p>node-figures`             hash: node id → its figures for the node list
 *                                 (redis_node_list.ts)
 * The Lua scripts (redis_presence_scripts.ts) take a node key's suffix after `n:<node>:` and
 * read it on every live node.
 */
import type { PresenceConnection, PresenceEntry } from "./presence.ts";

/** The key names under one prefix (`[redis] key_prefix`). */
export class PresenceKeys {
  readonly nodes: string;
  readonly nodeInfo: string;

  constructor(readonly prefix: string) {
    this.nodes = `${prefix}nodes`;
    this.nodeInfo = `${prefix}node-info`;
  }

  /** A key of `node`'s own, from its suffix (`pipeSuffix`, `userSuffix`, …). */
  ofNode(node: string, suffix: string): string {
    return `${this.prefix}n:${node}:${suffix}`;
  }

  /** The set of every key `node` wrote. */
  nodeKeys(node: string): string {
    return `${this.prefix}n:${node}:keys`;
  }

  seen(devId: number): string {
    return `${this.prefix}seen:${devId}`;
  }

  lock(devId: number, userId: number): string {
    return `${this.prefix}lock:${devId}:${userId}`;
  }
}

/** Suffix of a node's subscribers of a pipe. */
export function pipeSuffix(devId: number, pipe: string): string {
  return `p:${devId}:${pipe}`;
}

/** Suffix of a node's connections of a user. */
export function userSuffix(devId: number, userId: number): string {
  return `c:${devId}:${userId}`;
}

/** Suffix of a node's authorized connections of a tenant. */
export function tenantSuffix(devId: number): string {
  return `t:${devId}`;
}

/** Suffix of a node's open CometQL connection count. */
export const COMETQL_SUFFIX = "ql";

let sequence = 0;

/** The stored details of a subscriber; the last field orders `users_in_pipes` newest first. */
export function detailsOf(sub: PresenceConnection): string {
  const seq = Date.now() * 1000 + (sequence++ % 1000);
  return JSON.stringify([
    sub.userId,
    sub.uuid,
    sub.userAgent,
    sub.ip,
    sub.origin,
    sub.language,
    seq,
  ]);
}

/** Stored subscriber details → entries, newest first (docs/protocol/websocket.md §3.5). */
export function entriesOf(details: string[]): PresenceEntry[] {
  const rows: { seq: number; entry: PresenceEntry }[] = [];
  for (const text of details) {
    const [userId, uuid, userAgent, ip, origin, language, seq] = JSON.parse(text);
    rows.push({ seq, entry: { userId, uuid, userAgent, ip, origin, language } });
  }
  rows.sort((a, b) => b.seq - a.seq);
  return rows.map((r) => r.entry);
}
