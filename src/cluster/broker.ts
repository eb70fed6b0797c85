/**
 * Broker: how nodes hand each other what their local subscribers must receive (issue 12). A
 * node subscribes to a topic while it has local subscribers behind it (a pipe's first local
 * subscriber, a user's first local connection) and unsubscribes after the last, so it receives
 * only what it can deliver. Payloads are opaque text encoded once by the publisher
 * (core/cluster_messages.ts); a publish is one message on the wire, never one per subscriber.
 *
 * Drivers: `local_broker.ts` (in-process hub; alone on its hub it is today's single node) and
 * `redis_broker.ts` (Redis PUB/SUB). One conformance suite runs against both
 * (tests/broker_conformance.ts).
 */

/** Receives what other nodes published on topics this node is subscribed to. */
export interface BrokerEvents {
  message(payload: string): void;
  /**
   * The link to the other nodes was lost and is back: messages may have been missed meanwhile,
   * so caches must be dropped (subscriptions are restored by the driver).
   */
  reconnected(): void;
}

export interface Broker {
  /**
   * False when no other node can exist (a local broker alone on its hub): the core then skips
   * encoding and publishing entirely, so the single-node hot path stays as it was.
   */
  readonly shared: boolean;
  /** Whether a publish made now can reach the other nodes. */
  isAvailable(): boolean;
  start(events: BrokerEvents): Promise<void>;
  close(): Promise<void>;
  /**
   * Starts receiving the topic; resolves once messages published from now on will arrive
   * (rejects with ClusterUnavailableError when that cannot be promised), with true when this
   * call made the node start listening (what was published before it did not arrive here).
   * Counted: a topic subscribed twice needs two unsubscribes.
   */
  subscribe(topic: string): Promise<boolean>;
  unsubscribe(topic: string): void;
  /**
   * Sends the payload to every *other* node subscribed to the topic; resolves with how many
   * received it. Rejects with ClusterUnavailableError when it was not sent. Publishes of one
   * node reach each receiver in publish order.
   */
  publish(topic: string, payload: string): Promise<number>;
}

/** Topic of a pipe of a tenant. */
export function pipeTopic(devId: number, pipe: string): string {
  return `p:${devId}:${pipe}`;
}

/** Topic of a user of a tenant (private messages, queue pokes, kicks). */
export function userTopic(devId: number, userId: number): string {
  return `u:${devId}:${userId}`;
}

/** Every node is subscribed to it: cache invalidations (auth hashes, pipe settings). */
export const CONTROL_TOPIC = "control";
