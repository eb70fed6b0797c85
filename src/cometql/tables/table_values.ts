/**
 * Value checks shared by the tables (docs/protocol/cometql.md §7 "validation vocabulary", §4.3
 * integer rule), and the key-value loops that several tables run the same way
 * (docs/protocol/cometql.md §5.3).
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { type Cell, OK_EMPTY, type OkResult } from "../statement_result.ts";
import type { InsertRow, WhereValues } from "./cometql_table.ts";

/** Length 3…64, only `A–Z a–z 0–9 _ -` (docs/protocol/cometql.md §7). */
export function isPipeName(name: string): boolean {
  return checkPipeName(name) === undefined;
}

function isNameChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
      c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/** docs/protocol/cometql.md §7.1 order: too long (11), too short (17), bad characters (12). */
export function checkPipeName(name: string): CometqlError | undefined {
  if (name.length > 64) return Errors.channelNameTooLong;
  if (name.length < 3) return Errors.channelNameTooShort;
  if (!isNameChars(name)) return Errors.channelNameChars;
  return undefined;
}

/**
 * Event names: at most 64 chars of the pipe-name alphabet; empty allowed (docs/protocol/cometql.md
 * §7.1).
 */
export function checkEventName(event: string): CometqlError | undefined {
  if (event.length > 64) return Errors.eventNameTooLong;
  if (!isNameChars(event)) return Errors.channelNameChars;
  return undefined;
}

/**
 * docs/protocol/cometql.md §4.3: leading digits count (`'12abc'` → 12), anything else is 0. Values
 * beyond the safe integer range give NaN, which every caller refuses.
 */
export function lenientInt(text: string): number {
  const n = parseInt(text, 10);
  if (Number.isNaN(n)) return 0;
  return Number.isSafeInteger(n) ? n : NaN;
}

/**
 * The values of an INSERT row's required columns, in the order asked, or ERR 12
 * ``field `x` is required`` for the first one missing or NULL (the tables list their columns in
 * the order docs/protocol/cometql.md §7 checks them).
 */
export function requiredColumns<const C extends readonly string[]>(
  row: InsertRow,
  columns: C,
): { -readonly [K in keyof C]: string } | CometqlError {
  const values: string[] = [];
  for (const column of columns) {
    const v = row.get(column);
    if (v === undefined || v === null) return Errors.required(column);
    values.push(v);
  }
  return values as { -readonly [K in keyof C]: string };
}

/**
 * `checkInsert` for a table whose INSERT starts by turning the row into values: the error that
 * conversion gives, or undefined. Keeps `checkInsert` and `insert` on the same checks.
 */
export function errorOfRow<T>(
  toValues: (row: InsertRow) => T | CometqlError,
): (row: InsertRow) => CometqlError | undefined {
  return (row) => {
    const values = toValues(row);
    return isCometqlError(values) ? values : undefined;
  };
}

/**
 * Largest user id: the storage columns are `int` (db.sql). Larger ids are refused here, before
 * storage is asked (the original wrapped them at 2^31; a storage error would read as an outage).
 */
export const MAX_USER_ID = 2147483647;

/**
 * A user id for INSERT: > 0, else ERR 12 `The id field must be non-negative` (sic,
 * docs/protocol/cometql.md §7.7).
 */
export function positiveId(text: string): number | CometqlError {
  const id = lenientInt(text);
  if (id > MAX_USER_ID) return Errors.idTooLarge;
  return id > 0 ? id : Errors.idNegative;
}

/**
 * A user id for INSERT that may be 0 (docs/protocol/cometql.md §7.5): ≥ 0 and at most MAX_USER_ID.
 */
export function nonNegativeId(text: string): number | CometqlError {
  const id = lenientInt(text);
  if (id > MAX_USER_ID) return Errors.idTooLarge;
  return id >= 0 ? id : Errors.idNegative;
}

/** Key values of `id` converted to user ids; invalid (≤ 0 or too large) ones skipped (§7.7). */
export function positiveIds(where: WhereValues): number[] | undefined {
  return where.get("id")?.map(lenientInt).filter((id) => id > 0 && id <= MAX_USER_ID);
}

/**
 * Valid pipe names among the key values (others are skipped silently, docs/protocol/cometql.md
 * §5.3).
 */
export function pipeNames(where: WhereValues): string[] | undefined {
  return where.get("name")?.filter(isPipeName);
}

/**
 * Key values of `id` as user ids ≥ 0 (0 allowed); others skipped (docs/protocol/cometql.md §7.5,
 * §7.6).
 */
export function nonNegativeIds(where: WhereValues): number[] | undefined {
  return where.get("id")?.map(lenientInt).filter((id) => id >= 0 && id <= MAX_USER_ID);
}

/**
 * SELECT by key values: without a condition on the key column ERR 13 (docs/protocol/cometql.md
 * §5.3), else a `[key, value]` row per valid key, in key order; a key whose value is null or
 * undefined (nothing stored) gives no row (§7.4, §7.7, §7.8).
 */
export async function selectEach<K extends string | number>(
  keys: readonly K[] | undefined,
  read: (key: K) => Stored | Promise<Stored>,
): Promise<Cell[][] | CometqlError> {
  if (keys === undefined) return Errors.selectWithoutKey;
  const rows: Cell[][] = [];
  for (const key of keys) {
    const value = await read(key);
    if (value !== null && value !== undefined) rows.push([String(key), String(value)]);
  }
  return rows;
}

type Stored = string | number | null | undefined;

/**
 * DELETE by key values: without a condition on the key column ERR 13 with the *Selection* text
 * (docs/protocol/cometql.md §5.3; only `revoked_tokens` says *Deleting*), else each valid key
 * removed in order, then OK 0/0.
 */
export async function deleteEach<K>(
  keys: readonly K[] | undefined,
  remove: (key: K) => Promise<void>,
): Promise<OkResult | CometqlError> {
  if (keys === undefined) return Errors.selectWithoutKey;
  for (const key of keys) await remove(key);
  return OK_EMPTY;
}
