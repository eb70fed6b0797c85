/** `pipes` (docs/protocol/cometql.md §7.2): subscriber count per pipe on every node; read-only. */
import { Errors } from "../cometql_error.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { pipeNames } from "./table_values.ts";

export const pipes: CometqlTable = {
  name: "pipes",
  comment: "Number of subscribers of a pipe (read-only)",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "users", sqlType: "int(11)" },
  ],

  async select(ctx, where) {
    const names = pipeNames(where);
    if (names === undefined) return Errors.selectWithoutKey;
    const rows = [];
    for (const name of names) {
      rows.push([name, String(await ctx.node.countSubscribersEverywhere(ctx.devId, name))]);
    }
    return rows;
  },
};
