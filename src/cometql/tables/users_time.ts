/**
 * `users_time` (docs/protocol/cometql.md §7.6): 0 = online here, Unix time of the last disconnect,
 * −1 = unknown.
 */
import type { CometqlTable } from "./cometql_table.ts";
import { nonNegativeIds, selectEach } from "./table_values.ts";

export const usersTime: CometqlTable = {
  name: "users_time",
  comment: "When a user was last online (read-only)",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "time", sqlType: "int(11)" },
  ],

  select(ctx, where) {
    return selectEach(nonNegativeIds(where), (id) => ctx.node.lastOnline(ctx.devId, id));
  },
};
