/**
 * Delivery of a user's offline queue (`users_messages`, docs/protocol/websocket.md §6) to one
 * connection that just authorized, without losing what the connection never got (issue 13,
 * docs/compatibility.md point 2).
 *
 * A queued message leaves storage only once its frame was handed to the kernel whole
 * (`Subscriber.sendConfirmed`); what was not written when the connection closes (or the process
 * dies) stays queued and is delivered once, in order, next time. Bytes the kernel took but the
 * browser never read before it went away are lost with the TCP connection: the protocol has no
 * acknowledgements from the client (README, "What is acknowledged").
 *
 * Deletes run while later frames are still being written, so a crash repeats at most the
 * messages whose delete was in flight.
 */
import type { Storage } from "../storage/storage.ts";
import { queuedPrivateMessage } from "./messages.ts";
import type { Subscriber } from "./subscriber.ts";

/** Queued private messages are read and written in batches of this size. */
export const QUEUE_BATCH = 100;

/**
 * Sends the queue oldest first until it is empty or the connection stops taking frames.
 * `gone()` tells whether the connection has left the core (checked after every await).
 */
export async function deliverOfflineQueue(
  storage: Storage,
  sub: Subscriber,
  gone: () => boolean,
): Promise<void> {
  while (!gone()) {
    const batch = await storage.readQueue(sub.devId, sub.userId, QUEUE_BATCH);
    if (batch.length === 0 || gone()) return;
    const confirmations = batch.map((m) =>
      sub.sendConfirmed(queuedPrivateMessage(m.event, m.message, m.time))
    );
    const deletes = new QueueDeletes(storage, sub.devId);
    let written = 0;
    // In queue order: a message counts only when every earlier one was written too.
    for (const confirmed of confirmations) {
      if (!(await confirmed)) break;
      deletes.add(batch[written++].id);
    }
    await deletes.finish();
    if (written < batch.length) return;
  }
}

/** Deletes written messages in the background, one storage call at a time, in order. */
class QueueDeletes {
  private ready: string[] = [];
  private running: Promise<void> | null = null;
  private failure: unknown = undefined;

  constructor(private storage: Storage, private devId: number) {}

  add(id: string): void {
    this.ready.push(id);
    if (this.failure === undefined) this.running ??= this.run();
  }

  /** Resolves once every added id is deleted; rejects with the storage error if one failed. */
  async finish(): Promise<void> {
    while (this.running !== null) await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Never rejects (nobody may be waiting yet): a failure is kept for `finish`. */
  private async run(): Promise<void> {
    try {
      while (this.ready.length > 0) {
        const ids = this.ready;
        this.ready = [];
        await this.storage.deleteQueued(this.devId, ids);
      }
    } catch (e) {
      this.failure = e;
    } finally {
      this.running = null;
    }
  }
}
