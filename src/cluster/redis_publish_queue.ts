/**
 * The shared recovery window's publishes on their way to Redis (redis_recovery_window.ts). While
 * fewer than `maxInFlight` script calls wait for Redis, a publish leaves at once, alone: a few
 * publishers overlap their round trips and nothing waits. Once that many are in flight, publishes
 * wait, and each reply sends everything waiting in one call: under load the batches grow, and
 * Redis's cost of a script call (and this node's cost of a command and a socket write) is paid
 * once per batch instead of once per message.
 *
 * Measured (wsload publish-max, Redis on loopback): batching every publish of an event-loop turn
 * cost 4 publishers a third of their INSERT/s (their round trips fell into lockstep); this way 4
 * publishers keep their rate and 16 or 64 gain 25–45 %.
 *
 * Order: the calls go out on one connection in the order they were made and Redis runs them in
 * that order; a batch is the publishes in the order they were made.
 */

/** What one publish waits for: its stream position and how many nodes Redis delivered it to. */
export interface PublishedAt {
  epoch: string;
  offset: number;
  receivers: number;
}

/** One publish: its stream's two keys, the message without its position, the channel. */
export interface QueuedPublish {
  metaKey: string;
  listKey: string;
  head: string;
  channel: string;
}

interface Waiting {
  p: QueuedPublish;
  resolve(at: PublishedAt): void;
  reject(e: unknown): void;
}

/** Sends one batch: KEYS and per-message ARGV laid out by `PUBLISH_SCRIPT`; flat replies. */
export type SendBatch = (keys: string[], args: string[]) => Promise<(string | number)[]>;

export class RedisPublishQueue {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  /**
   * @param maxInFlight script calls sent before publishes start to wait for a reply.
   * @param maxBatch most publishes in one script call (bounds the call's size and how long
   *   Redis is busy with it).
   * @param maxWaiting most publishes waiting (a frozen Redis holds them until the command
   *   timeout); past this bound a publish fails at once.
   */
  constructor(
    private readonly send: SendBatch,
    private readonly maxInFlight = 4,
    private readonly maxBatch = 256,
    private readonly maxWaiting = 65_536,
  ) {}

  publish(p: QueuedPublish): Promise<PublishedAt> {
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new Error(`${this.maxWaiting} publishes already wait for Redis`));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ p, resolve, reject });
      if (this.inFlight < this.maxInFlight) this.sendWaiting();
    });
  }

  /** Publishes waiting for a call (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  private sendWaiting(): void {
    // All of them (the usual case), or the first maxBatch taken off in place.
    let batch = this.waiting;
    if (batch.length <= this.maxBatch) this.waiting = [];
    else batch = batch.splice(0, this.maxBatch);
    const keys: string[] = [];
    const args: string[] = [];
    for (const { p } of batch) {
      keys.push(p.metaKey, p.listKey);
      args.push(p.head, p.channel);
    }
    this.inFlight++;
    this.send(keys, args).then((reply) => {
      for (let i = 0; i < batch.length; i++) {
        batch[i].resolve({
          epoch: String(reply[3 * i]),
          offset: Number(reply[3 * i + 1]),
          receivers: Number(reply[3 * i + 2]),
        });
      }
    }, (e) => {
      for (const p of batch) p.reject(e);
    }).finally(() => {
      this.inFlight--;
      while (this.inFlight < this.maxInFlight && this.waiting.length > 0) this.sendWaiting();
    });
  }
}
