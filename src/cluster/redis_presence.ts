/**
 * Presence on Redis. Each node writes only its own keys, so a dead node's entries can be told
 * apart and removed:
 *   `<p>nodes`                  sorted set: node id → registration expiry (ms), renewed by
 * heartbeat   `<p>n:<node>:p:<dev>:<pipe>` hash: connection id → subscriber details
 * (users_in_pipes)   `<p>n:<node>:c:<dev>:<user>` set: the user's connection ids on that node
 *   `<p>n:<node>:t:<dev>`        set: the tenant's authorized connection ids on that node
 *   `<p>n:<node>:keys`           set: every key above of that node (for removal)
 *   `<p>seen:<dev>`              hash: user id → when the user's last connection anywhere closed
 *   `<p>lock:<dev>:<user>`       the offline queue's lock (SET NX PX)
 *   `<p>node-info`               hash: node id → host and storage (the start-up check)
 *   `<p>n:<node>:ql`             the node's open CometQL connections, renewed by heartbeat
 *   `<p>node-figures`            hash: node id → its figures for the node list (redis_node_list.ts)
 * Every cluster-wide answer is one Lua script that reads only nodes whose registration has not
 * expired, so a killed node's users read as offline `nodeTtlMs` after its last heartbeat at the
 * latest. A live node then removes the dead one's keys (one node wins the ZREM) and reports its
 * users that are online nowhere else as lost (the core announces them offline).
 */
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import { ClusterUnavailableError } from "./cluster_error.ts";
import { ClusterStats } from "./cluster_stats.ts";
import type {
  LocalState,
  NodeSummary,
  Presence,
  PresenceConnection,
  PresenceEntry,
  PresenceEvents,
  PresenceSize,
} from "./presence.ts";
import { connectRedis, firstConnect, newNodeId, type RedisSettings } from "./redis_connection.ts";
import { RedisNodeList } from "./redis_node_list.ts";
import { CONNECTION_SCRIPT, READ_SCRIPT } from "./redis_presence_scripts.ts";
import { type NodeIdentity, storageConflict } from "./node_identity.ts";

/** Longest a node holds the offline-queue lock of a user (it is released when done). */
const LOCK_TTL_MS = 10_000;
const LOCK_RETRY_MS = 20;

export class RedisPresence implements Presence {
  readonly nodeId = newNodeId();
  private readonly redis: Redis;
  private readonly p: string;
  private local: LocalState | undefined;
  private events: PresenceEvents | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private entries = 0;
  /** The storage check passed: this node may register. */
  private joined = false;
  /** The storage check failed after start (logged once; the node stays out of the cluster). */
  private refused = false;
  /** True once a (re)registration wrote this node's whole state. */
  private registered = false;
  private resyncing: Promise<void> | undefined;
  private lockChains = new Map<string, Promise<unknown>>();
  private readonly nodeList: RedisNodeList;

  constructor(
    private settings: RedisSettings,
    private log: Logger,
    readonly stats = new ClusterStats(),
    private identity?: NodeIdentity,
  ) {
    this.p = settings.prefix;
    this.redis = connectRedis(settings, `comet-presence-${this.nodeId}`, true);
    this.nodeList = new RedisNodeList(this.redis, this.p, this.nodeId);
    this.redis.defineCommand("cometConnection", { numberOfKeys: 4, lua: CONNECTION_SCRIPT });
    this.redis.defineCommand("cometRead", { numberOfKeys: 1, lua: READ_SCRIPT });
    this.redis.on("error", (e: Error) => this.log.debug("cluster", `redis: ${e.message}`));
    // Only once the storage check passed (at start, or at the first heartbeat that reaches Redis).
    this.redis.on("ready", () => {
      if (this.joined) this.registerAll();
    });
  }

