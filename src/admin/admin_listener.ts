/**
 * The admin HTTP port (`[admin] ip`, `port`; loopback by default, off when port = 0):
 * `GET /metrics` in Prometheus text format and `GET /health` for load balancers and systemd
 * watchdogs. It has no authentication, which is why it listens on 127.0.0.1 unless told otherwise.
 */
import type { CometNode } from "../core/comet_node.ts";
import type { Logger } from "../log.ts";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from "./prometheus_metrics.ts";

export interface AdminListener {
  /** The bound port (useful when the config asked for an ephemeral one in tests). */
  port: number;
  close(): Promise<void>;
}

export interface HealthStatus {
  /** Both client-facing listeners accept connections (false while shutting down). */
  listeners: boolean;
  storage: boolean;
}

export interface AdminContext {
  version: string;
  health(): HealthStatus;
  /** This process's index among `[main] workers`; undefined for a single process. */
  worker?: number;
}

export function startAdminListener(
  node: CometNode,
  log: Logger,
  context: AdminContext,
  address = node.config.admin,
): AdminListener {
  const server = Deno.serve({
    hostname: address.ip,
    port: address.port,
    onListen: () => {},
    onError: (e) => {
      log.error("admin", `request failed: ${e}`);
      return new Response("internal error\n", { status: 500 });
    },
  }, (request) => answer(request, node, context));
  log.info("admin", `metrics and health on http://${address.ip}:${server.addr.port}/`);
  return { port: server.addr.port, close: () => server.shutdown() };
}

function answer(request: Request, node: CometNode, context: AdminContext): Response {
  const path = new URL(request.url).pathname;
  if (path !== "/metrics" && path !== "/health") {
    return new Response("not found: try /metrics or /health\n", { status: 404 });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const noStore = { "cache-control": "no-store" };
  const health = context.health();
  if (path === "/metrics") {
    return new Response(
      renderMetrics(node, { version: context.version, storageAvailable: health.storage }),
      { headers: { ...noStore, "content-type": PROMETHEUS_CONTENT_TYPE } },
    );
  }
  const up = health.listeners && health.storage;
  const body = {
    status: up ? "ok" : "unavailable",
    listeners: health.listeners,
    storage: health.storage,
    node: node.config.main.nodeName,
    version: context.version,
    uptime: node.stats.uptimeSeconds(),
    // Which process answered: each worker has its own admin port (workers_config.ts).
    pid: Deno.pid,
    worker: context.worker ?? null,
  };
  return Response.json(body, { status: up ? 200 : 503, headers: noStore });
}
