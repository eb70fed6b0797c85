/**
 * The node's counters in the Prometheus text exposition format (version 0.0.4), for `/metrics`.
 * Names follow Prometheus conventions: a `comet_` prefix, `_total` on counters, base units
 * (seconds) on histograms.
 */
import type { CometNode } from "../core/comet_node.ts";
import type { LatencyHistogram } from "../core/node_stats.ts";

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

  /** A family with one unlabelled sample: the common case. */
  single(name: string, type: "counter" | "gauge", help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
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

export function renderMetrics(node: CometNode, context: MetricsContext): string {
  const s = node.stats;
  const out = new Exposition();
  out.family("comet_build_info", "gauge", "Version and node name of this server (always 1).")
    .sample("comet_build_info", 1, { version: context.version, node: node.config.main.nodeName });
  out.single(
    "comet_uptime_seconds",
    "gauge",
    "Seconds since the server started.",
    s.uptimeSeconds(),
  );

  out.single("comet_ws_connections", "gauge", "Open browser (WebSocket) connections.", s.wsOnline);
  out.single(
    "comet_ws_connections_total",
    "counter",
    "Browser connections accepted.",
    s.wsConnectsTotal,
  );
  out.single(
    "comet_ws_disconnections_total",
    "counter",
    "Browser connections closed.",
    s.wsDisconnectsTotal,
  );
  out.single(
    "comet_ws_frames_received_total",
    "counter",
    "Frames received from browsers.",
    s.wsFramesIn,
  );
  out.single(
    "comet_messages_sent_total",
    "counter",
    "Messages written to browser connections.",
    s.wsMessagesOut,
  );
  out.single(
    "comet_slow_consumer_drops_total",
    "counter",
    "Browser connections dropped because their unsent backlog exceeded [ws] max_backlog.",
    s.wsSlowConsumerDrops,
  );
  out.single(
    "comet_ws_pending_bytes",
    "gauge",
    "Unsent bytes of all browser connections (as of their last write), against " +
      "[limits] ws_pending_total_max.",
    s.wsPendingBytes,
  );
  out.single(
    "comet_ws_budget_drops_total",
    "counter",
    "Browser connections dropped, largest backlog first, to keep all unsent bytes under " +
      "[limits] ws_pending_total_max.",
    s.wsBudgetDrops,
  );
  out.single(
    "comet_ws_refused_connections_total",
    "counter",
    "Browser connections refused at accept by [limits] ws_max_connections(_per_ip).",
    s.wsRefusedConnections,
  );
  out.single(
    "comet_ws_timeouts_total",
    "counter",
    "Browser connections dropped by a [limits] timeout (handshake, unfinished message, idle).",
    s.wsTimeouts,
  );

  out.single(
    "comet_cometql_connections",
    "gauge",
    "Open CometQL (MySQL protocol) sessions.",
    s.qlOnline,
  );
  out.single(
    "comet_cometql_connections_total",
    "counter",
    "CometQL connections accepted.",
    s.qlConnectsTotal,
  );
  out.single(
    "comet_cometql_disconnections_total",
    "counter",
    "CometQL connections closed.",
    s.qlDisconnectsTotal,
  );
  out.family("comet_cometql_queries_total", "counter", "CometQL statements, by statement type.");
  for (const [type, n] of [...s.qlQueriesByType].sort(([a], [b]) => a.localeCompare(b))) {
    out.sample("comet_cometql_queries_total", n, { type });
  }
  out.family(
    "comet_cometql_prepared_commands_total",
    "counter",
    "COM_STMT_PREPARE and COM_STMT_EXECUTE packets handled (server-side prepared statements).",
  );
  out.sample("comet_cometql_prepared_commands_total", s.qlStmtPrepares, { command: "prepare" });
  out.sample("comet_cometql_prepared_commands_total", s.qlStmtExecutes, { command: "execute" });
  out.single(
    "comet_cometql_errors_total",
    "counter",
    "CometQL statements answered with an error.",
    s.qlErrors,
  );

  out.family(
    "comet_messages_published_total",
    "counter",
    "Messages entering the server, by source (cometql insert, web browser publish, private, " +
      "presence event).",
  );
  for (const [source, n] of Object.entries(s.published)) {
    out.sample("comet_messages_published_total", n, { source });
  }
  out.single(
    "comet_private_messages_queued_total",
    "counter",
    "Private messages stored for users with no live connection.",
    s.privateQueued,
  );
  out.histogram(
    "comet_delivery_latency_seconds",
    "Time from publish to the write on a browser connection.",
    s.deliveryLatency,
  );

  out.single("comet_pipes", "gauge", "Pipes with at least one subscriber.", node.pipes.pipeCount);
  out.single(
    "comet_subscriptions",
    "gauge",
    "Pipe subscriptions of open connections.",
    node.pipes.subscriptionCount,
  );
  const window = node.window.stats();
  out.single(
    "comet_recovery_window_messages",
    "gauge",
    "Messages kept in the recovery windows of all pipes.",
    window.messages,
  );
  out.single(
    "comet_recovery_window_bytes",
    "gauge",
    "Estimated bytes the recovery windows hold ([recovery] max_bytes bounds it).",
    window.bytes,
  );
  out.single(
    "comet_recovery_streams",
    "gauge",
    "Pipes whose stream position is tracked ([recovery] max_pipes bounds it).",
    window.pipes,
  );
  out.family(
    "comet_resumed_pipes_total",
    "counter",
    "Pipes subscribed by the resume command, by outcome.",
  );
  for (const [outcome, n] of Object.entries(node.stats.resumed)) {
    out.sample("comet_resumed_pipes_total", n, { outcome });
  }
  out.single(
    "comet_users_online",
    "gauge",
    "Authenticated users with a connection here.",
    node.users.onlineUsers,
  );

  const cluster = node.clusterStats;
  const presence = node.presence.size();
  out.single(
    "comet_cluster_published_total",
    "counter",
    "Messages this node published to the other nodes (one per publish, whatever the subscribers).",
    cluster.published,
  );
  out.single(
    "comet_cluster_received_total",
    "counter",
    "Messages received from the other nodes.",
    cluster.received,
  );
  out.single(
    "comet_cluster_errors_total",
    "counter",
    "Broker and presence operations that failed (Redis unreachable, timeouts).",
    cluster.errors,
  );
  out.single(
    "comet_cluster_disconnects_total",
    "counter",
    "Times the link to Redis was lost.",
    cluster.disconnects,
  );
  out.single(
    "comet_cluster_available",
    "gauge",
    "1 when the other nodes can be reached (always 1 without [redis]).",
    node.broker.isAvailable() ? 1 : 0,
  );
  out.histogram(
    "comet_redis_round_trip_seconds",
    "Round trips to Redis: publishes, subscribes and presence questions.",
    cluster.rtt,
  );
  out.single(
    "comet_presence_entries",
    "gauge",
    "Subscriptions and connections this node has registered in the cluster presence.",
    presence.entries,
  );
  out.single(
    "comet_cluster_nodes",
    "gauge",
    "Live nodes seen at the last presence heartbeat (1 without [redis]).",
    presence.nodes,
  );

  out.single(
    "comet_storage_available",
    "gauge",
    "1 when the storage backend answers.",
    context.storageAvailable ? 1 : 0,
  );
  out.histogram(
    "comet_storage_operation_duration_seconds",
    "Duration of storage operations (history, queue, auth, settings).",
    s.storageLatency,
  );
  out.single(
    "comet_storage_errors_total",
    "counter",
    "Storage operations that failed.",
    s.storageFailedOps,
  );

  const memory = Deno.memoryUsage();
  out.single(
    "process_resident_memory_bytes",
    "gauge",
    "Resident memory of the server process.",
    memory.rss,
  );
  out.single(
    "comet_js_heap_used_bytes",
    "gauge",
    "JavaScript heap in use (live objects and not yet collected garbage).",
    memory.heapUsed,
  );
  out.single(
    "comet_js_heap_total_bytes",
    "gauge",
    "JavaScript heap reserved by the engine.",
    memory.heapTotal,
  );
  out.single(
    "comet_js_external_bytes",
    "gauge",
    "Memory outside the JavaScript heap owned by JavaScript objects (buffers).",
    memory.external,
  );
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
