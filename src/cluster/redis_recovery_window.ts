/**
 * The recovery window in Redis (docs/protocol/recovery.md §5), used with `[redis]` so a client
 * resumes on any node or worker. One Lua script per publish assigns the offset (`HINCRBY` of
 * the stream's last offset), keeps the entry (`RPUSH` + `LTRIM` to the count bound, `EXPIRE`
 * for the age bound and the position's lifetime), creates the epoch when the stream has none
 * (`HSETNX`: a stream lost with a Redis restart or eviction gets a new one) and `PUBLISH`es the
 * positioned message to every node, the publisher included. Under load, publishes that wait
 * for a free call share one (redis_publish_queue.ts): still one PUBLISH per message.
 *
 * The publication goes to every node including the publisher, so each node delivers a pipe's
 * messages in the order Redis gave them their offsets (a reply and another node's publication
 * arrive on two connections, in no guaranteed order).
 */
import type { Redis } from "ioredis";
import { decodeClusterMessage } from "../core/cluster_messages.ts";
import type {
  Recovery,
  SharedRecoveryWindow,
  StreamPosition,
  WindowEntry,
} from "../core/recovery_window.ts";
import { redisFailed, redisUnreachable } from "./cluster_error.ts";
import { EVERY_NODE, type RedisBroker } from "./redis_broker.ts";
import { RedisPublishQueue } from "./redis_publish_queue.ts";
import { PUBLISH_SCRIPT, SINCE_SCRIPT } from "./redis_recovery_scripts.ts";

export interface RedisWindowLimits {
  /** Most messages kept per pipe (> 0: with 0 recovery is off and this driver is not used). */
  windowMessages: number;
  windowSeconds: number;
  positionTtlSeconds: number;
}

type ScriptCommands = {
  cometWindowPublish(...args: (string | number)[]): Promise<(string | number)[]>;
  cometWindowSince(...args: (string | number)[]): Promise<[string, number, number, string[]]>;
};

/**
 * Epochs offered to streams that have none: a random prefix of this process and a counter, so
 * no two offers are alike (a stream lost and recreated never gets its old epoch back) without a
 * CSPRNG call on every publish.
 */
class EpochOffers {
  private readonly base = crypto.getRandomValues(new Uint32Array(1))[0].toString(16)
    .padStart(8, "0").slice(0, 6);
  private n = crypto.getRandomValues(new Uint32Array(1))[0] & 0xffffff;

  next(): string {
    this.n = (this.n + 1) & 0xffffff;
    return this.base + this.n.toString(16).padStart(6, "0");
  }
}

export class RedisRecoveryWindow implements SharedRecoveryWindow {
  private readonly redis: Redis & ScriptCommands;
  private readonly prefix: string;
  private readonly epochs = new EpochOffers();
  private readonly queue: RedisPublishQueue;

  constructor(
    private readonly broker: RedisBroker,
    prefix: string,
    private readonly limits: RedisWindowLimits,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.prefix = prefix;
    const redis = broker.publisher;
    // ioredis sends EVALSHA and falls back to EVAL after a Redis restart emptied its script cache.
    // The publish script takes any number of streams: the key count is its first argument.
    redis.defineCommand("cometWindowPublish", { lua: PUBLISH_SCRIPT });
    redis.defineCommand("cometWindowSince", { numberOfKeys: 2, lua: SINCE_SCRIPT });
    this.redis = redis as Redis & ScriptCommands;
    this.queue = new RedisPublishQueue((keys, args) => this.sendBatch(keys, args));
  }

  get nodeId(): string {
    return this.broker.nodeId;
  }

  publish(
    devId: number,
    pipe: string,
    topic: string,
    head: string,
  ): Promise<{ at: StreamPosition; receivers: number }> {
    const stats = this.broker.stats;
    if (!this.broker.isAvailable()) {
      stats.errors++;
      return Promise.reject(redisUnreachable());
    }
    return this.queue.publish({
      metaKey: this.metaKey(devId, pipe),
      listKey: this.listKey(devId, pipe),
      head,
      channel: this.prefix + topic,
    }).then(({ epoch, offset, receivers }) => {
      stats.published++;
      // Redis counts this node's own listener too.
      return {
        at: { epoch, offset },
        receivers: Math.max(0, receivers - (this.listens(topic) ? 1 : 0)),
      };
    }, (e) => {
      stats.errors++;
      throw redisFailed(e);
    });
  }

  /** One script call for the publishes of a batch, in order. */
  private sendBatch(keys: string[], args: string[]): Promise<(string | number)[]> {
    const started = performance.now();
    const { windowMessages, windowSeconds, positionTtlSeconds } = this.limits;
    return this.redis.cometWindowPublish(
      keys.length,
      ...keys,
      this.epochs.next(),
      windowMessages,
      windowSeconds,
      Math.max(positionTtlSeconds, windowSeconds),
      EVERY_NODE,
      ...args,
    ).then((reply) => {
      this.broker.stats.observeRtt(performance.now() - started);
      return reply;
    });
  }

  async since(devId: number, pipe: string, from: StreamPosition | undefined): Promise<Recovery> {
    const started = performance.now();
    let reply: [string, number, number, string[]];
    try {
      reply = await this.redis.cometWindowSince(
        this.metaKey(devId, pipe),
        this.listKey(devId, pipe),
        this.epochs.next(),
        Math.max(this.limits.positionTtlSeconds, this.limits.windowSeconds),
        from?.epoch ?? "",
        from?.offset ?? -1,
      );
    } catch (e) {
      this.broker.stats.errors++;
      throw redisFailed(e);
    }
    this.broker.stats.observeRtt(performance.now() - started);
    const [epoch, top, first, kept] = reply;
    const position = { epoch, offset: top };
    if (from === undefined) return { kind: "recovered", entries: [], position };
    if (from.epoch !== epoch) return { kind: "lost", reason: "epoch", position };
    if (from.offset > top) return { kind: "ahead", position };
    if (from.offset + 1 < first) return { kind: "lost", reason: "gap", position };
    const entries: WindowEntry[] = [];
    const oldest = this.clock() - this.limits.windowSeconds;
    for (const text of kept) {
      const entry = entryOf(text);
      // Kept but older than the window (the list expires only after a quiet window): a gap.
      if (entry === undefined || (entries.length === 0 && entry.time <= oldest)) {
        return { kind: "lost", reason: "gap", position };
      }
      entries.push(entry);
    }
    return { kind: "recovered", entries, position };
  }

  private listens(topic: string): boolean {
    return this.broker.listens(topic);
  }

  private metaKey(devId: number, pipe: string): string {
    return `${this.prefix}w:${devId}:${pipe}`;
  }

  private listKey(devId: number, pipe: string): string {
    return `${this.prefix}wl:${devId}:${pipe}`;
  }
}

/** A kept entry back as the window's entry (the cluster message with its position). */
function entryOf(text: string): WindowEntry | undefined {
  const m = decodeClusterMessage(text);
  if (m === undefined || (m.kind !== "pipe" && m.kind !== "web") || m.at === undefined) {
    return undefined;
  }
  return m.kind === "pipe"
    ? {
      ...m.at,
      time: m.time,
      event: m.event,
      message: m.message,
      userId: 0,
      fromBrowser: false,
    }
    : {
      ...m.at,
      time: m.time,
      event: m.event,
      message: m.body,
      userId: m.userId,
      fromBrowser: true,
    };
}
