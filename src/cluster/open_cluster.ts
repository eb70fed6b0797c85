/**
 * The engines a node runs with: without `[redis]` the local ones (one node, today's behaviour
 * and speed), with it the Redis Broker and Presence sharing one ClusterStats for `/metrics`, and
 * (unless recovery is off) the recovery window in Redis on the broker's publishing connection.
 */
import type { Logger } from "../log.ts";
import type { Broker } from "./broker.ts";
import { ClusterStats } from "./cluster_stats.ts";
import type { NodeIdentity } from "./node_identity.ts";
import type { Presence } from "./presence.ts";
import type { SharedRecoveryWindow } from "../core/recovery_window.ts";
import { RedisRecoveryWindow, type RedisWindowLimits } from "./redis_recovery_window.ts";
import { RedisBroker } from "./redis_broker.ts";
import type { RedisSettings } from "./redis_connection.ts";
import { RedisPresence } from "./redis_presence.ts";

export interface OpenedCluster {
  broker?: Broker;
  presence?: Presence;
  window?: SharedRecoveryWindow;
  stats: ClusterStats;
}

export function openCluster(
  settings: RedisSettings | undefined,
  identity: NodeIdentity,
  log: Logger,
  recovery?: RedisWindowLimits,
): OpenedCluster {
  const stats = new ClusterStats();
  if (settings === undefined) return { stats };
  const broker = new RedisBroker(settings, log, stats);
  return {
    broker,
    window: recovery !== undefined && recovery.windowMessages > 0
      ? new RedisRecoveryWindow(broker, settings.prefix, recovery)
      : undefined,
    presence: new RedisPresence(settings, log, stats, identity),
    stats,
  };
}
