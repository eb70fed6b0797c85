/** `users_time` (docs/protocol/cometql.md §7.6): 0 = online here, Unix time of the last disconnect, −1 = unknown. */
import { Errors } from "../cometql_error.ts";
import type { Cell } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { nonNegativeIds } from "./table_values.ts";

export const usersTime: CometqlTable = {
  name: "users_time",
  comment: "When a user was last online (read-only)",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "time", sqlType: "int(11)" },
  ],

  async select(ctx, where) {
    const ids = nonNegativeIds(where);
    if (ids === undefined) return Errors.selectWithoutKey;
    const result: Cell[][] = [];
    for (const id of ids) {
      result.push([String(id), String(await ctx.node.lastOnline(ctx.devId, id))]);
    }
    return result;
  },
};
