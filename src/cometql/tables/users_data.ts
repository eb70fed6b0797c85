/** `users_data` (docs/protocol/cometql.md §7.8): one stored text per user, readable by the user's browser. */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { ok } from "../statement_result.ts";
import { MEDIUMTEXT_BYTES } from "./cometql_table.ts";
import type { CometqlTable, InsertRow } from "./cometql_table.ts";
import {
  deleteEach,
  errorOfRow,
  positiveId,
  positiveIds,
  requiredColumns,
  storedTextRows,
} from "./table_values.ts";

/**
 * id and data present, id > 0. No length check: data is stored as mediumtext (16 MiB), larger
 * than any query `[cometql] max_query_size` admits.
 */
function dataRow(row: InsertRow): { userId: number; data: string } | CometqlError {
  const values = requiredColumns(row, ["id", "data"]);
  if (isCometqlError(values)) return values;
  const [idText, data] = values;
  const userId = positiveId(idText);
  if (isCometqlError(userId)) return userId;
  return { userId, data };
}

export const usersData: CometqlTable = {
  name: "users_data",
  comment: "Text stored per user",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "data", sqlType: "text", maxBytes: MEDIUMTEXT_BYTES },
  ],

  checkInsert: errorOfRow(dataRow),

  async insert(ctx, row) {
    const values = dataRow(row);
    if (isCometqlError(values)) return values;
    await ctx.node.setUserData(ctx.devId, values.userId, values.data);
    return ok(1, values.userId);
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
