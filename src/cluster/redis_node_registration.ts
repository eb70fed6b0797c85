/**
 * A node's registration in Redis presence: it joins (once the storage check passes), renews its
 * registration with each heartbeat, writes its whole state again when Redis lost it (restart,
 * reconnect), removes nodes that stopped renewing theirs, and leaves cleanly on stop. Key names:
 * redis_presence_keys.ts.
 *
 * A killed node's users read as offline `nodeTtlMs` after its last heartbeat at the latest (the
 * scripts read only live nodes). A live node then removes the dead one's keys (one node wins
 * the ZREM) and reports its users that are online nowhere else as lost (the core announces them
 * offline).
 */
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import { type NodeIdentity, storageConflict } from "./node_identity.ts";
import type { LocalState, PresenceEvents } from "./presence.ts";
import { firstConnect, type RedisSettings } from "./redis_connection.ts";
import type { RedisNodeList } from "./redis_node_list.ts";
import {
  COMETQL_SUFFIX,
  detailsOf,
  entriesOf,
  pipeSuffix,
  type PresenceKeys,
  tenantSuffix,
  userSuffix,
} from "./redis_presence_keys.ts";

export interface RegistrationOptions {
  /** Presence's connection. */
  redis: Redis;
  keys: PresenceKeys;
  nodeId: string;
  nodeList: RedisNodeList;
  settings: RedisSettings;
  log: Logger;
  /** This node's host and storage, checked against the live nodes' (node_identity.ts). */
  identity?: NodeIdentity;
}

/** What the registration needs of the presence it registers. */
export interface RegistrationHooks {
  /** The user has connections on a live node (asked of a dead node's users). */
  isOnline(devId: number, userId: number): Promise<boolean>;
  /** A write failed: counted and logged, never thrown. */
  failed(e: unknown): void;
  /** This node's whole state was written again, `entries` entries. */
  rewrote(entries: number): void;
}

export class RedisNodeRegistration {
  private readonly redis: Redis;
  private readonly keys: PresenceKeys;
  private readonly nodeId: string;
  private readonly nodeList: RedisNodeList;
  private readonly settings: RedisSettings;
  private readonly log: Logger;
  private readonly identity: NodeIdentity | undefined;
  private local: LocalState | undefined;
  private events: PresenceEvents | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** The storage check passed: this node may register. */
  private joined = false;
  /** The storage check failed after start (logged once; the node stays out of the cluster). */
  private refused = false;
  /** True once a (re)registration wrote this node's whole state. */
  private registered = false;
  private resyncing: Promise<void> | undefined;

  constructor(options: RegistrationOptions, private readonly hooks: RegistrationHooks) {
    ({
      redis: this.redis,
      keys: this.keys,
      nodeId: this.nodeId,
      nodeList: this.nodeList,
      settings: this.settings,
      log: this.log,
      identity: this.identity,
    } = options);
    // Only once the storage check passed (at start, or at the first heartbeat that reaches Redis).
    this.redis.on("ready", () => {
      if (this.joined) this.registerAll();
    });
  }

