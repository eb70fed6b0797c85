/**
 * Which browser connections are subscribed to which pipe, per tenant. The fan-out loop lives here:
 * one Outbound (encoded once per wire format) is handed to every subscriber.
 */
import type { Outbound } from "./outbound.ts";
import type { PipeTraffic } from "./pipe_traffic.ts";
import type { Subscriber } from "./subscriber.ts";

export class PipeRegistry {
  /** `${devId}:${pipe}` → subscribers in subscription order (oldest first). */
  private pipes = new Map<string, Set<Subscriber>>();
  private subscriptions = 0;
  /** Set while the admin dashboard samples messages per pipe; undefined costs nothing. */
  traffic: PipeTraffic | undefined;

  /** Returns true when `sub` is the pipe's first subscriber here (the node then listens to it). */
  subscribe(sub: Subscriber, pipe: string): boolean {
    const key = `${sub.devId}:${pipe}`;
    let set = this.pipes.get(key);
    let first = false;
    if (!set) {
      set = new Set();
      this.pipes.set(key, set);
      first = true;
    }
    if (!set.has(sub)) {
      set.add(sub);
      this.subscriptions++;
    }
    sub.pipes.add(pipe);
    return first;
  }

  /** Returns true when `sub` was the pipe's last subscriber here. */
  unsubscribe(sub: Subscriber, pipe: string): boolean {
    const key = `${sub.devId}:${pipe}`;
    const set = this.pipes.get(key);
    let last = false;
    if (set?.delete(sub)) {
      this.subscriptions--;
      if (set.size === 0) {
        this.pipes.delete(key);
        last = true;
      }
    }
    sub.pipes.delete(pipe);
    return last;
  }

  /** Every subscription (for writing this node's presence again after a Redis outage). */
  forEachSubscription(fn: (sub: Subscriber, pipe: string) => void): void {
    for (const [key, set] of this.pipes) {
      const pipe = key.slice(key.indexOf(":") + 1);
      for (const sub of set) fn(sub, pipe);
    }
  }

  count(devId: number, pipe: string): number {
    return this.pipes.get(`${devId}:${pipe}`)?.size ?? 0;
  }

  /** Subscribers of the pipe, newest first (the order of docs/protocol/websocket.md §3.5). */
  subscribersOf(devId: number, pipe: string): Subscriber[] {
    const set = this.pipes.get(`${devId}:${pipe}`);
    return set ? [...set].reverse() : [];
  }

  /**
   * The fan-out hot path: hands `message` to every subscriber except `except`; returns how many
   * writes succeeded. A subscriber dropped meanwhile (slow consumer) is removed by its own close
   * handler; deleting from a Set while iterating it is safe.
   */
  fanout(devId: number, pipe: string, message: Outbound, except?: Subscriber): number {
    const key = `${devId}:${pipe}`;
    this.traffic?.count(key);
    const set = this.pipes.get(key);
    if (!set) return 0;
    let delivered = 0;
    for (const sub of set) {
      if (sub !== except && sub.send(message)) delivered++;
    }
    return delivered;
  }

  /** The pipe's subscriber with this connection id, if any. */
  find(devId: number, pipe: string, id: number): Subscriber | undefined {
    const set = this.pipes.get(`${devId}:${pipe}`);
    if (set === undefined) return undefined;
    for (const sub of set) if (sub.id === id) return sub;
    return undefined;
  }

  /** Tenant, pipe and subscriber count of every pipe with subscribers (dashboard). */
  *subscriberCounts(): Generator<{ devId: number; pipe: string; subscribers: number }> {
    for (const [key, set] of this.pipes) {
      const colon = key.indexOf(":");
      yield {
        devId: Number(key.slice(0, colon)),
        pipe: key.slice(colon + 1),
        subscribers: set.size,
      };
    }
  }

  get pipeCount(): number {
    return this.pipes.size;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }
}
