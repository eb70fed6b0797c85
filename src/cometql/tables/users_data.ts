/**
 * `users_data` (docs/protocol/cometql.md §7.8): one stored text per user, readable by the user's
 * browser.
 */
import { type CometqlError, isCometqlError } from "../cometql_error.ts";
import { MEDIUMTEXT_BYTES } from "./cometql_table.ts";
import type { CometqlTable, InsertRow } from "./cometql_table.ts";
import { positiveId, requiredColumns } from "./table_values.ts";
import { userTextTable } from "./user_text_table.ts";

/**
 * id and data present, id > 0. No length check: data is stored as mediumtext (16 MiB), larger
 * than any query `[cometql] max_query_size` admits.
 */
function dataRow(row: InsertRow): { userId: number; text: string } | CometqlError {
  const values = requiredColumns(row, ["id", "data"]);
  if (isCometqlError(values)) return values;
  const [idText, data] = values;
  const userId = positiveId(idText);
  if (isCometqlError(userId)) return userId;
  return { userId, text: data };
}

export const usersData: CometqlTable = userTextTable({
  name: "users_data",
  comment: "Text stored per user",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "data", sqlType: "text", maxBytes: MEDIUMTEXT_BYTES },
  ],
  rowOf: dataRow,
  read: (ctx, id) => ctx.node.storedUserData(ctx.devId, id),
  write: (ctx, id, data) => ctx.node.setUserData(ctx.devId, id, data),
  remove: (ctx, id) => ctx.node.deleteUserData(ctx.devId, id),
});
