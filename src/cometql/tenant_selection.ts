/**
 * How a login name and a database name choose the tenant (`dev_id`), docs/protocol/cometql.md §2.3
 * and §2.4.
 */
import { type CometqlError, Errors } from "./cometql_error.ts";
import type { SessionContext } from "./session_context.ts";

export const API_DATABASE = "CometQL_v1";

/**
 * `root` and `0` are tenant 0; any other name must be a decimal number below `devIndexSize`.
 * Returns undefined for names the original would have mapped inconsistently
 * (docs/protocol/cometql.md §2.3).
 */
export function devIdOfUser(user: string, devIndexSize: number): number | undefined {
  if (user === "root") return 0;
  if (!/^\d{1,15}$/.test(user)) return undefined;
  const id = Number(user);
  return id < devIndexSize ? id : undefined;
}

/**
 * `CometQL_v1` (case-sensitive) keeps the tenant; `db_<N>` switches to tenant N
 * (docs/protocol/cometql.md §2.4). Anything else → ERR 15 `Select database failure`.
 */
export function selectDatabase(session: SessionContext, name: string): CometqlError | undefined {
  if (name === API_DATABASE) {
    session.database = name;
    return undefined;
  }
  const m = /^db_(\d{1,15})$/.exec(name);
  if (m) {
    const id = Number(m[1]);
    if (id < session.node.config.main.devIndexSize) {
      session.devId = id;
      session.database = name;
      return undefined;
    }
  }
  return Errors.noDatabase;
}
