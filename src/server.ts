/**
 * Starts and stops everything one comet node runs: storage, the core, the WebSocket/HTTP port,
 * the CometQL port and the admin HTTP port. main.ts and the tests both use it.
 */
import { type AdminListener, startAdminListener } from "./admin/admin_listener.ts";
import { presenceNodes } from "./admin/dashboard_stats.ts";
import { measureStorage } from "./admin/measured_storage.ts";
import { loadClientFiles } from "./client_files.ts";
import { applyReloadable, configChanges } from "./config/config_changes.ts";
import type { Config } from "./config/config.ts";
import { startCometqlListener } from "./cometql/cometql_listener.ts";
import { CometNode } from "./core/comet_node.ts";
import type { Logger } from "./log.ts";
import { resolve } from "node:path";
import { openStorage } from "./storage/open_storage.ts";
import { openCluster } from "./cluster/open_cluster.ts";
import type { NodeIdentity } from "./cluster/node_identity.ts";
import { startWsListener } from "./ws/ws_listener.ts";

export interface RunningServer {
  node: CometNode;
  wsPort: number;
  qlPort: number;
  /** The admin (metrics/health) port, 0 when `[admin] port = 0` turned it off. */
  adminPort: number;
  /** Applies what can change at run time from a re-read config (SIGHUP); logs what it did. */
  reload(next: Config): void;
  /** Stops accepting, flushes storage writes, closes connections (clients reconnect). */
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Reported by `/metrics` and `/health`. */
  version?: string;
  /**
   * Index of this worker among `[main] workers` (0-based); worker i serves the admin port
   * `[admin] port + i` (workers_config.ts). Undefined for a single process.
   */
  worker?: number;
}

type Listener = { port: number; close(): Promise<void> };

/** How often retention limits (queue age) are applied. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** No password, and those of the original's docs and shipped comet.ini: anyone can try them. */
const WELL_KNOWN_PASSWORDS = new Set(["", "password", "CometQLPassword"]);

export async function startServer(
  config: Config,
  log: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const driver = await openStorage(config, (level, msg) => log[level]("storage", msg));
  // Every storage call is timed for /metrics; `node` exists before the first call completes.
  const storage = measureStorage(driver, (ms, failed) => node.stats.observeStorage(ms, failed));
  const cluster = openCluster(config.redis, await nodeIdentity(config), log, config.recovery);
  const node: CometNode = new CometNode(config, storage, log, cluster);
  let ws: Listener | undefined;
  let ql: Listener | undefined;
  let admin: AdminListener | undefined;
  let serving = false;
  try {
    await node.start();
    const clientFiles = loadClientFiles();
    if (!clientFiles.dir) {
      log.warn("main", "client library not built (run `deno task build:client`); not served");
    }
    ws = await startWsListener(node, log, clientFiles);
    ql = await startCometqlListener(node, log);
    if (config.admin.port !== 0) {
      admin = startAdminListener(node, log, {
        version: options.version ?? "dev",
        health: () => ({ listeners: serving, storage: storage.isAvailable() }),
        clientFiles,
        worker: options.worker,
        // Without [redis] the dashboard lists this node alone, as before.
        clusterNodes: config.redis === undefined ? undefined : presenceNodes(node.presence),
      }, { ...config.admin, port: config.admin.port + (options.worker ?? 0) });
    }
  } catch (e) {
    // A port already in use: release what did start so the caller can report and exit.
    await Promise.allSettled([ws?.close(), ql?.close(), admin?.close(), node.close()]);
    await storage.close();
    throw e;
  }
  warnAboutExposure(config, log, ql.port);
  const purge = setInterval(() => {
    storage.purgeExpired(Math.floor(Date.now() / 1000)).catch((e) =>
      log.warn("storage", `retention purge failed: ${e}`)
    );
  }, PURGE_INTERVAL_MS);
  serving = true;

  const [wsListener, qlListener] = [ws, ql];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      serving = false; // /health answers 503 from now on, so balancers stop sending clients
      clearInterval(purge);
      // Listeners first: no new publishes, and clients are dropped so they reconnect to another
      // node; only then is every acknowledged history write flushed.
      await Promise.allSettled([wsListener.close(), qlListener.close()]);
      // Stops the core's background retries and writes every pending history entry.
      await node.close().catch((e) => log.error("storage", `final history flush failed: ${e}`));
      await storage.close().catch((e) => log.error("storage", `close failed: ${e}`));
      await admin?.close();
    })();
  return {
    node,
    wsPort: ws.port,
    qlPort: ql.port,
    adminPort: admin?.port ?? 0,
    reload: (next) => reload(node, log, next, qlListener.port),
    stop,
  };
}

function reload(node: CometNode, log: Logger, next: Config, qlPort: number): void {
  for (const w of next.warnings) log.warn("config", w);
  const { applied, needRestart } = configChanges(node.config, next);
  applyReloadable(node.config, next);
  log.setLevels(next.log.level, next.log.tags);
  // JWT secrets are derived from the password and cached per tenant (docs/protocol/websocket.md
  // §5).
  if (applied.includes("main.password")) node.auth.resetSecrets();
  log.info(
    "config",
    `reloaded ${next.path}: ${applied.length ? `applied ${applied.join(", ")}` : "no changes"}`,
  );
  if (needRestart.length > 0) {
    log.warn("config", `changed but applied only after a restart: ${needRestart.join(", ")}`);
  }
  warnAboutExposure(node.config, log, qlPort);
}

/** Host and storage of this node, for the cluster's storage check (cluster/node_identity.ts). */
async function nodeIdentity(config: Config): Promise<NodeIdentity> {
  const { db } = config;
  if (db.host !== "") {
    return { host: Deno.hostname(), storage: `mysql://${db.host}:${db.port}/${db.name}` };
  }
  const path = await Deno.realPath(db.file).catch(() => resolve(db.file));
  return { host: Deno.hostname(), storage: `sqlite:${path}` };
}

/** Default passwords are fine on loopback and dangerous anywhere else. */
function warnAboutExposure(config: Config, log: Logger, qlPort: number): void {
  if (!isLoopback(config.cometql.ip) && WELL_KNOWN_PASSWORDS.has(config.main.password)) {
    log.warn(
      "main",
      `CometQL listens on ${config.cometql.ip}:${qlPort} with an empty or well-known ` +
        "default password: anyone who reaches this port can publish and read. Set [main] password.",
    );
  }
  if (config.admin.port !== 0 && !isLoopback(config.admin.ip)) {
    log.warn(
      "admin",
      `/metrics and /health are served without authentication on ${config.admin.ip}`,
    );
  }
}

function isLoopback(ip: string): boolean {
  return ip === "localhost" || ip === "::1" || /^127\.\d+\.\d+\.\d+$/.test(ip);
}
