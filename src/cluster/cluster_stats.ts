/**
 * Counters of the cluster engines for `/metrics`: the drivers feed them, the admin port reads
 * them. Plain numbers and one fixed-bucket histogram: nothing allocated per message.
 */
export class ClusterStats {
  /** Messages this node published to other nodes. */
  published = 0;
  /** Messages received from other nodes. */
  received = 0;
  /** Publishes, subscribes and presence writes that failed (Redis unreachable, timeouts). */
  errors = 0;
  /** Times the link to Redis was lost. */
  disconnects = 0;
  /** Round trips to Redis (ms): upper bounds and per-bucket counts (last = above all). */
  readonly rttBoundsMs = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000] as const;
  readonly rttCounts = new Array<number>(12).fill(0);
  rttSumMs = 0;
  rttCount = 0;

  observeRtt(ms: number): void {
    let i = 0;
    while (i < this.rttBoundsMs.length && ms > this.rttBoundsMs[i]) i++;
    this.rttCounts[i]++;
    this.rttSumMs += ms;
    this.rttCount++;
  }
}
