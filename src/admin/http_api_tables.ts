/**
 * The HTTP API calls the CometQL table modules (src/cometql/tables/) directly: the same checks,
 * limits, error texts and core calls as an SQL statement, without SQL text in between. This file
 * turns their values (rows of text cells, OK results, CometQL errors) into JSON-ready values.
 */
import { Errors, isCometqlError } from "../cometql/cometql_error.ts";
import type { Cell, OkResult } from "../cometql/statement_result.ts";
import type { CometqlTable, TableContext } from "../cometql/tables/cometql_table.ts";
import { type ApiError, fromCometqlError } from "./http_api_error.ts";

/**
 * One table row as JSON: column name → value; `int` columns as numbers (docs/protocol/cometql.md
 * §7).
 */
export type JsonRow = Record<string, string | number | null>;

/** Key values by column, as a WHERE `col IN (…)` gives them (docs/protocol/cometql.md §5.3). */
export type KeyValues = Record<string, readonly string[]>;

function toJsonRow(table: CometqlTable, cells: readonly Cell[]): JsonRow {
  const row: JsonRow = {};
  table.columns.forEach((column, i) => {
    const cell = cells[i];
    row[column.name] = cell !== null && column.sqlType.startsWith("int") ? Number(cell) : cell;
  });
  return row;
}

/** `SELECT * FROM table WHERE key IN (…)`, rows as objects. */
export async function selectRows(
  table: CometqlTable,
  ctx: TableContext,
  where: KeyValues,
): Promise<JsonRow[] | ApiError> {
  if (table.select === undefined) return fromCometqlError(table.refuses?.select ?? Errors.noTable);
  const found = await table.select(ctx, new Map(Object.entries(where)));
  if (isCometqlError(found)) return fromCometqlError(found);
  return found.map((cells) => toJsonRow(table, cells));
}

/**
 * `INSERT INTO table (columns…) VALUES (…)` for one or more rows: every row is checked first
 * (`checkInsert`, as table_statements.ts does for SQL), so a refused value changes nothing; then
 * the rows run in order.
 */
export async function insertRows(
  table: CometqlTable,
  ctx: TableContext,
  rows: readonly Record<string, string | null>[],
): Promise<OkResult | ApiError> {
  if (table.insert === undefined) {
    return fromCometqlError(table.refuses?.insert ?? Errors.readOnly(table.name));
  }
  const maps = rows.map((row) => new Map(Object.entries(row)));
  for (const row of maps) {
    const bad = table.checkInsert?.(row);
    if (bad) return fromCometqlError(bad);
  }
  let affected = 0;
  for (const row of maps) {
    const done = await table.insert(ctx, row);
    if (isCometqlError(done)) return fromCometqlError(done);
    affected += done.affectedRows;
  }
  return { kind: "ok", affectedRows: affected, insertId: 0 };
}

/** `INSERT INTO table (columns…) VALUES (…)` for one row. */
export function insertRow(
  table: CometqlTable,
  ctx: TableContext,
  row: Record<string, string | null>,
): Promise<OkResult | ApiError> {
  return insertRows(table, ctx, [row]);
}

/** `DELETE FROM table WHERE key IN (…)`. */
export async function deleteRows(
  table: CometqlTable,
  ctx: TableContext,
  where: KeyValues,
): Promise<OkResult | ApiError> {
  if (table.delete === undefined) {
    return fromCometqlError(table.refuses?.delete ?? Errors.readOnly(table.name));
  }
  const done = await table.delete(ctx, new Map(Object.entries(where)));
  return isCometqlError(done) ? fromCometqlError(done) : done;
}
