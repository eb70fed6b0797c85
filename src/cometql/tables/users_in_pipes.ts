/**
 * `users_in_pipes` (docs/protocol/cometql.md §7.3): the live subscriber connections of a pipe;
 * read-only.
 */
import { Errors } from "../cometql_error.ts";
import type { Cell } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { pipeNames } from "./table_values.ts";

export const usersInPipes: CometqlTable = {
  name: "users_in_pipes",
  comment: "Subscribers of a pipe: user id and browser details (read-only)",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "user_id", sqlType: "int(11)" },
    { name: "user_uuid", sqlType: "varchar(32)" },
    { name: "user_agent", sqlType: "text" },
    { name: "ip", sqlType: "varchar(45)" },
    { name: "origin", sqlType: "text" },
    { name: "language", sqlType: "text" },
  ],

  async select(ctx, where) {
    const names = pipeNames(where);
    if (names === undefined) return Errors.selectWithoutKey;
    const result: Cell[][] = [];
    for (const name of names) {
      for (const sub of await ctx.node.subscribersEverywhere(ctx.devId, name)) {
        result.push([
          name,
          String(sub.userId),
          sub.uuid,
          sub.userAgent,
          sub.ip,
          sub.origin,
          sub.language,
        ]);
      }
    }
    return result;
  },
};
