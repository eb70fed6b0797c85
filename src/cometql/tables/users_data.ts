/** `users_data` (spec §7.8): one stored text per user, readable by the user's browser. */
import { Errors, isCometqlError } from "../cometql_error.ts";
import { ok } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { deleteEach, positiveId, positiveIds, required, storedTextRows } from "./table_values.ts";

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
    await ctx.node.setUserData(ctx.devId, userId, data);
    return ok(1, userId);
  },

  select(ctx, where) {
    const ids = positiveIds(where);
    if (ids === undefined) return Errors.selectWithoutKey;
    return storedTextRows(ids, (id) => ctx.node.storedUserData(ctx.devId, id));
  },

  delete(ctx, where) {
    return deleteEach(positiveIds(where), (id) => ctx.node.deleteUserData(ctx.devId, id));
  },
};