  async start(local: LocalState, events: PresenceEvents): Promise<void> {
    this.local = local;
    this.events = events;
    // Registered before the node serves, so its first connections count cluster-wide.
    if (await firstConnect(this.redis, this.settings.connectTimeoutMs)) {
      const conflict = await this.storageConflict();
      if (conflict !== undefined) {
        this.redis.disconnect();
        throw new Error(`cannot join the cluster on ${this.settings.prefix}: ${conflict}`);
      }
      this.joined = true;
      await this.registerAll();
    } else {
      this.log.error("cluster", "Redis not reachable at start: presence registers once it is");
    }
    this.heartbeat = setInterval(() => this.beat(), this.settings.heartbeatMs);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.redis.status === "ready") {
      // A clean stop leaves nothing to expire: the users' last connections close with it.
      await this.removeNode(this.nodeId).catch(() => {});
    }
    if (this.redis.status === "ready") await this.redis.quit().catch(() => {});
    else this.redis.disconnect();
  }

  /** Refuses to join live nodes that use another storage (node_identity.ts). */
  /** Why this node must not join the live ones (node_identity.ts), or undefined once it may. */
  private async storageConflict(): Promise<string | undefined> {
    if (this.identity === undefined) return undefined;
    const live = await this.redis.zrangebyscore(`${this.p}nodes`, Date.now(), "+inf");
    const infos = live.length === 0 ? [] : await this.redis.hmget(`${this.p}node-info`, ...live);
    const others = infos.filter((i): i is string => i !== null).map((i) => JSON.parse(i));
    const conflict = storageConflict(this.identity, others);
    if (conflict !== undefined) return conflict;
    await this.redis.hset(`${this.p}node-info`, this.nodeId, JSON.stringify(this.identity));
    return undefined;
  }

  // ---- changes on this node ----

  subscribed(sub: PresenceConnection, pipe: string): void {
    this.entries++;
    if (this.redis.status !== "ready") return; // written with everything else on reconnect
    const key = this.pipeKey(this.nodeId, sub.devId, pipe);
    this.redis.hset(key, String(sub.id), detailsOf(sub)).catch(this.writeFailed);
    this.redis.sadd(this.keysKey(this.nodeId), key).catch(this.writeFailed);
  }

  unsubscribed(sub: PresenceConnection, pipe: string): void {
    this.entries--;
    if (this.redis.status !== "ready") return;
    this.redis.hdel(this.pipeKey(this.nodeId, sub.devId, pipe), String(sub.id))
      .catch(this.writeFailed);
  }

  connected(sub: PresenceConnection): Promise<number> {
    this.entries++;
    return this.changeConnections(sub, 1, 0);
  }

  disconnected(sub: PresenceConnection, now: number): Promise<number> {
    this.entries--;
    return this.changeConnections(sub, -1, now);
  }

  // ---- cluster-wide answers ----

  async subscriberCount(devId: number, pipe: string): Promise<number> {
    return Number(await this.read("count", `p:${devId}:${pipe}`));
  }

  async subscribers(devId: number, pipe: string): Promise<PresenceEntry[]> {
    const flat = await this.read("list", `p:${devId}:${pipe}`) as string[];
    return entriesOf(flat.filter((_, i) => i % 2 === 1));
  }

  async isOnline(devId: number, userId: number): Promise<boolean> {
    return Number(await this.read("card", `c:${devId}:${userId}`)) > 0;
  }

  async lastSeen(devId: number, userId: number): Promise<number | undefined> {
    const seen = await this.command(() =>
      this.redis.hget(`${this.p}seen:${devId}`, String(userId))
    );
    return seen === null ? undefined : Number(seen);
  }

  async connectionCount(devId: number): Promise<number> {
    return Number(await this.read("card", `t:${devId}`));
  }

  async cometqlConnections(): Promise<number> {
    const others = Number(await this.read("sum", "ql"));
    const mine = this.local?.cometqlConnections() ?? 0;
    return others + mine;
  }

  withUserLock<T>(devId: number, userId: number, fn: () => Promise<T>): Promise<T> {
    // One at a time within this process first, then across nodes.
    const key = `${devId}:${userId}`;
    const run = () => this.underRedisLock(`${this.p}lock:${key}`, fn);
    const next = (this.lockChains.get(key) ?? Promise.resolve()).then(run, run);
    const settled = next.then(() => {}, () => {});
    this.lockChains.set(key, settled);
    settled.then(() => {
      if (this.lockChains.get(key) === settled) this.lockChains.delete(key);
    });
    return next;
  }

  size(): PresenceSize {
    return { entries: this.entries, nodes: this.nodeList.live };
  }

  nodes(): NodeSummary[] {
    return this.nodeList.nodes(this.local);
  }

  // ---- internals ----

  private writeFailed = (e: unknown): void => {
    this.stats.errors++;
    this.log.debug("cluster", `presence write failed: ${(e as Error)?.message ?? e}`);
  };

  private pipeKey(node: string, devId: number, pipe: string): string {
    return `${this.p}n:${node}:p:${devId}:${pipe}`;
  }

  private keysKey(node: string): string {
    return `${this.p}n:${node}:keys`;
  }

  /** Runs one Redis call, timed, with failures as ClusterUnavailableError. */
  private async command<T>(call: () => Promise<T>): Promise<T> {
    if (this.redis.status !== "ready") throw new ClusterUnavailableError("Redis is not reachable");
    const started = performance.now();
    try {
      const result = await call();
      this.stats.observeRtt(performance.now() - started);
      return result;
    } catch (e) {
      this.stats.errors++;
      throw new ClusterUnavailableError(`Redis: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }

  private read(op: "count" | "list" | "card" | "sum", suffix: string): Promise<unknown> {
    return this.command(() =>
      // deno-lint-ignore no-explicit-any
      (this.redis as any).cometRead(`${this.p}nodes`, op, Date.now(), this.p, suffix, this.nodeId)
    );
  }

  private changeConnections(sub: PresenceConnection, delta: 1 | -1, now: number): Promise<number> {
    const n = this.nodeId;
    return this.command(() =>
      // deno-lint-ignore no-explicit-any
      (this.redis as any).cometConnection(
        `${this.p}nodes`,
        `${this.p}n:${n}:c:${sub.devId}:${sub.userId}`,
        `${this.p}n:${n}:t:${sub.devId}`,
        this.keysKey(n),
        n,
        String(sub.id),
        delta,
        Date.now(),
        this.p,
        `c:${sub.devId}:${sub.userId}`,
        now,
        `${this.p}seen:${sub.devId}`,
        String(sub.userId),
      )
    ).then(Number);
  }

  private async underRedisLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const token = `${this.nodeId}:${crypto.randomUUID()}`;
    const deadline = Date.now() + LOCK_TTL_MS;
    let held = false;
    while (this.redis.status === "ready" && Date.now() < deadline) {
      try {
        held = await this.redis.set(key, token, "PX", LOCK_TTL_MS, "NX") === "OK";
      } catch {
        break;
      }
      if (held) break;
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
    if (!held) {
      // Redis unreachable: the queue is still handed out (one node at a time within this process).
      this.log.warn("cluster", `offline queue lock ${key} not taken (Redis unreachable)`);
    }
    try {
      return await fn();
    } finally {
      if (held) {
        this.redis.eval(
          "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
          1,
          key,
          token,
        ).catch(() => {});
      }
    }
  }

  /** Renews the registration; re-registers if it was lost; removes nodes that stopped. */
  private async beat(): Promise<void> {
    if (this.redis.status !== "ready") return;
    const now = Date.now();
    try {
      if (!this.joined) {
        // Redis was unreachable at start: the storage check comes first, now.
        const conflict = await this.storageConflict();
        if (conflict !== undefined) {
          if (!this.refused) this.log.critical("cluster", `not joining the cluster: ${conflict}`);
          this.refused = true;
          return;
        }
        this.joined = true;
      }
      const added = await this.redis.zadd(
        `${this.p}nodes`,
        now + this.settings.nodeTtlMs,
        this.nodeId,
      );
      if (!this.registered || added === 1) {
        if (this.registered) {
          this.log.warn("cluster", "this node's presence was lost (Redis restarted?): registering");
        }
        this.registerAll();
      }
      if (this.local !== undefined) {
        const ql = `${this.p}n:${this.nodeId}:ql`;
        await this.nodeList.publishAndRead(this.local, ql, this.settings.nodeTtlMs, now);
      }
      const dead = await this.redis.zrangebyscore(`${this.p}nodes`, "-inf", now - 1);
      for (const node of dead) {
        if (node !== this.nodeId && await this.redis.zrem(`${this.p}nodes`, node) === 1) {
          await this.reap(node);
        }
      }
    } catch (e) {
      this.writeFailed(e);
    }
  }

  /** Writes this node's whole state again (first connect, reconnect, lost registration). */
  private registerAll(): Promise<void> {
    return this.resyncing ??= this.writeAll().finally(() => this.resyncing = undefined);
  }

  private async writeAll(): Promise<void> {
    const local = this.local;
    if (local === undefined) return;
    const n = this.nodeId;
    this.registered = false; // changes meanwhile are in the snapshot taken below
    try {
      await this.removeNodeKeys(n);
      const batch = this.redis.pipeline();
      const keys = new Set<string>();
      let entries = 0;
      local.forEachSubscription((sub, pipe) => {
        const key = this.pipeKey(n, sub.devId, pipe);
        batch.hset(key, String(sub.id), detailsOf(sub));
        keys.add(key);
        entries++;
      });
      local.forEachConnection((sub) => {
        const user = `${this.p}n:${n}:c:${sub.devId}:${sub.userId}`;
        const tenant = `${this.p}n:${n}:t:${sub.devId}`;
        batch.sadd(user, String(sub.id));
        batch.sadd(tenant, String(sub.id));
        keys.add(user);
        keys.add(tenant);
        entries++;
      });
      if (keys.size > 0) batch.sadd(this.keysKey(n), ...keys);
      batch.zadd(`${this.p}nodes`, Date.now() + this.settings.nodeTtlMs, n);
      batch.hset(this.nodeList.key, n, this.nodeList.figuresOf(local, Date.now()));
      // Changes from now on are written after the snapshot, on the same connection.
      this.registered = true;
      this.entries = entries;
      await batch.exec();
      this.log.info("cluster", `presence registered: node ${n}, ${entries} entries`);
    } catch (e) {
      this.writeFailed(e);
    }
  }

  /** A node stopped: its users online nowhere else are lost, then its keys go. */
  private async reap(node: string): Promise<void> {
    const keys = await this.redis.smembers(this.keysKey(node));
    const now = Math.floor(Date.now() / 1000);
    const userKey = new RegExp(`^${escapeRegExp(this.p)}n:${node}:c:(\\d+):(\\d+)$`);
    const trackKey = new RegExp(`^${escapeRegExp(this.p)}n:${node}:p:(\\d+):(track_.*)$`);
    const lost = new Map<number, number[]>();
    for (const key of keys) {
      const t = trackKey.exec(key);
      if (t) {
        const entries = entriesOf(Object.values(await this.redis.hgetall(key)));
        if (entries.length > 0) this.events?.trackersLost(Number(t[1]), t[2], entries);
        continue;
      }
      const m = userKey.exec(key);
      if (!m || await this.redis.scard(key) === 0) continue;
      const [devId, userId] = [Number(m[1]), Number(m[2])];
      // The dead node is out of `nodes` already: this counts the live ones only.
      if (Number(await this.read("card", `c:${devId}:${userId}`)) > 0) continue;
      await this.redis.hset(`${this.p}seen:${devId}`, String(userId), now);
      lost.set(devId, [...(lost.get(devId) ?? []), userId]);
    }
    for (const [devId, userIds] of lost) this.events?.usersLost(devId, userIds, now);
    await this.removeNodeKeys(node);
    await this.redis.hdel(`${this.p}node-info`, node);
    await this.redis.hdel(this.nodeList.key, node);
    this.log.info("cluster", `node ${node} stopped renewing its presence: removed`);
  }

  private async removeNode(node: string): Promise<void> {
    await this.redis.zrem(`${this.p}nodes`, node);
    await this.redis.hdel(`${this.p}node-info`, node);
    await this.redis.hdel(this.nodeList.key, node);
    await this.removeNodeKeys(node);
  }

  private async removeNodeKeys(node: string): Promise<void> {
    const keys = await this.redis.smembers(this.keysKey(node));
    for (let i = 0; i < keys.length; i += 500) await this.redis.del(...keys.slice(i, i + 500));
    await this.redis.del(this.keysKey(node));
  }
}

/** The stored details of a subscriber; the last field orders `users_in_pipes` newest first. */
let sequence = 0;
function detailsOf(sub: PresenceConnection): string {
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
function entriesOf(details: string[]): PresenceEntry[] {
  const rows: { seq: number; entry: PresenceEntry }[] = [];
  for (const text of details) {
    const [userId, uuid, userAgent, ip, origin, language, seq] = JSON.parse(text);
    rows.push({ seq, entry: { userId, uuid, userAgent, ip, origin, language } });
  }
  rows.sort((a, b) => b.seq - a.seq);
  return rows.map((r) => r.entry);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
