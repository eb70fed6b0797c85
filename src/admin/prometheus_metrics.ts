/**
 * The node's counters in the Prometheus text exposition format (version 0.0.4), for `/metrics`.
 * Names follow Prometheus conventions: a `comet_` prefix, `_total` on counters, base units
 * (seconds) on histograms.
 *
 * Every metric is one entry of `METRICS`: its name, type, help text and how to read it from a
 * `Scrape` (the figures taken once per request). Adding a metric is adding an entry; the output
 * lists them in the table's order.
 */
import type { CometNode } from "../core/comet_node.ts";
import type { LatencyHistogram, NodeStats } from "../core/node_stats.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;

/** Collects families in order; each family gets one HELP and one TYPE line. */
class Exposition {
  private lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Labels = {}): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** A histogram kept in milliseconds, exposed in seconds with cumulative buckets. */
  histogram(name: string, help: string, h: LatencyHistogram): this {
    this.family(name, "histogram", help);
    let cumulative = 0;
    h.boundsMs.forEach((boundMs, i) => {
      cumulative += h.counts[i];
      this.sample(`${name}_bucket`, cumulative, { le: formatValue(boundMs / 1000) });
    });
    this.sample(`${name}_bucket`, h.count, { le: "+Inf" });
    this.sample(`${name}_sum`, h.sumMs / 1000);
    return this.sample(`${name}_count`, h.count);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

export interface MetricsContext {
  version: string;
  /** Whether the storage backend answers (`Storage.isAvailable()`). */
  storageAvailable: boolean;
}

/** What the metric definitions read, taken once per scrape. */
export interface Scrape {
  readonly node: CometNode;
  readonly stats: NodeStats;
  readonly context: MetricsContext;
  readonly memory: Deno.MemoryUsage;
  readonly window: ReturnType<CometNode["window"]["stats"]>;
  readonly cluster: CometNode["clusterStats"];
  readonly presence: ReturnType<CometNode["presence"]["size"]>;
}

/** One metric family: a single unlabelled value, labelled samples, or a latency histogram. */
export type MetricDefinition =
  & { readonly name: string; readonly help: string }
  & (
    | { readonly type: "counter" | "gauge"; readonly value: (m: Scrape) => number }
    | {
      readonly type: "counter" | "gauge";
      readonly samples: (m: Scrape) => Iterable<readonly [Labels, number]>;
    }
    | { readonly type: "histogram"; readonly histogram: (m: Scrape) => LatencyHistogram }
  );

export const METRICS: readonly MetricDefinition[] = [
  {
    name: "comet_build_info",
    type: "gauge",
    help: "Version and node name of this server (always 1).",
    samples: (m) => [[{ version: m.context.version, node: m.node.config.main.nodeName }, 1]],
  },
  {
    name: "comet_uptime_seconds",
    type: "gauge",
    help: "Seconds since the server started.",
    value: (m) => m.stats.uptimeSeconds(),
  },
  {
    name: "comet_ws_connections",
    type: "gauge",
    help: "Open browser (WebSocket) connections.",
    value: (m) => m.stats.wsOnline,
  },
  {
    name: "comet_ws_connections_total",
    type: "counter",
    help: "Browser connections accepted.",
    value: (m) => m.stats.wsConnectsTotal,
  },
  {
    name: "comet_ws_disconnections_total",
    type: "counter",
    help: "Browser connections closed.",
    value: (m) => m.stats.wsDisconnectsTotal,
  },
  {
    name: "comet_ws_frames_received_total",
    type: "counter",
    help: "Frames received from browsers.",
    value: (m) => m.stats.wsFramesIn,
  },
  {
    name: "comet_messages_sent_total",
    type: "counter",
    help: "Messages written to browser connections.",
    value: (m) => m.stats.wsMessagesOut,
  },
  {
    name: "comet_slow_consumer_drops_total",
    type: "counter",
    help: "Browser connections dropped because their unsent backlog exceeded [ws] max_backlog.",
    value: (m) => m.stats.wsSlowConsumerDrops,
  },
  {
    name: "comet_ws_pending_bytes",
    type: "gauge",
    help: "Unsent bytes of all browser connections (as of their last write), against " +
      "[limits] ws_pending_total_max.",
    value: (m) => m.stats.wsPendingBytes,
  },
  {
    name: "comet_ws_budget_drops_total",
    type: "counter",
    help: "Browser connections dropped, largest backlog first, to keep all unsent bytes under " +
      "[limits] ws_pending_total_max.",
    value: (m) => m.stats.wsBudgetDrops,
  },
  {
    name: "comet_ws_refused_connections_total",
    type: "counter",
    help: "Browser connections refused at accept by [limits] ws_max_connections(_per_ip).",
    value: (m) => m.stats.wsRefusedConnections,
  },
  {
    name: "comet_ws_timeouts_total",
    type: "counter",
    help:
      "Browser connections dropped by a [limits] timeout (handshake, unfinished message, idle).",
    value: (m) => m.stats.wsTimeouts,
  },
  {
    name: "comet_cometql_connections",
    type: "gauge",
    help: "Open CometQL (MySQL protocol) sessions.",
    value: (m) => m.stats.qlOnline,
  },
  {
    name: "comet_cometql_connections_total",
    type: "counter",
    help: "CometQL connections accepted.",
    value: (m) => m.stats.qlConnectsTotal,
  },
  {
    name: "comet_cometql_disconnections_total",
    type: "counter",
    help: "CometQL connections closed.",
    value: (m) => m.stats.qlDisconnectsTotal,
  },
  {
    name: "comet_cometql_queries_total",
    type: "counter",
    help: "CometQL statements, by statement type.",
    samples: (m) =>
      [...m.stats.qlQueriesByType].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => [
        { type },
        n,
      ]),
  },
  {
    name: "comet_cometql_prepared_commands_total",
    type: "counter",
    help:
      "COM_STMT_PREPARE and COM_STMT_EXECUTE packets handled (server-side prepared statements).",
    samples: (m) => [
      [{ command: "prepare" }, m.stats.qlStmtPrepares],
      [{ command: "execute" }, m.stats.qlStmtExecutes],
    ],
  },
  {
    name: "comet_cometql_errors_total",
    type: "counter",
    help: "CometQL statements answered with an error.",
    value: (m) => m.stats.qlErrors,
  },
  {
    name: "comet_messages_published_total",
    type: "counter",
    help:
      "Messages entering the server, by source (cometql insert, web browser publish, private, " +
      "presence event).",
    samples: (m) => Object.entries(m.stats.published).map(([source, n]) => [{ source }, n]),
  },
  {
    name: "comet_private_messages_queued_total",
    type: "counter",
    help: "Private messages stored for users with no live connection.",
    value: (m) => m.stats.privateQueued,
  },
  {
    name: "comet_delivery_latency_seconds",
    type: "histogram",
    help: "Time from publish to the write on a browser connection.",
    histogram: (m) => m.stats.deliveryLatency,
  },
  {
    name: "comet_pipes",
    type: "gauge",
    help: "Pipes with at least one subscriber.",
    value: (m) => m.node.pipes.pipeCount,
  },
  {
    name: "comet_subscriptions",
    type: "gauge",
    help: "Pipe subscriptions of open connections.",
    value: (m) => m.node.pipes.subscriptionCount,
  },
  {
    name: "comet_recovery_window_messages",
    type: "gauge",
    help: "Messages kept in the recovery windows of all pipes.",
    value: (m) => m.window.messages,
  },
  {
    name: "comet_recovery_window_bytes",
    type: "gauge",
    help: "Estimated bytes the recovery windows hold ([recovery] max_bytes bounds it).",
    value: (m) => m.window.bytes,
  },
  {
    name: "comet_recovery_streams",
    type: "gauge",
    help: "Pipes whose stream position is tracked ([recovery] max_pipes bounds it).",
    value: (m) => m.window.pipes,
  },
  {
    name: "comet_resumed_pipes_total",
    type: "counter",
    help: "Pipes subscribed by the resume command, by outcome.",
    samples: (m) => Object.entries(m.stats.resumed).map(([outcome, n]) => [{ outcome }, n]),
  },
  {
    name: "comet_users_online",
    type: "gauge",
    help: "Authenticated users with a connection here.",
    value: (m) => m.node.users.onlineUsers,
  },
  {
    name: "comet_cluster_published_total",
    type: "counter",
    help:
      "Messages this node published to the other nodes (one per publish, whatever the subscribers).",
    value: (m) => m.cluster.published,
  },
  {
    name: "comet_cluster_received_total",
    type: "counter",
    help: "Messages received from the other nodes.",
    value: (m) => m.cluster.received,
  },
  {
    name: "comet_cluster_errors_total",
    type: "counter",
    help: "Broker and presence operations that failed (Redis unreachable, timeouts).",
    value: (m) => m.cluster.errors,
  },
  {
    name: "comet_cluster_disconnects_total",
    type: "counter",
    help: "Times the link to Redis was lost.",
    value: (m) => m.cluster.disconnects,
  },
  {
    name: "comet_cluster_available",
    type: "gauge",
    help: "1 when the other nodes can be reached (always 1 without [redis]).",
    value: (m) => m.node.broker.isAvailable() ? 1 : 0,
  },
  {
    name: "comet_redis_round_trip_seconds",
    type: "histogram",
    help: "Round trips to Redis: publishes, subscribes and presence questions.",
    histogram: (m) => m.cluster.rtt,
  },
  {
    name: "comet_presence_entries",
    type: "gauge",
    help: "Subscriptions and connections this node has registered in the cluster presence.",
    value: (m) => m.presence.entries,
  },
  {
    name: "comet_cluster_nodes",
    type: "gauge",
    help: "Live nodes seen at the last presence heartbeat (1 without [redis]).",
    value: (m) => m.presence.nodes,
  },
  {
    name: "comet_storage_available",
    type: "gauge",
    help: "1 when the storage backend answers.",
    value: (m) => m.context.storageAvailable ? 1 : 0,
  },
  {
    name: "comet_storage_operation_duration_seconds",
    type: "histogram",
    help: "Duration of storage operations (history, queue, auth, settings).",
    histogram: (m) => m.stats.storageLatency,
  },
  {
    name: "comet_storage_errors_total",
    type: "counter",
    help: "Storage operations that failed.",
    value: (m) => m.stats.storageFailedOps,
  },
  {
    name: "process_resident_memory_bytes",
    type: "gauge",
    help: "Resident memory of the server process.",
    value: (m) => m.memory.rss,
  },
  {
    name: "comet_js_heap_used_bytes",
    type: "gauge",
    help: "JavaScript heap in use (live objects and not yet collected garbage).",
    value: (m) => m.memory.heapUsed,
  },
  {
    name: "comet_js_heap_total_bytes",
    type: "gauge",
    help: "JavaScript heap reserved by the engine.",
    value: (m) => m.memory.heapTotal,
  },
  {
    name: "comet_js_external_bytes",
    type: "gauge",
    help: "Memory outside the JavaScript heap owned by JavaScript objects (buffers).",
    value: (m) => m.memory.external,
  },
];

export function renderMetrics(node: CometNode, context: MetricsContext): string {
  const scrape: Scrape = {
    node,
    stats: node.stats,
    context,
    memory: Deno.memoryUsage(),
    window: node.window.stats(),
    cluster: node.clusterStats,
    presence: node.presence.size(),
  };
  const out = new Exposition();
  for (const metric of METRICS) {
    if ("histogram" in metric) {
      out.histogram(metric.name, metric.help, metric.histogram(scrape));
      continue;
    }
    out.family(metric.name, metric.type, metric.help);
    if ("value" in metric) out.sample(metric.name, metric.value(scrape));
    else for (const [labels, n] of metric.samples(scrape)) out.sample(metric.name, n, labels);
  }
  return out.text();
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}
