/**
 * `pipes_settings` (docs/protocol/cometql.md §7.4): how many messages of a pipe's history are kept.
 */
import { MAX_PIPE_LENGTH } from "../../core/pipe_history.ts";
import { type CometqlError, isCometqlError } from "../cometql_error.ts";
import { ok } from "../statement_result.ts";
import type { CometqlTable, InsertRow } from "./cometql_table.ts";
import {
  checkPipeName,
  deleteEach,
  errorOfRow,
  lenientInt,
  pipeNames,
  requiredColumns,
  selectEach,
} from "./table_values.ts";

/** The pipe name of an INSERT row: present (12), then a valid name (11, 17, 12). */
function pipeNameOf(row: InsertRow): string | CometqlError {
  const values = requiredColumns(row, ["name"]);
  if (isCometqlError(values)) return values;
  return checkPipeName(values[0]) ?? values[0];
}

export const pipesSettings: CometqlTable = {
  name: "pipes_settings",
  comment: "History length of a pipe",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "length", sqlType: "int(11)" },
  ],

  checkInsert: errorOfRow(pipeNameOf),

  async insert(ctx, row) {
    const name = pipeNameOf(row);
    if (isCometqlError(name)) return name;
    const raw = row.get("length");
    const parsed = raw == null ? 0 : lenientInt(raw);
    // docs/protocol/cometql.md §7.4: the length is clamped to 0…1000.
    const length = Number.isNaN(parsed)
      ? MAX_PIPE_LENGTH
      : Math.min(MAX_PIPE_LENGTH, Math.max(0, parsed));
    await ctx.node.setPipeLength(ctx.devId, name, length);
    return ok(1, 0);
  },

  select(ctx, where) {
    return selectEach(pipeNames(where), (name) => ctx.node.pipeLength(ctx.devId, name));
  },

  delete(ctx, where) {
    return deleteEach(pipeNames(where), (name) => ctx.node.deletePipeSettings(ctx.devId, name));
  },
};
