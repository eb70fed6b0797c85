/**
 * Starts and stops everything one comet node runs: storage, the core, the WebSocket/HTTP port,
 * the CometQL port and the admin HTTP port. main.ts and the tests both use it.
 */
import type { Config } from "./config/config.ts";
import { CometNode } from "./core/comet_node.ts";
import type { Logger } from "./log.ts";
import { openStorage } from "./storage/open_storage.ts";
import { startWsListener } from "./ws/ws_listener.ts";
import { startCometqlListener } from "./cometql/cometql_listener.ts";
import { loadClientFiles } from "./client_files.ts";

export interface RunningServer {
  node: CometNode;
  wsPort: number;
  qlPort: number;
  /** Stops accepting, flushes storage writes, closes connections (clients reconnect). */
  stop(): Promise<void>;
}

/** How often retention limits (queue age) are applied. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const storage = await openStorage(config, (level, msg) => log[level]("storage", msg));
  log.info("storage", `storage: ${storage.description}`);
  const node = new CometNode(config, storage, log);
  await node.start();
  const clientFiles = loadClientFiles();
  if (!clientFiles.dir) {
    log.warn("main", "client library not built (run `deno task build:client`); not served");
  }
  const ws = await startWsListener(node, log, clientFiles);
  const ql = await startCometqlListener(node, log);
  const purge = setInterval(() => {
    storage.purgeExpired(Math.floor(Date.now() / 1000)).catch((e) =>
      log.warn("storage", `retention purge failed: ${e}`)
    );
  }, PURGE_INTERVAL_MS);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      clearInterval(purge);
      await Promise.allSettled([ws.close(), ql.close()]);
      await node.flush();
      await storage.close();
    })();
  return { node, wsPort: ws.port, qlPort: ql.port, stop };
}
