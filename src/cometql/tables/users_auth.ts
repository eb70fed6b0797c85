/**
 * `users_auth` (docs/protocol/cometql.md §7.7): the hash a browser authenticates with. DELETE also
 * disconnects the user's live connections (the core does that).
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import type { CometqlTable, InsertRow } from "./cometql_table.ts";
import { positiveId, requiredColumns } from "./table_values.ts";
import { userTextTable } from "./user_text_table.ts";

const MAX_HASH = 32;

/** `0-9 A-Z a-z = + / _` (docs/protocol/cometql.md §7.7). */
function isHashChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
      c === 61 || c === 43 || c === 47 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/**
 * docs/protocol/cometql.md §7.7 order: id and hash present (12), id > 0 (12), hash characters (12),
 * length (11).
 */
function authRow(row: InsertRow): { userId: number; text: string } | CometqlError {
  const values = requiredColumns(row, ["id", "hash"]);
  if (isCometqlError(values)) return values;
  const [idText, hash] = values;
  const userId = positiveId(idText);
  if (isCometqlError(userId)) return userId;
  // docs/protocol/cometql.md §7.7: the character check comes before the length check.
  if (!isHashChars(hash)) return Errors.hashChars;
  if (hash.length > MAX_HASH) return Errors.hashTooLong;
  return { userId, text: hash };
}

export const usersAuth: CometqlTable = userTextTable({
  name: "users_auth",
  comment: "Authentication hashes of users",
  columns: [
    { name: "id", sqlType: "int(11)", key: true },
    { name: "hash", sqlType: "varchar(32)" },
  ],
  rowOf: authRow,
  read: (ctx, id) => ctx.node.getAuthHash(ctx.devId, id),
  write: (ctx, id, hash) => ctx.node.setAuthHash(ctx.devId, id, hash),
  remove: (ctx, id) => ctx.node.deleteAuthHash(ctx.devId, id),
});
