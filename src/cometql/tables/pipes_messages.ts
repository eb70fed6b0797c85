/**
 * `pipes_messages` (docs/protocol/cometql.md §7.1): INSERT publishes to a pipe — the CometQL hot
 * path, answered as soon as `node.publish` returns (history is written in the background by the
 * core); SELECT reads the pipe history; DELETE clears history by pipe name or message id.
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, OK_EMPTY, type OkResult } from "../statement_result.ts";
import { MEDIUMTEXT_BYTES } from "./cometql_table.ts";
import type { CometqlTable, InsertRow, TableContext } from "./cometql_table.ts";
import {
  checkEventName,
  checkPipeName,
  errorOfRow,
  isPipeName,
  pipeNames,
  requiredColumns,
} from "./table_values.ts";

/** Most history rows per pipe that a SELECT shows (docs/protocol/cometql.md §7.1). */
const HISTORY_ROWS = 99;

/**
 * docs/protocol/cometql.md §7.1: pipe name, then event name (11, 17, 12); the message has no limit
 * of its own.
 */
function checkPipeMessage(name: string, event: string): CometqlError | undefined {
  return checkPipeName(name) ?? checkEventName(event);
}

function messageRow(row: InsertRow): [string, string, string] | CometqlError {
  const values = requiredColumns(row, ["name", "event", "message"]);
  if (isCometqlError(values)) return values;
  return checkPipeMessage(values[0], values[1]) ?? values;
}

/**
 * One row of the INSERT once its three values are known; shared with the parser-free hot path
 * (../pipe_insert_fast_path.ts), so both check and publish the same way.
 */
export function insertPipeMessage(
  ctx: TableContext,
  name: string,
  event: string,
  message: string,
): OkResult | CometqlError | Promise<OkResult> {
  const bad = checkPipeMessage(name, event);
  if (bad) return bad;
  const published = ctx.node.publishStored(ctx.devId, name, event, message);
  // Several nodes: OK only once the other nodes were reached; `[retention] history_sync`: once
  // the history row is stored. A rejection is the error reply.
  return typeof published === "number" ? OK_EMPTY : published.then(() => OK_EMPTY);
}

export const pipesMessages: CometqlTable = {
  name: "pipes_messages",
  comment: "Publish to a pipe; read or clear its history",
  columns: [
    { name: "id", sqlType: "varchar(36)" },
    { name: "time", sqlType: "int(11)" },
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "index", sqlType: "int(11)" },
    { name: "event", sqlType: "varchar(64)" },
    { name: "message", sqlType: "text", maxBytes: MEDIUMTEXT_BYTES },
    { name: "user_id", sqlType: "int(11)" },
  ],

  checkInsert: errorOfRow(messageRow),

  insert(ctx, row) {
    const values = messageRow(row);
    if (isCometqlError(values)) return values;
    return insertPipeMessage(ctx, values[0], values[1], values[2]);
  },

  async select(ctx, where) {
    const names = pipeNames(where);
    if (names === undefined) return Errors.selectWithoutKey;
    const result: Cell[][] = [];
    // Checked per pipe, so a query over many pipes stops before it holds them all.
    const max = ctx.node.config.limits.cometqlResultMaxBytes;
    let bytes = 0;
    for (const name of names) {
      if (bytes > max) return Errors.resultTooLarge(max);
      for (const m of await ctx.node.readHistory(ctx.devId, name, HISTORY_ROWS)) {
        bytes += m.message.length + m.id.length + m.pipe.length + m.event.length;
        result.push([
          m.id,
          String(m.time),
          m.pipe,
          String(result.length),
          m.event,
          m.message,
          String(m.userId),
        ]);
      }
    }
    return result;
  },

  async delete(ctx, where) {
    const names = pipeNames(where);
    const ids = where.get("id")?.filter(isPipeName);
    if (names === undefined && ids === undefined) return Errors.selectWithoutKey;
    for (const name of names ?? []) await ctx.node.deleteHistory(ctx.devId, name);
    for (const id of ids ?? []) await ctx.node.deleteHistoryMessage(ctx.devId, id);
    return OK_EMPTY;
  },
};
