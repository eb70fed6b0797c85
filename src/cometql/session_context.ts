/**
 * The per-connection state statements read and change: tenant, selected database, identity.
 * Owned by the session, passed to every statement handler.
 */
import type { CometqlNode } from "./cometql_node.ts";

export interface SessionContext {
  readonly node: CometqlNode;
  /** Tenant; every core call is scoped by it (spec §1, §2.3). */
  devId: number;
  /** Database selected in this session, null before any. */
  database: string | null;
  readonly connectionId: number;
  /** Login name and peer address, for USER(). */
  user: string;
  readonly host: string;
  /** Insert id of the last successful INSERT (LAST_INSERT_ID()). */
  lastInsertId: number;
}