  /**
   * Registers before the node serves, so its first connections count cluster-wide; throws when
   * the storage check refuses this node. Redis unreachable: registers once it is reachable.
   */
  async start(local: LocalState, events: PresenceEvents): Promise<void> {
    this.local = local;
    this.events = events;
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

  /** Stops the heartbeat and, Redis permitting, removes this node's keys at once. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.redis.status === "ready") {
      // A clean stop leaves nothing to expire: the users' last connections close with it.
      await this.removeNode(this.nodeId).catch(() => {});
    }
  }

  /** Why this node must not join the live ones (node_identity.ts), or undefined once it may. */
  private async storageConflict(): Promise<string | undefined> {
    if (this.identity === undefined) return undefined;
    const live = await this.redis.zrangebyscore(this.keys.nodes, Date.now(), "+inf");
    const infos = live.length === 0 ? [] : await this.redis.hmget(this.keys.nodeInfo, ...live);
    const others = infos.filter((i): i is string => i !== null).map((i) => JSON.parse(i));
    const conflict = storageConflict(this.identity, others);
    if (conflict !== undefined) return conflict;
    await this.redis.hset(this.keys.nodeInfo, this.nodeId, JSON.stringify(this.identity));
    return undefined;
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
        this.keys.nodes,
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
        const ql = this.keys.ofNode(this.nodeId, COMETQL_SUFFIX);
        await this.nodeList.publishAndRead(this.local, ql, this.settings.nodeTtlMs, now);
      }
      const dead = await this.redis.zrangebyscore(this.keys.nodes, "-inf", now - 1);
      for (const node of dead) {
        if (node !== this.nodeId && await this.redis.zrem(this.keys.nodes, node) === 1) {
          await this.reap(node);
        }
      }
    } catch (e) {
      this.hooks.failed(e);
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
        const key = this.keys.ofNode(n, pipeSuffix(sub.devId, pipe));
        batch.hset(key, String(sub.id), detailsOf(sub));
        keys.add(key);
        entries++;
      });
      local.forEachConnection((sub) => {
        const user = this.keys.ofNode(n, userSuffix(sub.devId, sub.userId));
        const tenant = this.keys.ofNode(n, tenantSuffix(sub.devId));
        batch.sadd(user, String(sub.id));
        batch.sadd(tenant, String(sub.id));
        keys.add(user);
        keys.add(tenant);
        entries++;
      });
      if (keys.size > 0) batch.sadd(this.keys.nodeKeys(n), ...keys);
      batch.zadd(this.keys.nodes, Date.now() + this.settings.nodeTtlMs, n);
      batch.hset(this.nodeList.key, n, this.nodeList.figuresOf(local, Date.now()));
      // Changes from now on are written after the snapshot, on the same connection.
      this.registered = true;
      this.hooks.rewrote(entries);
      await batch.exec();
      this.log.info("cluster", `presence registered: node ${n}, ${entries} entries`);
    } catch (e) {
      this.hooks.failed(e);
    }
  }

  /** A node stopped: its users online nowhere else are lost, then its keys go. */
  private async reap(node: string): Promise<void> {
    const keys = await this.redis.smembers(this.keys.nodeKeys(node));
    const now = Math.floor(Date.now() / 1000);
    const userKey = new RegExp(`^${escapeRegExp(this.keys.prefix)}n:${node}:c:(\\d+):(\\d+)$`);
    const trackKey = new RegExp(`^${escapeRegExp(this.keys.prefix)}n:${node}:p:(\\d+):(track_.*)$`);
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
      if (await this.hooks.isOnline(devId, userId)) continue;
      await this.redis.hset(this.keys.seen(devId), String(userId), now);
      lost.set(devId, [...(lost.get(devId) ?? []), userId]);
    }
    for (const [devId, userIds] of lost) this.events?.usersLost(devId, userIds, now);
    await this.forgetNode(node);
    this.log.info("cluster", `node ${node} stopped renewing its presence: removed`);
  }

  private async removeNode(node: string): Promise<void> {
    await this.redis.zrem(this.keys.nodes, node);
    await this.forgetNode(node);
  }

  /** Everything a node out of `nodes` left: its identity, its figures and its keys. */
  private async forgetNode(node: string): Promise<void> {
    await this.redis.hdel(this.keys.nodeInfo, node);
    await this.redis.hdel(this.nodeList.key, node);
    await this.removeNodeKeys(node);
  }

  private async removeNodeKeys(node: string): Promise<void> {
    const keys = await this.redis.smembers(this.keys.nodeKeys(node));
    for (let i = 0; i < keys.length; i += 500) await this.redis.del(...keys.slice(i, i + 500));
    await this.redis.del(this.keys.nodeKeys(node));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
