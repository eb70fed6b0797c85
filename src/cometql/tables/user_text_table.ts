/**
 * A table holding one text per user, keyed by `id` > 0 (docs/protocol/cometql.md: `users_auth`
 * §7.7, `users_data` §7.8): INSERT checks the row and stores the text (OK, insert id = the
 * user id), SELECT gives `[id, text]` for the users that have one, DELETE removes each. What
 * differs, the row's checks and the core calls, is the table module's.
 */
import { type CometqlError, isCometqlError } from "../cometql_error.ts";
import { ok } from "../statement_result.ts";
import type { CometqlTable, InsertRow, TableColumn, TableContext } from "./cometql_table.ts";
import { deleteEach, errorOfRow, positiveIds, selectEach } from "./table_values.ts";

export interface UserTextTable {
  name: string;
  comment: string;
  /** `id` first, then the text column. */
  columns: readonly [TableColumn, TableColumn];
  /** The checked values of an INSERT row, or the first error (docs/protocol/cometql.md order). */
  rowOf(row: InsertRow): { userId: number; text: string } | CometqlError;
  read(ctx: TableContext, userId: number): Promise<string | null>;
  write(ctx: TableContext, userId: number, text: string): Promise<void>;
  remove(ctx: TableContext, userId: number): Promise<void>;
}

export function userTextTable(spec: UserTextTable): CometqlTable {
  return {
    name: spec.name,
    comment: spec.comment,
    columns: spec.columns,

    checkInsert: errorOfRow(spec.rowOf),

    async insert(ctx, row) {
      const values = spec.rowOf(row);
      if (isCometqlError(values)) return values;
      await spec.write(ctx, values.userId, values.text);
      return ok(1, values.userId);
    },

    select(ctx, where) {
      return selectEach(positiveIds(where), (id) => spec.read(ctx, id));
    },

    delete(ctx, where) {
      return deleteEach(positiveIds(where), (id) => spec.remove(ctx, id));
    },
  };
}
