/**
 * The admin HTTP port (`[admin] ip`, `port`; loopback by default, off when port = 0):
 * `GET /metrics` in Prometheus text format and `GET /health` for load balancers and systemd
 * watchdogs — both without authentication, for scrapers, which is why the port listens on
 * 127.0.0.1 unless told otherwise — and, behind the API key, the HTTP API under `/api/`
 * (http_api.ts) and the live dashboard at `/` (dashboard_page.ts).
 */
import type { ClientFiles } from "../client_files.ts";
import type { CometNode } from "../core/comet_node.ts";
import type { Logger } from "../log.ts";
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_SCRIPT } from "./dashboard_page.ts";
import { type DashboardSources, DashboardStats } from "./dashboard_stats.ts";
import { API_PREFIX, createHttpApi, type HttpApi } from "./http_api.ts";
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
  /** Where the dashboard's script (client/dist/dashboard.js) is read from. */
  clientFiles?: ClientFiles;
  /** The cluster's nodes for the dashboard (see DashboardSources); this node alone if absent. */
  clusterNodes?: DashboardSources["clusterNodes"];
}

export function startAdminListener(
  node: CometNode,
  log: Logger,
  context: AdminContext,
  address = node.config.admin,
): AdminListener {
  const dashboard = new DashboardStats(node, {
    storageUp: () => context.health().storage,
    clusterNodes: context.clusterNodes,
  });
  dashboard.start();
  const api = createHttpApi(node, {
    version: context.version,
    dashboard: () => dashboard.snapshot(),
  });
  const server = Deno.serve({
    hostname: address.ip,
    port: address.port,
    onListen: () => {},
    onError: (e) => {
      log.error("admin", `request failed: ${e}`);
      return new Response("internal error\n", { status: 500 });
    },
  }, (request) => answer(request, node, context, api));
  log.info(
    "admin",
    `dashboard, HTTP API (/api/), metrics and health on http://${address.ip}:${server.addr.port}/`,
  );
  return {
    port: server.addr.port,
    close: () => {
      dashboard.stop();
      return server.shutdown();
    },
  };
}

function answer(
  request: Request,
  node: CometNode,
  context: AdminContext,
  api: HttpApi,
): Response | Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path.startsWith(API_PREFIX)) return api(request, path);
  if (path === "/" || path === `/${DASHBOARD_SCRIPT}`) return dashboardFile(request, path, context);
  if (path !== "/metrics" && path !== "/health") {
    return new Response("not found: try /, /api/openapi.json, /metrics or /health\n", {
      status: 404,
    });
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

/**
 * The dashboard page and its script; public (they hold no data, `/api/dashboard` needs the key).
 */
function dashboardFile(request: Request, path: string, context: AdminContext): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const headers = {
    "cache-control": "no-store",
    "content-security-policy": DASHBOARD_CSP,
    "x-content-type-options": "nosniff",
  };
  if (path === "/") {
    return new Response(DASHBOARD_HTML, {
      headers: { ...headers, "content-type": "text/html; charset=utf-8" },
    });
  }
  const script = context.clientFiles?.clientScript(DASHBOARD_SCRIPT);
  if (script === undefined) {
    return new Response("dashboard not built: run `deno task build:client`\n", { status: 404 });
  }
  return new Response(script as Uint8Array<ArrayBuffer>, {
    headers: { ...headers, "content-type": "text/javascript; charset=utf-8" },
  });
}
