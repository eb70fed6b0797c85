/**
 * Presence on Redis: what changed on this node is written to this node's keys, and every
 * cluster-wide answer is one Lua script (redis_presence_scripts.ts) that reads only nodes whose
 * registration has not expired. The keys: redis_presence_keys.ts; joining, the heartbeat and
 * the removal of stopped nodes: redis_node_registration.ts.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import { redisFailed, redisUnreachable } from "./cluster_error.ts";
import { ClusterStats } from "./cluster_stats.ts";
import type { NodeIdentity } from "./node_identity.ts";
import type {
  LocalState,
  NodeSummary,
  Presence,
  PresenceConnection,
  PresenceEntry,
  PresenceEvents,
  PresenceSize,
} from "./presence.ts";
import { connectRedis, newNodeId, type RedisSettings } from "./redis_connection.ts";
import { RedisNodeList } from "./redis_node_list.ts";
import { RedisNodeRegistration } from "./redis_node_registration.ts";
import {
  COMETQL_SUFFIX,
  detailsOf,
  entriesOf,
  pipeSuffix,
  PresenceKeys,
  tenantSuffix,
  userSuffix,
} from "./redis_presence_keys.ts";
import { CONNECTION_SCRIPT, READ_SCRIPT } from "./redis_presence_scripts.ts";
import { UserLockChains } from "./user_lock_chains.ts";

/** Longest a node holds the offline-queue lock of a user (it is released when done). */
const LOCK_TTL_MS = 10_000;
const LOCK_RETRY_MS = 20;

export class RedisPresence implements Presence {
  readonly nodeId = newNodeId();
  private readonly redis: Redis;
  private readonly keys: PresenceKeys;
  private local: LocalState | undefined;
  private entries = 0;
  private lockChains = new UserLockChains();
  private readonly nodeList: RedisNodeList;
  private readonly registration: RedisNodeRegistration;

  constructor(
    settings: RedisSettings,
    private log: Logger,
    readonly stats = new ClusterStats(),
    identity?: NodeIdentity,
  ) {
    this.keys = new PresenceKeys(settings.prefix);
    this.redis = connectRedis(settings, `comet-presence-${this.nodeId}`, true);
    this.nodeList = new RedisNodeList(this.redis, settings.prefix, this.nodeId);
    this.redis.defineCommand("cometConnection", { numberOfKeys: 4, lua: CONNECTION_SCRIPT });
    this.redis.defineCommand("cometRead", { numberOfKeys: 1, lua: READ_SCRIPT });
    this.redis.on("error", (e: Error) => this.log.debug("cluster", `redis: ${e.message}`));
    const { redis, keys, nodeId, nodeList } = this;
    this.registration = new RedisNodeRegistration(
      { redis, keys, nodeId, nodeList, settings, log, identity },
      {
        isOnline: (devId, userId) => this.isOnline(devId, userId),
        failed: this.writeFailed,
        rewrote: (entries) => this.entries = entries,
      },
    );
  }

  async start(local: LocalState, events: PresenceEvents): Promise<void> {
    this.local = local;
    await this.registration.start(local, events);
  }

  async close(): Promise<void> {
    await this.registration.stop();
    if (this.redis.status === "ready") await this.redis.quit().catch(() => {});
    else this.redis.disconnect();
  }

  // ---- changes on this node ----

  subscribed(sub: PresenceConnection, pipe: string): void {
    this.entries++;
    if (this.redis.status !== "ready") return; // written with everything else on reconnect
    const key = this.keys.ofNode(this.nodeId, pipeSuffix(sub.devId, pipe));
    this.redis.hset(key, String(sub.id), detailsOf(sub)).catch(this.writeFailed);
    this.redis.sadd(this.keys.nodeKeys(this.nodeId), key).catch(this.writeFailed);
  }

  unsubscribed(sub: PresenceConnection, pipe: string): void {
    this.entries--;
    if (this.redis.status !== "ready") return;
    this.redis.hdel(this.keys.ofNode(this.nodeId, pipeSuffix(sub.devId, pipe)), String(sub.id))
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
    return Number(await this.read("count", pipeSuffix(devId, pipe)));
  }

  async subscribers(devId: number, pipe: string): Promise<PresenceEntry[]> {
    const flat = await this.read("list", pipeSuffix(devId, pipe)) as string[];
    return entriesOf(flat.filter((_, i) => i % 2 === 1));
  }

  async isOnline(devId: number, userId: number): Promise<boolean> {
    return Number(await this.read("card", userSuffix(devId, userId))) > 0;
  }

  async lastSeen(devId: number, userId: number): Promise<number | undefined> {
    const seen = await this.command(() => this.redis.hget(this.keys.seen(devId), String(userId)));
    return seen === null ? undefined : Number(seen);
  }

  async connectionCount(devId: number): Promise<number> {
    return Number(await this.read("card", tenantSuffix(devId)));
  }

  async cometqlConnections(): Promise<number> {
    const others = Number(await this.read("sum", COMETQL_SUFFIX));
    const mine = this.local?.cometqlConnections() ?? 0;
    return others + mine;
  }

  withUserLock<T>(devId: number, userId: number, fn: () => Promise<T>): Promise<T> {
    // One at a time within this process first, then across nodes.
    const lock = this.keys.lock(devId, userId);
    return this.lockChains.run(`${devId}:${userId}`, () => this.underRedisLock(lock, fn));
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

  /** Runs one Redis call, timed, with failures as ClusterUnavailableError. */
  private async command<T>(call: () => Promise<T>): Promise<T> {
    if (this.redis.status !== "ready") throw redisUnreachable();
    const started = performance.now();
    try {
      const result = await call();
      this.stats.observeRtt(performance.now() - started);
      return result;
    } catch (e) {
      this.stats.errors++;
      throw redisFailed(e);
    }
  }

  private read(op: "count" | "list" | "card" | "sum", suffix: string): Promise<unknown> {
    return this.command(() =>
      // deno-lint-ignore no-explicit-any
      (this.redis as any).cometRead(
        this.keys.nodes,
        op,
        Date.now(),
        this.keys.prefix,
        suffix,
        this.nodeId,
      )
    );
  }

  private changeConnections(sub: PresenceConnection, delta: 1 | -1, now: number): Promise<number> {
    const n = this.nodeId;
    const user = userSuffix(sub.devId, sub.userId);
    return this.command(() =>
      // deno-lint-ignore no-explicit-any
      (this.redis as any).cometConnection(
        this.keys.nodes,
        this.keys.ofNode(n, user),
        this.keys.ofNode(n, tenantSuffix(sub.devId)),
        this.keys.nodeKeys(n),
        n,
        String(sub.id),
        delta,
        Date.now(),
        this.keys.prefix,
        user,
        now,
        this.keys.seen(sub.devId),
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
}
