/**
 * `revoked_tokens` (docs/protocol/cometql.md §7.9): JWTs that may no longer log in. INSERT also
 * logs the token's user out when the token verifies (the core does that).
 */
import { MAX_TOKEN_BYTES } from "../../core/user_auth.ts";
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, ok, OK_EMPTY } from "../statement_result.ts";
import type { CometqlTable, InsertRow } from "./cometql_table.ts";
import { errorOfRow, requiredColumns } from "./table_values.ts";

const encoder = new TextEncoder();

/**
 * The token of an INSERT row, or the error: missing (12), or longer than the stored column
 * (`varbinary(600)`, docs/protocol/cometql.md §9.1) — ERR 11 decided here, before storage is asked
 * (a storage error would read as an outage and invite retries).
 */
function tokenOf(row: InsertRow): string | CometqlError {
  const values = requiredColumns(row, ["token"]);
  if (isCometqlError(values)) return values;
  const [token] = values;
  if (token.length > MAX_TOKEN_BYTES / 3 && encoder.encode(token).length > MAX_TOKEN_BYTES) {
    return Errors.tokenTooLong;
  }
  return token;
}

export const revokedTokens: CometqlTable = {
  name: "revoked_tokens",
  comment: "Revoked JWT tokens",
  columns: [{ name: "token", sqlType: `varbinary(${MAX_TOKEN_BYTES})`, key: true }],

  checkInsert: errorOfRow(tokenOf),

  async insert(ctx, row) {
    const token = tokenOf(row);
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
