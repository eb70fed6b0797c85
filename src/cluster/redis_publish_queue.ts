/**
 * The shared recovery window's publishes on their way to Redis (redis_recovery_window.ts): a
 * group commit. With no script call in flight a publish leaves at once, alone; publishes made
 * while one is in flight wait for its reply and then leave together in the next call, in the
 * order they were made. An idle node adds no latency; a busy one pays Redis's fixed cost of a
 * script call (and its own cost of a command) once per batch instead of once per message.
 *
 * One call in flight at a time also keeps the order: Redis runs the calls in the order they
 * were sent, and a batch is the publishes in the order they were made.
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

interface Waiting extends QueuedPublish {
  resolve(at: PublishedAt): void;
  reject(e: unknown): void;
}

/** Sends one batch: KEYS and per-message ARGV laid out by `PUBLISH_SCRIPT`; flat replies. */
export type SendBatch = (keys: string[], args: string[]) => Promise<(string | number)[]>;

export class RedisPublishQueue {
  private waiting: Waiting[] = [];
  private inFlight = false;

  /**
   * @param maxBatch most publishes in one script call (bounds the call's size and how long
   *   Redis is busy with it).
   * @param maxWaiting most publishes waiting for the call in flight (a frozen Redis holds them
   *   until the command timeout; past this bound a publish fails at once).
   */
  constructor(
    private readonly send: SendBatch,
    private readonly maxBatch = 256,
    private readonly maxWaiting = 65_536,
  ) {}

  /** Rejects at once when `maxWaiting` publishes already wait (Redis answers too slowly). */
  publish(p: QueuedPublish): Promise<PublishedAt> {
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new Error(`${this.maxWaiting} publishes already wait for Redis`));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...p, resolve, reject });
      if (!this.inFlight) this.flush();
    });
  }

  /** Publishes waiting for a call (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  private flush(): void {
    const batch = this.waiting.length <= this.maxBatch
      ? this.waiting
      : this.waiting.slice(0, this.maxBatch);
    this.waiting = batch === this.waiting ? [] : this.waiting.slice(this.maxBatch);
    const keys: string[] = [];
    const args: string[] = [];
    for (const p of batch) {
      keys.push(p.metaKey, p.listKey);
      args.push(p.head, p.channel);
    }
    this.inFlight = true;
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
      this.inFlight = false;
      if (this.waiting.length > 0) this.flush();
    });
  }
}
