/**
 * `users_messages` (docs/protocol/cometql.md §7.5): private messages by user id. INSERT delivers to
 * the user's live connections or queues it (the core resolves once it is stored); SELECT shows the
 * queue; DELETE empties it.
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, ok } from "../statement_result.ts";
import { MEDIUMTEXT_BYTES } from "./cometql_table.ts";
import type { CometqlTable, InsertRow } from "./cometql_table.ts";
import {
  checkEventName,
  deleteEach,
  errorOfRow,
  nonNegativeId,
  nonNegativeIds,
  requiredColumns,
} from "./table_values.ts";

/**
 * docs/protocol/cometql.md §7.5: id, event, message present (12); id ≥ 0 (12); event name (11, 12).
 */
function messageRow(
  row: InsertRow,
): { userId: number; event: string; message: string } | CometqlError {
  const values = requiredColumns(row, ["id", "event", "message"]);
  if (isCometqlError(values)) return values;
  const [idText, event, message] = values;
  // docs/protocol/cometql.md §7.5: id 0 is allowed, only negative ids are refused.
  const userId = nonNegativeId(idText);
  if (isCometqlError(userId)) return userId;
  return checkEventName(event) ?? { userId, event, message };
}

export const usersMessages: CometqlTable = {
  name: "users_messages",
  comment: "Private messages to a user; queued while the user is offline",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "index", sqlType: "varchar(36)" },
    { name: "event", sqlType: "varchar(64)" },
    { name: "message", sqlType: "text", maxBytes: MEDIUMTEXT_BYTES },
  ],

  checkInsert: errorOfRow(messageRow),

  async insert(ctx, row) {
    const values = messageRow(row);
    if (isCometqlError(values)) return values;
    await ctx.node.sendPrivate(ctx.devId, values.userId, values.event, values.message, {
      queue: !ctx.fromCluster,
    });
    return ok(0, values.userId);
  },

  async select(ctx, where) {
    const ids = nonNegativeIds(where);
    if (ids === undefined) return Errors.selectWithoutKey;
    // Every queued message is delivered on the next connection (docs/compatibility.md point 2), so
    // show them all, up to the per-user retention limit.
    const limit = ctx.node.config.retention.queueMaxPerUser;
    const result: Cell[][] = [];
    for (const id of ids) {
      for (const m of await ctx.node.readQueue(ctx.devId, id, limit)) {
        result.push([String(id), m.id, m.event, m.message]);
      }
    }
    return result;
  },

  delete(ctx, where) {
    return deleteEach(nonNegativeIds(where), (id) => ctx.node.clearQueue(ctx.devId, id));
  },
};
