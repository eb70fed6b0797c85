/** Live counters of this server, read by `SHOW STATUS` and the admin `/metrics` endpoint. */
export class NodeStats {
  readonly startedAt = Date.now();
  wsOnline = 0;
  wsConnectsTotal = 0;
  wsDisconnectsTotal = 0;
  wsFramesIn = 0;
  wsMessagesOut = 0;
  wsSlowConsumerDrops = 0;
  qlOnline = 0;
  qlConnectsTotal = 0;
  qlDisconnectsTotal = 0;
  qlQueries = 0;
  qlErrors = 0;
  readonly qlQueriesByType = new Map<string, number>();
  /** Messages published, by source: `cometql`, `web` (browser `web_pipe2`), `private`. */
  readonly published = { cometql: 0, web: 0, private: 0, presence: 0 };
  privateQueued = 0;
  storageErrors = 0;
  /** Sum and count of storage operation latencies (ms) for the admin metrics. */
  storageLatencyMsSum = 0;
  storageOps = 0;

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
