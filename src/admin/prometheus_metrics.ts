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
  out.family("comet_uptime_seconds", "gauge", "Seconds since the server started.")
    .sample("comet_uptime_seconds", s.uptimeSeconds());

  out.family("comet_ws_connections", "gauge", "Open browser (WebSocket) connections.")
    .sample("comet_ws_connections", s.wsOnline);
  out.family("comet_ws_connections_total", "counter", "Browser connections accepted.")
    .sample("comet_ws_connections_total", s.wsConnectsTotal);
  out.family("comet_ws_disconnections_total", "counter", "Browser connections closed.")
    .sample("comet_ws_disconnections_total", s.wsDisconnectsTotal);
  out.family("comet_ws_frames_received_total", "counter", "Frames received from browsers.")
    .sample("comet_ws_frames_received_total", s.wsFramesIn);
  out.family("comet_messages_sent_total", "counter", "Messages written to browser connections.")
    .sample("comet_messages_sent_total", s.wsMessagesOut);
  out.family(
    "comet_slow_consumer_drops_total",
    "counter",
    "Browser connections dropped because their unsent backlog exceeded [ws] max_backlog.",
  ).sample("comet_slow_consumer_drops_total", s.wsSlowConsumerDrops);

  out.family("comet_cometql_connections", "gauge", "Open CometQL (MySQL protocol) sessions.")
    .sample("comet_cometql_connections", s.qlOnline);
  out.family("comet_cometql_connections_total", "counter", "CometQL connections accepted.")
    .sample("comet_cometql_connections_total", s.qlConnectsTotal);
  out.family("comet_cometql_disconnections_total", "counter", "CometQL connections closed.")
    .sample("comet_cometql_disconnections_total", s.qlDisconnectsTotal);
  out.family("comet_cometql_queries_total", "counter", "CometQL statements, by statement type.");
  for (const [type, n] of [...s.qlQueriesByType].sort(([a], [b]) => a.localeCompare(b))) {
    out.sample("comet_cometql_queries_total", n, { type });
  }
  out.family("comet_cometql_errors_total", "counter", "CometQL statements answered with an error.")
    .sample("comet_cometql_errors_total", s.qlErrors);

  out.family(
    "comet_messages_published_total",
    "counter",
    "Messages entering the server, by source (cometql insert, web browser publish, private, " +
      "presence event).",
  );
  for (const [source, n] of Object.entries(s.published)) {
    out.sample("comet_messages_published_total", n, { source });
  }
  out.family(
    "comet_private_messages_queued_total",
    "counter",
    "Private messages stored for users with no live connection.",
  ).sample("comet_private_messages_queued_total", s.privateQueued);
  out.histogram(
    "comet_delivery_latency_seconds",
    "Time from publish to the write on a browser connection.",
    s.deliveryLatency,
  );

  out.family("comet_pipes", "gauge", "Pipes with at least one subscriber.")
    .sample("comet_pipes", node.pipes.pipeCount);
  out.family("comet_subscriptions", "gauge", "Pipe subscriptions of open connections.")
    .sample("comet_subscriptions", node.pipes.subscriptionCount);
  out.family("comet_users_online", "gauge", "Authenticated users with a connection here.")
    .sample("comet_users_online", node.users.onlineUsers);

  out.family("comet_storage_available", "gauge", "1 when the storage backend answers.")
    .sample("comet_storage_available", context.storageAvailable ? 1 : 0);
  out.histogram(
    "comet_storage_operation_duration_seconds",
    "Duration of storage operations (history, queue, auth, settings).",
    s.storageLatency,
  );
  out.family("comet_storage_errors_total", "counter", "Storage operations that failed.")
    .sample("comet_storage_errors_total", s.storageFailedOps);
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
