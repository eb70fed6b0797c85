/**
 * The engines a node runs with: without `[redis]` the local ones (one node, today's behaviour
 * and speed), with it the Redis Broker and Presence sharing one ClusterStats for `/metrics`.
 */
import type { Logger } from "../log.ts";
import type { Broker } from "./broker.ts";
import { ClusterStats } from "./cluster_stats.ts";
import type { NodeIdentity } from "./node_identity.ts";
import type { Presence } from "./presence.ts";
import { RedisBroker } from "./redis_broker.ts";
import type { RedisSettings } from "./redis_connection.ts";
import { RedisPresence } from "./redis_presence.ts";

export interface OpenedCluster {
  broker?: Broker;
  presence?: Presence;
  stats: ClusterStats;
}

export function openCluster(
  settings: RedisSettings | undefined,
  identity: NodeIdentity,
  log: Logger,
): OpenedCluster {
  const stats = new ClusterStats();
  if (settings === undefined) return { stats };
  return {
    broker: new RedisBroker(settings, log, stats),
    presence: new RedisPresence(settings, log, stats, identity),
    stats,
  };
}
