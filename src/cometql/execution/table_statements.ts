/**
 * SELECT / INSERT / DELETE on a table: the generic rules of docs/protocol/cometql.md §5.2–§5.4 and
 * §7 (column lists, WHERE as key values, LIMIT), then the table module does the work.
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import type {
  Condition,
  DeleteStatement,
  InsertStatement,
  SelectStatement,
} from "../sql/statement.ts";
import {
  type Cell,
  ok,
  type ResultColumn,
  rows,
  type StatementResult,
  textColumn,
} from "../statement_result.ts";
import type {
  CometqlTable,
  InsertRow,
  TableColumn,
  TableContext,
  WhereValues,
} from "../tables/cometql_table.ts";
import { columnByteLength } from "../tables/cometql_table.ts";
import { findTable } from "../tables/table_catalog.ts";
import { applyLimit } from "./result_limit.ts";

/**
 * Operators that name key values (docs/protocol/cometql.md §5.3); the others are refused, not
 * misread.
 */
const KEY_OPERATORS = new Set(["=", "IN", "LIKE", "<=>"]);

/** Column names are case-insensitive, as in MySQL. */
function findColumn(table: CometqlTable, name: string): TableColumn | undefined {
  for (const c of table.columns) if (c.name === name) return c;
  const lower = name.toLowerCase();
  return table.columns.find((c) => c.name === lower);
}

/**
 * docs/protocol/cometql.md §5.3, checked per condition in order: column exists (14), once (13), no
 * OR (2).
 */
function whereValues(
  table: CometqlTable,
  conditions: readonly Condition[],
): WhereValues | CometqlError {
  const values = new Map<string, string[]>();
  for (const c of conditions) {
    const column = findColumn(table, c.column);
    if (column === undefined) return Errors.notAColumn;
    if (values.has(column.name)) return Errors.conditionColumnTwice;
    if (c.or) return Errors.orNotImplemented;
    if (!KEY_OPERATORS.has(c.op)) return Errors.operatorNotImplemented(c.op);
    // `IN ('a', 'a', …)` names 'a' once, as in MySQL: duplicates must not multiply rows.
    const list = new Set<string>();
    for (const v of c.values) if (v.type !== "null") list.add(v.text);
    values.set(column.name, [...list]);
  }
  return values;
}

export async function selectFromTable(
  ctx: TableContext,
  stmt: SelectStatement,
  from: string,
): Promise<StatementResult> {
  const table = findTable(from);
  if (table === undefined) return Errors.noTable;
  if (table.select === undefined) return table.refuses?.select ?? Errors.noTable;
  if (stmt.orderBy) return Errors.orderByNotImplemented;
  const picked = pickColumns(table, stmt);
  if (isCometqlError(picked)) return picked;
  const where = whereValues(table, stmt.where);
  if (isCometqlError(where)) return where;
  const found = await table.select(ctx, where);
  if (isCometqlError(found)) return found;
  const max = ctx.node.config.limits.cometqlResultMaxBytes;
  if (cellBytes(found) > max) return Errors.resultTooLarge(max);
  const limited = applyLimit(found, stmt.limit);
  const projected = picked.indexes.every((index, i) => index === i) &&
      picked.indexes.length === table.columns.length
    ? limited
    : limited.map((row) => picked.indexes.map((index) => row[index]));
  return rows(picked.columns, projected);
}

/** Characters of every cell: the size of a result set, near enough for a bound. */
export function cellBytes(found: readonly (readonly Cell[])[]): number {
  let n = 0;
  for (const row of found) for (const cell of row) if (cell !== null) n += cell.length;
  return n;
}

/** Result columns of a table SELECT without running it (COM_STMT_PREPARE). */
export function describeTableSelect(stmt: SelectStatement, from: string): ResultColumn[] {
  const table = findTable(from);
  const picked = table === undefined ? undefined : pickColumns(table, stmt);
  return picked === undefined || isCometqlError(picked) ? [] : picked.columns;
}

