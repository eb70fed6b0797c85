/**
 * The cluster's node list on Redis, for the dashboard (issue 16): each node publishes its
 * figures into one hash (`<p>node-figures`, node id → a short JSON array) with its heartbeat
 * and reads every node's back in the same round trip, so `nodes()` answers from memory. A node
 * counts as long as its registration in `<p>nodes` has not expired; the expiry read with it
 * drops a dead node from the list on time even before any node removes its keys.
 */
import type { Redis } from "ioredis";
import type { LocalState, NodeSummary } from "./presence.ts";

export class RedisNodeList {
  /** The other live nodes as of the last heartbeat, each with its registration expiry (ms). */
  private others: { summary: NodeSummary; expires: number }[] = [];
  /** Live nodes (this one included) seen at the last heartbeat. */
  live = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly nodeId: string,
  ) {}

  /** The hash of every node's figures. */
  get key(): string {
    return `${this.prefix}node-figures`;
  }

  /** This node's figures as published (a short array: every node reads it each heartbeat). */
  figuresOf(local: LocalState, now: number): string {
    const f = local.nodeFigures();
    return JSON.stringify([f.name, f.connections, f.authorized, f.users, f.startedAt, now]);
  }

  /**
   * One round trip with the heartbeat: this node's CometQL count (`qlKey`, read by
   * `SHOW STATUS`) and figures out, the live nodes and their figures back.
   */
  async publishAndRead(local: LocalState, qlKey: string, ttlMs: number, now: number) {
    const replies = await this.redis.pipeline()
      .set(qlKey, local.cometqlConnections(), "PX", ttlMs)
      .hset(this.key, this.nodeId, this.figuresOf(local, now))
      .zrangebyscore(`${this.prefix}nodes`, now, "+inf", "WITHSCORES")
      .hgetall(this.key)
      .exec();
    const failed = replies?.find(([e]) => e !== null);
    if (replies === null || failed !== undefined) throw failed?.[0] ?? new Error("pipeline");
    const live = replies[2][1] as string[];
    const figures = replies[3][1] as Record<string, string>;
    const others: typeof this.others = [];
    for (let i = 0; i < live.length; i += 2) {
      const id = live[i];
      if (id === this.nodeId || figures[id] === undefined) continue;
      others.push({ summary: summaryOf(id, figures[id]), expires: Number(live[i + 1]) });
    }
    this.live = live.length / 2;
    this.others = others;
  }

  /** This node (current figures) and the others whose registration has not expired. */
  nodes(local: LocalState | undefined): NodeSummary[] {
    const now = Date.now();
    const list: NodeSummary[] = [];
    if (local !== undefined) {
      list.push({ ...local.nodeFigures(), id: this.nodeId, self: true, heartbeat: now });
    }
    for (const o of this.others) if (o.expires > now) list.push(o.summary);
    return list;
  }
}

/** Another node's published figures (see `figuresOf`). */
function summaryOf(id: string, json: string): NodeSummary {
  const [name, connections, authorized, users, startedAt, heartbeat] = JSON.parse(json);
  return { id, self: false, name, connections, authorized, users, startedAt, heartbeat };
}
