/** `users_data` (spec §7.8): one stored text per user, readable by the user's browser. */
import { Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, ok, OK_EMPTY } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { positiveId, positiveIds, required } from "./table_values.ts";

export const usersData: CometqlTable = {
  name: "users_data",
  comment: "Text stored per user",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "data", sqlType: "text" },
  ],

  async insert(ctx, row) {
    const idText = required(row, "id");
    if (isCometqlError(idText)) return idText;
    const data = required(row, "data");
    if (isCometqlError(data)) return data;
    const userId = positiveId(idText);
    if (isCometqlError(userId)) return userId;
    await ctx.node.storage.setUserData(ctx.devId, userId, data);
    return ok(1, userId);
  },

  async select(ctx, where) {
    const ids = positiveIds(where);
    if (ids === undefined) return Errors.selectWithoutKey;
    const result: Cell[][] = [];
    for (const id of ids) {
      const data = await ctx.node.storage.getUserData(ctx.devId, id);
      if (data !== null) result.push([String(id), data]);
    }
    return result;
  },

  async delete(ctx, where) {
    const ids = positiveIds(where);
    if (ids === undefined) return Errors.selectWithoutKey;
    for (const id of ids) await ctx.node.storage.deleteUserData(ctx.devId, id);
    return OK_EMPTY;
  },
};