/**
 * docs/protocol/cometql.md §5.2: `*` alone, or names (each once) in the order written, named as
 * written.
 */
function pickColumns(
  table: CometqlTable,
  stmt: SelectStatement,
): { columns: ResultColumn[]; indexes: number[] } | CometqlError {
  if (stmt.items.length === 1 && stmt.items[0].expr.kind === "star") {
    return {
      columns: table.columns.map((c) => textColumn(c.name, table.name, columnByteLength(c))),
      indexes: table.columns.map((_, i) => i),
    };
  }
  const columns: ResultColumn[] = [];
  const indexes: number[] = [];
  for (const item of stmt.items) {
    if (item.expr.kind === "star") return Errors.syntax;
    if (item.expr.kind !== "column") return Errors.notAColumn;
    const column = findColumn(table, item.expr.name);
    if (column === undefined) return Errors.notAColumn;
    const index = table.columns.indexOf(column);
    if (indexes.includes(index)) return Errors.selectColumnTwice;
    indexes.push(index);
    columns.push(textColumn(item.alias ?? item.expr.name, table.name, columnByteLength(column)));
  }
  return { columns, indexes };
}

/**
 * docs/protocol/cometql.md §7: with a column list, names and values equally many (14), names exist
 * (14) and are unique (13); without, exactly one value per column (14). Every row is validated
 * before the first runs (`checkInsert`), so a refused value changes nothing; then rows run in
 * order, and only a storage failure can stop the statement midway (earlier rows stay done).
 * Affected rows add up; the insert id is the first row's (MySQL's LAST_INSERT_ID rule).
 */
export async function insertIntoTable(
  ctx: TableContext,
  stmt: InsertStatement,
): Promise<StatementResult> {
  const table = findTable(stmt.table);
  if (table === undefined) return Errors.noTable;
  if (table.insert === undefined) return table.refuses?.insert ?? Errors.readOnly(table.name);
  const names = insertColumnNames(table, stmt);
  if (isCometqlError(names)) return names;
  const rowMaps: InsertRow[] = [];
  for (const values of stmt.rows) {
    if (values.length !== names.length) return Errors.columnsList;
    const row = new Map<string, string | null>();
    for (let i = 0; i < names.length; i++) {
      row.set(names[i], values[i].type === "null" ? null : values[i].text);
    }
    const bad = table.checkInsert?.(row);
    if (bad) return bad;
    rowMaps.push(row);
  }
  let affected = 0;
  let insertId = 0;
  for (let r = 0; r < rowMaps.length; r++) {
    const result = await table.insert(ctx, rowMaps[r]);
    if (isCometqlError(result)) return result;
    affected += result.affectedRows;
    if (r === 0) insertId = result.insertId;
  }
  return ok(affected, insertId);
}

function insertColumnNames(table: CometqlTable, stmt: InsertStatement): string[] | CometqlError {
  if (stmt.columns === undefined) return table.columns.map((c) => c.name);
  if (stmt.columns.length !== stmt.rows[0].length) return Errors.columnsList;
  const names: string[] = [];
  for (const written of stmt.columns) {
    const column = findColumn(table, written);
    if (column === undefined) return Errors.notAColumn;
    if (names.includes(column.name)) return Errors.insertColumnTwice;
    names.push(column.name);
  }
  return names;
}

export async function deleteFromTable(
  ctx: TableContext,
  stmt: DeleteStatement,
): Promise<StatementResult> {
  const table = findTable(stmt.table);
  if (table === undefined) return Errors.noTable;
  if (stmt.orderBy) return Errors.orderByNotImplemented;
  if (table.delete === undefined) return table.refuses?.delete ?? Errors.readOnly(table.name);
  const where = whereValues(table, stmt.where);
  if (isCometqlError(where)) return where;
  return await table.delete(ctx, where);
}
