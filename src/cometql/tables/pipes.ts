/** `pipes` (docs/protocol/cometql.md §7.2): subscriber count per pipe on every node; read-only. */
import type { CometqlTable } from "./cometql_table.ts";
import { pipeNames, selectEach } from "./table_values.ts";

export const pipes: CometqlTable = {
  name: "pipes",
  comment: "Number of subscribers of a pipe (read-only)",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "users", sqlType: "int(11)" },
  ],

  select(ctx, where) {
    return selectEach(
      pipeNames(where),
      (name) => ctx.node.countSubscribersEverywhere(ctx.devId, name),
    );
  },
};
