/**
 * Counters of the cluster engines for `/metrics`: the drivers feed them, the admin port reads
 * them. Plain numbers and one fixed-bucket histogram: nothing allocated per message.
 */
import { LatencyHistogram } from "../core/node_stats.ts";

/** From 0.1 ms (loopback Redis) to 2.5 s (a command timing out). */
const RTT_BOUNDS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 2500];

export class ClusterStats {
  /** Messages this node published to other nodes. */
  published = 0;
  /** Messages received from other nodes. */
  received = 0;
  /** Publishes, subscribes and presence calls that failed (Redis unreachable, timeouts). */
  errors = 0;
  /** Times the link to Redis was lost. */
  disconnects = 0;
  /** Round trips to Redis (publish, subscribe, presence questions). */
  readonly rtt = new LatencyHistogram(RTT_BOUNDS_MS);

  observeRtt(ms: number): void {
    this.rtt.observe(ms);
  }
}
