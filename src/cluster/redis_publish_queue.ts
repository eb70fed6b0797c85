/**
 * The shared recovery window's publishes on their way to Redis (redis_recovery_window.ts): the
 * publishes made in one turn of the event loop (the queries of every CometQL connection that
 * had data in that turn, the rows of a multi-row INSERT) leave in one script call, sent as soon
 * as the turn's work is done (a microtask). Nothing waits for an earlier reply, so a publish is
 * never later than without batching; a busy node pays Redis's fixed cost of a script call, and
 * its own cost of a command and a socket write, once per batch instead of once per message.
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

interface Waiting extends QueuedPublish {
  resolve(at: PublishedAt): void;
  reject(e: unknown): void;
}

/** Sends one batch: KEYS and per-message ARGV laid out by `PUBLISH_SCRIPT`; flat replies. */
export type SendBatch = (keys: string[], args: string[]) => Promise<(string | number)[]>;

export class RedisPublishQueue {
  private waiting: Waiting[] = [];
  private readonly flushSoon = () => this.flush();

  /**
   * @param maxBatch most publishes in one script call (bounds the call's size and how long
   *   Redis is busy with it); more in one turn leave in several calls.
   */
  constructor(private readonly send: SendBatch, private readonly maxBatch = 256) {}

  publish(p: QueuedPublish): Promise<PublishedAt> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ ...p, resolve, reject }) === 1) queueMicrotask(this.flushSoon);
    });
  }

  private flush(): void {
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += this.maxBatch) {
      this.sendBatch(all.length <= this.maxBatch ? all : all.slice(i, i + this.maxBatch));
    }
  }

  private sendBatch(batch: Waiting[]): void {
    const keys: string[] = [];
    const args: string[] = [];
    for (const p of batch) {
      keys.push(p.metaKey, p.listKey);
      args.push(p.head, p.channel);
    }
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
    });
  }
}
