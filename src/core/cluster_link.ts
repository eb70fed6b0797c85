/**
 * How a node talks to the other nodes through its Broker (issue 12): a message encoded once and
 * published, refused up front while they cannot be reached, failures logged, and the work a
 * stopping node must finish before it leaves. None of this runs on a single node.
 */
import { type Broker, CONTROL_TOPIC } from "../cluster/broker.ts";
import { ClusterUnavailableError, redisUnreachable } from "../cluster/cluster_error.ts";
import type { Logger } from "../log.ts";
import { type ClusterMessage, encodeClusterMessage } from "./cluster_messages.ts";

export class ClusterLink {
  /** Other nodes may exist (a shared broker, i.e. `[redis]`). */
  readonly clustered: boolean;
  private inFlight = new Set<Promise<unknown>>();

  constructor(readonly broker: Broker, private log: Logger) {
    this.clustered = broker.shared;
  }

  /** Publishes to the other nodes; rejects (and sends nothing) when they cannot be reached. */
  publish(topic: string, m: ClusterMessage): Promise<number> {
    if (!this.broker.isAvailable()) {
      return Promise.reject(redisUnreachable());
    }
    return this.broker.publish(topic, encodeClusterMessage(m));
  }

  /** Publishes what needs no answer (events); a failure is logged, and `settle` waits for it. */
  announce(topic: string, m: ClusterMessage, what: string): void {
    this.track(this.publish(topic, m).catch((e) => this.failed(what, e)));
  }

  /** A change other nodes must hear about is refused up front while they cannot be reached. */
  assertReachable(): void {
    if (this.clustered && !this.broker.isAvailable()) {
      throw new ClusterUnavailableError("Redis is not reachable; nothing was changed");
    }
  }

  /** Cache invalidations for every other node; a node that misses one resyncs on reconnect. */
  tell(m: ClusterMessage): void {
    if (this.clustered) this.announce(CONTROL_TOPIC, m, "cache invalidation");
  }

  /**
   * Subscribes the node to a topic; a failure is retried by the broker on reconnect. `started`
   * runs once the node listens to a topic it did not listen to before.
   */
  listen(topic: string, started?: () => void): Promise<void> {
    return this.broker.subscribe(topic).then((first) => {
      if (first) started?.();
    }, (e) => this.failed(`subscribe ${topic}`, e));
  }

  /** Stops listening to a topic `listen` subscribed (counted: one call per `listen`). */
  unlisten(topic: string): void {
    this.broker.unsubscribe(topic);
  }

  failed(what: string, e: unknown): void {
    this.log.warn("cluster", `${what} failed: ${(e as Error)?.message ?? e}`);
  }

  /** Cluster work `settle` waits for (offline events of a stopping node's last connections). */
  track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work));
  }

  /** Resolves once every tracked piece of work (and what it started) is done. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
