/**
 * `users_messages` (spec §7.5): private messages by user id. INSERT delivers to the user's live
 * connections or queues it (the core resolves once it is stored); SELECT shows the queue; DELETE
 * empties it.
 */
import { Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, ok } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import {
  checkEventName,
  deleteEach,
  lenientInt,
  nonNegativeIds,
  required,
} from "./table_values.ts";

export const usersMessages: CometqlTable = {
  name: "users_messages",
  comment: "Private messages to a user; queued while the user is offline",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "index", sqlType: "varchar(36)" },
    { name: "event", sqlType: "varchar(64)" },
    { name: "message", sqlType: "text" },
  ],

  async insert(ctx, row) {
    const idText = required(row, "id");
    if (isCometqlError(idText)) return idText;
    const event = required(row, "event");
    if (isCometqlError(event)) return event;
    const message = required(row, "message");
    if (isCometqlError(message)) return message;
    // spec §7.5: id 0 is allowed, only negative ids are refused.
    const userId = lenientInt(idText);
    if (!(userId >= 0)) return Errors.idNegative;
    const bad = checkEventName(event);
    if (bad) return bad;
    await ctx.node.sendPrivate(ctx.devId, userId, event, message, {
      queue: !ctx.fromCluster,
    });
    return ok(0, userId);
  },

  async select(ctx, where) {
    const ids = nonNegativeIds(where);
    if (ids === undefined) return Errors.selectWithoutKey;
    // Every queued message is delivered on the next connection (compat.md point 2), so show
    // them all, up to the per-user retention limit.
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
