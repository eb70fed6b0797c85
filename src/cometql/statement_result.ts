/**
 * What executing one statement produces, before it is encoded for the wire (text protocol for
 * COM_QUERY, binary protocol for COM_STMT_EXECUTE).
 */
import type { CometqlError } from "./cometql_error.ts";
import { ColumnType } from "./wire/mysql_constants.ts";

export interface OkResult {
  readonly kind: "ok";
  readonly affectedRows: number;
  readonly insertId: number;
}

/** A cell is text (numbers as decimal text, as the text protocol carries them) or NULL. */
export type Cell = string | null;

export interface ResultColumn {
  readonly name: string;
  /**
   * VarString for every table column (docs/protocol/cometql.md §2.6: clients read them as strings).
   */
  readonly type: ColumnType;
  /** Table the column belongs to, "" for computed values. */
  readonly table: string;
  /**
   * Column length in the column definition: the most bytes a value can take (a table column's
   * stored size). Undefined for computed values: the encoder then uses the longest value sent.
   */
  readonly length?: number;
}

export interface RowsResult {
  readonly kind: "rows";
  readonly columns: readonly ResultColumn[];
  readonly rows: Cell[][];
}

export type StatementResult = OkResult | RowsResult | CometqlError;

export const OK_EMPTY: OkResult = { kind: "ok", affectedRows: 0, insertId: 0 };

export function ok(affectedRows: number, insertId: number): OkResult {
  return { kind: "ok", affectedRows, insertId };
}

export function textColumn(name: string, table = "", length?: number): ResultColumn {
  return { name, type: ColumnType.VarString, table, length };
}

export function rows(columns: readonly ResultColumn[], data: Cell[][]): RowsResult {
  return { kind: "rows", columns, rows: data };
}

/** A result set whose columns are all text, named by `names`. */
export function textRows(names: readonly string[], data: Cell[][], table = ""): RowsResult {
  return rows(names.map((n) => textColumn(n, table)), data);
}
