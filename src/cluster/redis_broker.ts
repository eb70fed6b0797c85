/**
 * The Broker on Redis PUB/SUB. One connection publishes, one listens; a topic is a channel
 * (`<prefix><topic>`), subscribed while the node has local subscribers behind it. A publish is
 * one PUBLISH whatever the number of subscribers: every node fans out to its own.
 *
 * Each payload is sent as `<node id><payload>` so a node skips what it published itself (the
 * publisher delivers locally without a round trip). PUB/SUB is fire-and-forget: a node that was
 * disconnected missed messages, so after a reconnect it subscribes every wanted topic again and
 * then reports `reconnected` (the core drops its caches).
 */
import type { Redis } from "ioredis";
import type { Broker, BrokerEvents } from "./broker.ts";
import { redisFailed, redisUnreachable } from "./cluster_error.ts";
import { ClusterStats } from "./cluster_stats.ts";
import type { Logger } from "../log.ts";
import { connectRedis, firstConnect, newNodeId, type RedisSettings } from "./redis_connection.ts";

/**
 * The node-id prefix of a publication meant for every node, its publisher included: the shared
 * recovery window's, whose messages every node delivers in the stream's order
 * (redis_recovery_window.ts). No node has this id (node ids are random).
 */
export const EVERY_NODE = "000000000000";

/** Channels per SUBSCRIBE command when restoring after a reconnect. */
const RESUBSCRIBE_BATCH = 1000;

export class RedisBroker implements Broker {
  readonly shared = true;
  readonly nodeId = newNodeId();
  private readonly pub: Redis;
  private readonly sub: Redis;
  /** topic → local reasons to listen (counted subscribe calls). */
  private topics = new Map<string, number>();
  private events: BrokerEvents | undefined;
  private everReady = false;
  private lost = false;
  private closed = false;

  constructor(
    private settings: RedisSettings,
    private log: Logger,
    readonly stats = new ClusterStats(),
  ) {
    this.pub = connectRedis(settings, `comet-pub-${this.nodeId}`);
    this.sub = connectRedis(settings, `comet-sub-${this.nodeId}`);
    for (const redis of [this.pub, this.sub]) {
      redis.on("error", (e: Error) => this.log.debug("cluster", `redis: ${e.message}`));
      redis.on("close", () => this.linkLost());
    }
    this.sub.on("ready", () => this.subscriberReady());
    this.sub.on("message", (channel: string, message: string) => this.receive(channel, message));
  }

  isAvailable(): boolean {
    return this.pub.status === "ready" && this.sub.status === "ready";
  }

  async start(events: BrokerEvents): Promise<void> {
    this.events = events;
    const timeout = this.settings.connectTimeoutMs;
    const [pub, sub] = await Promise.all([
      firstConnect(this.pub, timeout),
      firstConnect(this.sub, timeout),
    ]);
    if (!pub || !sub) {
      this.log.error("cluster", `Redis ${redact(this.settings.url)} not reachable yet; retrying`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // QUIT waits for Redis to drop the node's subscriptions; a dead link is just cut.
    await Promise.allSettled(
      [this.pub, this.sub].map((r) =>
        r.status === "ready" ? r.quit() : Promise.resolve(r.disconnect())
      ),
    );
  }

  subscribe(topic: string): Promise<boolean> {
    const n = this.topics.get(topic) ?? 0;
    this.topics.set(topic, n + 1);
    if (n > 0) return Promise.resolve(false);
    if (this.sub.status !== "ready") return Promise.reject(redisUnreachable());
    const started = performance.now();
    return this.sub.subscribe(this.settings.prefix + topic).then(() => {
      this.stats.observeRtt(performance.now() - started);
      return true;
    }, (e) => {
      this.stats.errors++;
      throw redisFailed(e);
    });
  }

  unsubscribe(topic: string): void {
    const n = this.topics.get(topic) ?? 0;
    if (n > 1) {
      this.topics.set(topic, n - 1);
      return;
    }
    this.topics.delete(topic);
    if (this.sub.status !== "ready") return; // not restored on reconnect either
    this.sub.unsubscribe(this.settings.prefix + topic).catch(() => this.stats.errors++);
  }

  publish(topic: string, payload: string): Promise<number> {
    if (this.pub.status !== "ready") {
      this.stats.errors++;
      return Promise.reject(redisUnreachable());
    }
    const started = performance.now();
    return this.pub.publish(this.settings.prefix + topic, this.nodeId + payload).then((n) => {
      this.stats.observeRtt(performance.now() - started);
      this.stats.published++;
      // Redis counts this node's own listener too.
      return Math.max(0, n - (this.topics.has(topic) ? 1 : 0));
    }, (e) => {
      this.stats.errors++;
      throw redisFailed(e);
    });
  }

  /** The publishing connection, for the shared recovery window's publish script. */
  get publisher(): Redis {
    return this.pub;
  }

  /** Whether this node listens to the topic (so it receives its own EVERY_NODE publications). */
  listens(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Topics this node listens to (for metrics and tests). */
  get topicCount(): number {
    return this.topics.size;
  }

  private receive(channel: string, message: string): void {
    if (message.startsWith(this.nodeId)) return;
    if (!channel.startsWith(this.settings.prefix)) return;
    this.stats.received++;
    this.events?.message(message.slice(this.nodeId.length));
  }

  private linkLost(): void {
    if (this.closed || !this.everReady || this.lost) return;
    this.lost = true;
    this.stats.disconnects++;
    this.log.warn("cluster", "link to Redis lost: serving local subscribers only until it is back");
  }

  /** (Re)connected: listen to every wanted topic again, then let the core resync. */
  private async subscriberReady(): Promise<void> {
    const first = !this.everReady;
    this.everReady = true;
    const channels = [...this.topics.keys()].map((t) => this.settings.prefix + t);
    try {
      for (let i = 0; i < channels.length; i += RESUBSCRIBE_BATCH) {
        await this.sub.subscribe(...channels.slice(i, i + RESUBSCRIBE_BATCH));
      }
    } catch (e) {
      this.stats.errors++;
      this.log.warn(
        "cluster",
        `resubscribe failed (${(e as Error).message}); retried on reconnect`,
      );
      return;
    }
    if (first) return;
    this.lost = false;
    this.log.info("cluster", `link to Redis back: ${channels.length} topics subscribed again`);
    this.events?.reconnected();
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}
