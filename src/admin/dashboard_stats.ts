/**
 * What the dashboard shows, sampled on the server: a one-second sampler keeps the last minutes of
 * messages in/out per second (so a page opened now shows history at once) and rotates the
 * per-pipe message windows; `snapshot()` adds the live gauges. All of this node's tenants.
 */
import type { Presence } from "../cluster/presence.ts";
import type { CometNode } from "../core/comet_node.ts";
import { PipeTraffic } from "../core/pipe_traffic.ts";
import type { ClusterNodeSummary, DashboardSnapshot, RateSample } from "./dashboard_snapshot.ts";

export type { DashboardSnapshot } from "./dashboard_snapshot.ts";

/** Seconds of per-second samples kept: the chart's "last minutes". */
export const RATE_SAMPLES = 300;
/** Rows of each "busiest pipes" list. */
const TOP = 10;

export interface DashboardSources {
  storageUp(): boolean;
  /**
   * Every node of the cluster, `self` (this node, as the snapshot counts it) among them.
   * Absent without `[redis]`: this node alone. With it, `presenceNodes` (the other nodes'
   * figures as of their last heartbeat).
   */
  clusterNodes?(self: ClusterNodeSummary): ClusterNodeSummary[];
}

export class DashboardStats {
  private readonly traffic = new PipeTraffic();
  private readonly rates: RateSample[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: { time: number; in: number; out: number } | undefined;

  constructor(private readonly node: CometNode, private readonly sources: DashboardSources) {}

  /** Starts sampling and per-pipe counting in the fan-out. */
  start(): void {
    this.node.pipes.traffic = this.traffic;
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.node.pipes.traffic === this.traffic) this.node.pipes.traffic = undefined;
  }

  private messagesIn(): number {
    return this.node.stats.messagesPublished;
  }

  private sample(): void {
    const now = Date.now();
    const current = { time: now, in: this.messagesIn(), out: this.node.stats.wsMessagesOut };
    if (this.last !== undefined) {
      const seconds = Math.max(0.001, (now - this.last.time) / 1000);
      this.rates.push({
        time: now,
        in: (current.in - this.last.in) / seconds,
        out: (current.out - this.last.out) / seconds,
      });
      if (this.rates.length > RATE_SAMPLES) this.rates.shift();
      this.traffic.rotate();
    }
    this.last = current;
  }

  snapshot(): DashboardSnapshot {
    const { node } = this;
    const s = node.stats;
    const self: ClusterNodeSummary = {
      id: "local",
      name: node.config.main.nodeName,
      self: true,
      connections: s.wsOnline,
      authorized: node.users.connectionTotal,
      users: node.users.onlineUsers,
      uptime: s.uptimeSeconds(),
      heartbeat: Date.now(),
    };
    return {
      node: node.config.main.nodeName,
      time: Date.now(),
      uptime: s.uptimeSeconds(),
      connections: s.wsOnline,
      authorized: node.users.connectionTotal,
      users: node.users.onlineUsers,
      cometqlConnections: s.qlOnline,
      pipes: node.pipes.pipeCount,
      subscriptions: node.pipes.subscriptionCount,
      messagesIn: this.messagesIn(),
      messagesOut: s.wsMessagesOut,
      slowConsumerDrops: s.wsSlowConsumerDrops,
      rates: [...this.rates],
      topBySubscribers: busiestBySubscribers(node),
      topByMessages: this.traffic.busiest(TOP),
      storage: {
        driver: node.storage.description,
        up: this.sources.storageUp(),
        pendingHistoryWrites: node.history.pendingWrites,
        errors: s.storageFailedOps,
      },
      nodes: this.sources.clusterNodes?.(self) ?? [self],
    };
  }
}

/**
 * The cluster's live nodes from presence (read from memory: no Redis call per request), this
 * node's row being the snapshot's own figures with the presence id.
 */
export function presenceNodes(presence: Presence): NonNullable<DashboardSources["clusterNodes"]> {
  return (self) =>
    presence.nodes().map((n) =>
      n.self ? { ...self, id: n.id } : {
        id: n.id,
        name: n.name,
        self: false,
        connections: n.connections,
        authorized: n.authorized,
        users: n.users,
        uptime: Math.max(0, Math.floor((n.heartbeat - n.startedAt) / 1000)),
        heartbeat: n.heartbeat,
      }
    );
}

/** The TOP pipes by subscribers: one pass over the registry, a short sorted list. */
function busiestBySubscribers(node: CometNode): DashboardSnapshot["topBySubscribers"] {
  const top: DashboardSnapshot["topBySubscribers"] = [];
  for (const p of node.pipes.subscriberCounts()) {
    if (top.length === TOP && p.subscribers <= top[TOP - 1].subscribers) continue;
    let i = top.length;
    while (i > 0 && top[i - 1].subscribers < p.subscribers) i--;
    top.splice(i, 0, p);
    if (top.length > TOP) top.pop();
  }
  return top;
}
