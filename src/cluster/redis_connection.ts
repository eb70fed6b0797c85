/**
 * How the cluster engines reach Redis (npm `ioredis`): the options every connection shares.
 * Commands fail at once while the link is down (no offline queue, so nothing waits unbounded
 * and no write is acknowledged before Redis has it); the client reconnects by itself, forever,
 * at most `reconnectMaxMs` apart.
 */
import { Redis, type RedisOptions } from "ioredis";

export interface RedisSettings {
  /** `redis://[:password@]host:port[/db]`. */
  url: string;
  /** Prepended to every key and channel, so several deployments can share one Redis. */
  prefix: string;
  connectTimeoutMs: number;
  /** A command not answered within this fails (ClusterUnavailableError). */
  commandTimeoutMs: number;
  /** Presence: how often a node renews its registration. */
  heartbeatMs: number;
  /** Presence: a node that has not renewed for this long is gone (its users go offline). */
  nodeTtlMs: number;
}

export const DEFAULT_REDIS_SETTINGS: Omit<RedisSettings, "url"> = {
  prefix: "comet:",
  connectTimeoutMs: 2000,
  commandTimeoutMs: 2000,
  heartbeatMs: 1000,
  nodeTtlMs: 5000,
};

const RECONNECT_MAX_MS = 1000;

/**
 * `batched`: commands issued in one event-loop turn leave in one write (presence: a burst of
 * connects costs one round trip). Off for publishing: a CometQL INSERT waits for its PUBLISH,
 * and deferring the write to batch it added more latency than it saved with few publishers.
 */
export function connectRedis(settings: RedisSettings, name: string, batched = false): Redis {
  const options: RedisOptions = {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: batched,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * times, RECONNECT_MAX_MS),
  };
  return new Redis(settings.url, options);
}

/** A random id for this process's registration (stable for the life of the process). */
export function newNodeId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Waits for the first connection, at most `ms`; a node also starts while Redis is down. */
export async function firstConnect(redis: Redis, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([redis.connect().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
