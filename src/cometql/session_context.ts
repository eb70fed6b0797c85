/**
 * The per-connection state statements read and change: tenant, selected database, identity.
 * Owned by the session, passed to every statement handler.
 */
import type { CometqlNode } from "./cometql_node.ts";

export interface SessionContext {
  readonly node: CometqlNode;
  /** Tenant; every core call is scoped by it (docs/protocol/cometql.md §1, §2.3). */
  devId: number;
  /** Database selected in this session, null before any. */
  database: string | null;
  readonly connectionId: number;
  /** Login name and peer address, for USER(). */
  user: string;
  readonly host: string;
  /**
   * Set by the cluster prefix (docs/protocol/cometql.md §3 step 2): statements come from another
   * node, so private messages are delivered locally only and never queued (docs/protocol/cometql.md
   * §7.5).
   */
  fromCluster?: boolean;
  /**
   * The client set CLIENT_MULTI_STATEMENTS at login or turned it on with COM_SET_OPTION: only
   * then may one COM_QUERY hold several statements (docs/compatibility.md point 2, as MySQL).
   */
  multiStatements: boolean;
  /** Insert id of the last successful INSERT (LAST_INSERT_ID()). */
  lastInsertId: number;
}
