/**
 * The in-memory Broker: nodes created on one `LocalBrokerHub` hand each other messages inside
 * this process. A node alone on its own hub (the default, no `[redis]`) is not `shared`, so the
 * core never calls it on a publish: exactly the single-node server. Several nodes on one hub
 * serve the conformance suite and in-process multi-node tests.
 */
import type { Broker, BrokerEvents } from "./broker.ts";
import { ClusterStats } from "./cluster_stats.ts";

export class LocalBrokerHub {
  readonly nodes = new Set<LocalBroker>();
}

export class LocalBroker implements Broker {
  readonly shared: boolean;
  private readonly hub: LocalBrokerHub;
  /** topic → how many times this node subscribed it. */
  private topics = new Map<string, number>();
  private events: BrokerEvents | undefined;

  constructor(hub?: LocalBrokerHub, readonly stats = new ClusterStats()) {
    this.shared = hub !== undefined;
    this.hub = hub ?? new LocalBrokerHub();
  }

  isAvailable(): boolean {
    return true;
  }

  start(events: BrokerEvents): Promise<void> {
    this.events = events;
    this.hub.nodes.add(this);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.hub.nodes.delete(this);
    this.topics.clear();
    return Promise.resolve();
  }

  subscribe(topic: string): Promise<boolean> {
    const n = this.topics.get(topic) ?? 0;
    this.topics.set(topic, n + 1);
    return Promise.resolve(n === 0);
  }

  unsubscribe(topic: string): void {
    const n = this.topics.get(topic) ?? 0;
    if (n <= 1) this.topics.delete(topic);
    else this.topics.set(topic, n - 1);
  }

  publish(topic: string, payload: string): Promise<number> {
    let receivers = 0;
    for (const node of this.hub.nodes) {
      if (node === this || !node.topics.has(topic)) continue;
      receivers++;
      // Asynchronous like a network broker: the publisher's turn ends before anyone receives.
      queueMicrotask(() => node.receive(topic, payload));
    }
    this.stats.published++;
    return Promise.resolve(receivers);
  }

  private receive(topic: string, payload: string): void {
    if (!this.topics.has(topic) || this.events === undefined) return;
    this.stats.received++;
    this.events.message(payload);
  }
}
