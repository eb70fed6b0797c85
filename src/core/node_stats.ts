/**
 * A fixed-bucket latency histogram (Prometheus-style): O(buckets) per observation, no allocation,
 * so the delivery path can feed it on every write.
 */
export class LatencyHistogram {
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: number[];
  sumMs = 0;
  count = 0;

  /** `boundsMs`: ascending upper bounds in milliseconds. */
  constructor(readonly boundsMs: readonly number[]) {
    this.counts = new Array(boundsMs.length + 1).fill(0);
  }

  observe(ms: number): void {
    let i = 0;
    while (i < this.boundsMs.length && ms > this.boundsMs[i]) i++;
    this.counts[i]++;
    this.sumMs += ms;
    this.count++;
  }
}

/** From 1 ms to 10 s: a local fan-out is sub-millisecond, a saturated one takes seconds. */
const LATENCY_BOUNDS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Live counters of this server, read by `SHOW STATUS` and the admin `/metrics` endpoint. */
export class NodeStats {
  readonly startedAt = Date.now();
  wsOnline = 0;
  wsConnectsTotal = 0;
  wsDisconnectsTotal = 0;
  wsFramesIn = 0;
  wsMessagesOut = 0;
  wsSlowConsumerDrops = 0;
  /** Browser-port bounds (`[limits]`, src/ws/browser_port_guard.ts). */
  wsRefusedConnections = 0;
  wsTimeouts = 0;
  wsBudgetDrops = 0;
  /** Unsent bytes of all browser connections (as of their last flush). */
  wsPendingBytes = 0;
  qlOnline = 0;
  qlConnectsTotal = 0;
  qlDisconnectsTotal = 0;
  qlQueries = 0;
  qlErrors = 0;
  readonly qlQueriesByType = new Map<string, number>();
  /**
   * Server-side prepared statements handled: COM_STMT_PREPARE and COM_STMT_EXECUTE packets (a
   * client that silently falls back to emulated prepares sends none).
   */
  qlStmtPrepares = 0;
  qlStmtExecutes = 0;
  /** Messages published, by source: `cometql`, `web` (browser `web_pipe2`), `private`. */
  readonly published = { cometql: 0, web: 0, private: 0, presence: 0 };
  privateQueued = 0;
  /** Pipes resumed by `resume` (docs/protocol/recovery.md §3), by outcome. */
  readonly resumed = { subscribed: 0, recovered: 0, not_recovered: 0 };
  storageErrors = 0;
  /** Storage operations that rejected (timeouts, backend down), counted where they are timed. */
  storageFailedOps = 0;
  /** Storage operation latency (ms), fed by every Storage call (src/admin/measured_storage.ts). */
  readonly storageLatency = new LatencyHistogram(LATENCY_BOUNDS_MS);
  /** Publish → written to the browser socket (ms), fed by the WebSocket transport. */
  readonly deliveryLatency = new LatencyHistogram(LATENCY_BOUNDS_MS);

  /** The transport wrote a message `ms` after it was published (`Outbound.createdAt`). */
  observeDeliveryLatency(ms: number): void {
    this.deliveryLatency.observe(ms);
  }

  /** One storage operation finished after `ms`; `failed` when it rejected. */
  observeStorage(ms: number, failed: boolean): void {
    this.storageLatency.observe(ms);
    if (failed) this.storageFailedOps++;
  }

  get messagesPublished(): number {
    return this.published.cometql + this.published.web + this.published.private;
  }

  countQuery(type: string): void {
    this.qlQueries++;
    this.qlQueriesByType.set(type, (this.qlQueriesByType.get(type) ?? 0) + 1);
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }
}
