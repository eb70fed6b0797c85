/**
 * A browser connection stood in for by a plain object: the one fake `Subscriber` the tests share.
 * It records what the core sends (decoded from the JSON text of its wire format) and whether it
 * was dropped, so tests can drive the core (or a server's node) without a WebSocket.
 */
import type { Outbound } from "../../src/core/outbound.ts";
import { type Subscriber, WireFormat } from "../../src/core/subscriber.ts";

export interface FakeSubscriber extends Subscriber {
  /** Every message written to it, in order, as the JSON object of its `format`. */
  readonly received: Record<string, unknown>[];
  /** Set by `drop()` (a kick). */
  dropped: boolean;
  /** What `send` answers; false plays a closed or slow connection (nothing is recorded). */
  accepting: boolean;
}

/** Far above the ids a transport hands out in a test process, so the two never meet. */
let nextId = 2_000_000_000;

/** A fake connection of tenant `devId`; `fields` override the defaults (user 0, Clean format). */
export function fakeSubscriber(
  devId = 0,
  fields: Partial<Omit<Subscriber, "send" | "sendConfirmed" | "drop">> = {},
): FakeSubscriber {
  const sub: FakeSubscriber = {
    id: nextId++,
    devId,
    userId: 0,
    uuid: "uuid-of-browser",
    format: WireFormat.Clean,
    userAgent: "TestAgent/1.0",
    ip: "10.1.2.3",
    origin: "https://example.test",
    language: "en",
    pipes: new Set<string>(),
    received: [],
    dropped: false,
    accepting: true,
    ...fields,
    send(message: Outbound) {
      if (!sub.accepting) return false;
      sub.received.push(JSON.parse(message.text(sub.format)));
      return true;
    },
    sendConfirmed(message: Outbound) {
      return Promise.resolve(sub.send(message));
    },
    drop() {
      sub.dropped = true;
    },
  };
  return sub;
}

/** The part of the core a pipe listener needs (kept structural so the core may reshape). */
export interface SubscriptionTarget {
  setSubscriptions(sub: Subscriber, pipes: string[]): void;
}

/** A fake connection subscribed to `pipes`; `data()` lists the `data` of each message received. */
export function pipeListener(
  node: SubscriptionTarget,
  pipes: string | string[],
  devId = 0,
): { sub: FakeSubscriber; data(): unknown[]; clear(): void; stop(): void } {
  const sub = fakeSubscriber(devId);
  node.setSubscriptions(sub, typeof pipes === "string" ? [pipes] : pipes);
  return {
    sub,
    data: () => sub.received.map((m) => m.data),
    clear: () => void (sub.received.length = 0),
    stop: () => node.setSubscriptions(sub, []),
  };
}
