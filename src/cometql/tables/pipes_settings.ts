/** `pipes_settings` (spec §7.4): how many messages of a pipe's history are kept. */
import { MAX_PIPE_LENGTH } from "../../core/pipe_history.ts";
import { Errors, isCometqlError } from "../cometql_error.ts";
import { ok } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { checkPipeName, deleteEach, lenientInt, pipeNames, required } from "./table_values.ts";

export const pipesSettings: CometqlTable = {
  name: "pipes_settings",
  comment: "History length of a pipe",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "length", sqlType: "int(11)" },
  ],

  checkInsert(row) {
    const name = required(row, "name");
    return isCometqlError(name) ? name : checkPipeName(name);
  },

  async insert(ctx, row) {
    const name = required(row, "name");
    if (isCometqlError(name)) return name;
    const bad = checkPipeName(name);
    if (bad) return bad;
    const raw = row.get("length");
    const parsed = raw == null ? 0 : lenientInt(raw);
    // spec §7.4: the length is clamped to 0…1000.
    const length = Number.isNaN(parsed)
      ? MAX_PIPE_LENGTH
      : Math.min(MAX_PIPE_LENGTH, Math.max(0, parsed));
    await ctx.node.setPipeLength(ctx.devId, name, length);
    return ok(1, 0);
  },

  select(ctx, where) {
    const names = pipeNames(where);
    if (names === undefined) return Errors.selectWithoutKey;
    const result = [];
    for (const name of names) {
      const length = ctx.node.pipeLength(ctx.devId, name);
      if (length !== undefined) result.push([name, String(length)]);
    }
    return result;
  },

  delete(ctx, where) {
    return deleteEach(pipeNames(where), (name) => ctx.node.deletePipeSettings(ctx.devId, name));
  },
};
