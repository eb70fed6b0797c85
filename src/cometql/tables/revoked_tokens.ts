/**
 * `revoked_tokens` (spec §7.9): JWTs that may no longer log in. INSERT also logs the token's
 * user out when the token verifies (the core does that).
 */
import { Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, ok, OK_EMPTY } from "../statement_result.ts";
import type { CometqlTable } from "./cometql_table.ts";
import { required } from "./table_values.ts";

export const revokedTokens: CometqlTable = {
  name: "revoked_tokens",
  comment: "Revoked JWT tokens",
  columns: [{ name: "token", sqlType: "varbinary(600)", key: true }],

  async insert(ctx, row) {
    const token = required(row, "token");
    if (isCometqlError(token)) return token;
    await ctx.node.revokeToken(ctx.devId, token);
    return ok(1, 1);
  },

  /** The key is optional here: without WHERE every revoked token of the tenant is listed. */
  async select(ctx, where) {
    const tokens = where.get("token");
    if (tokens === undefined) {
      return (await ctx.node.listRevokedTokens(ctx.devId)).map((t) => [t]);
    }
    const result: Cell[][] = [];
    for (const token of tokens) {
      if (await ctx.node.isTokenRevoked(ctx.devId, token)) result.push([token]);
    }
    return result;
  },

  async delete(ctx, where) {
    const tokens = where.get("token");
    if (tokens === undefined) return Errors.deleteWithoutKey;
    for (const token of tokens) await ctx.node.unrevokeToken(ctx.devId, token);
    return OK_EMPTY;
  },
};
