/**
 * What `GET /api/dashboard` answers. No imports, so the browser page (client/dashboard/) can
 * share the type without pulling in server code.
 */

export interface RateSample {
  time: number;
  in: number;
  out: number;
}

export interface ClusterNodeSummary {
  /** The presence driver's node id ("local" without `[redis]`): names may repeat. */
  id: string;
  name: string;
  self: boolean;
  connections: number;
  authorized: number;
  users: number;
  /** Seconds since the node started. */
  uptime: number;
  /** When the node last published its figures (ms since the epoch); now for this node. */
  heartbeat: number;
}

export interface DashboardSnapshot {
  node: string;
  time: number;
  uptime: number;
  connections: number;
  authorized: number;
  users: number;
  cometqlConnections: number;
  pipes: number;
  subscriptions: number;
  messagesIn: number;
  messagesOut: number;
  slowConsumerDrops: number;
  rates: RateSample[];
  topBySubscribers: { devId: number; pipe: string; subscribers: number }[];
  topByMessages: { devId: number; pipe: string; perSecond: number }[];
  storage: { driver: string; up: boolean; pendingHistoryWrites: number; errors: number };
  nodes: ClusterNodeSummary[];
}
