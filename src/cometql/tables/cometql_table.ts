/**
 * What a CometQL table is (docs/protocol/cometql.md §7): its columns in `SELECT *` order and the
 * three operations. The generic rules — column lists, WHERE, LIMIT — live in
 * `../table_statements.ts`; a table module only validates its values and calls the core.
 */
import type { CometqlError } from "../cometql_error.ts";
import type { CometqlNode } from "../cometql_node.ts";
import type { Cell, OkResult } from "../statement_result.ts";

export interface TableColumn {
  readonly name: string;
  /** MySQL type shown by DESCRIBE. */
  readonly sqlType: string;
  /**
   * Most bytes a value takes, when the storage column is wider than `sqlType` says (message and
   * data texts are stored as mediumtext, db.sql); otherwise derived from `sqlType`.
   */
  readonly maxBytes?: number;
  /** The key column WHERE supplies values for (docs/protocol/cometql.md §7 summary). */
  readonly key?: boolean;
}

/** mediumtext: the storage column of message and data texts (db.sql). */
export const MEDIUMTEXT_BYTES = 16777215;

/**
 * The length a column definition reports for a table column (what MySQL reports for the same
 * type in utf8mb4): `char(n)`/`varchar(n)` 4 bytes per character, `binary(n)`/`varbinary(n)`
 * n, `int(n)` n digits, `text` 65535. Clients size result buffers by it (libmysqlclient's bound
 * results allocate length + 1 bytes), so it is the real maximum, never a blanket 16 MiB.
 */
export function columnByteLength(column: TableColumn): number {
  if (column.maxBytes !== undefined) return column.maxBytes;
  const m = /^(var)?(char|binary)\((\d+)\)$|^int\((\d+)\)$/.exec(column.sqlType);
  if (m?.[2] === "char") return Number(m[3]) * 4;
  if (m?.[2] === "binary") return Number(m[3]);
  if (m?.[4] !== undefined) return Number(m[4]);
  if (column.sqlType === "text") return 65535;
  return MEDIUMTEXT_BYTES;
}

/** Tenant-scoped access to the core for one statement. */
export interface TableContext {
  readonly node: CometqlNode;
  readonly devId: number;
  /** The statement came from another node with the cluster prefix (docs/protocol/cometql.md §3). */
  readonly fromCluster?: boolean;
}

/**
 * Key values by column name (docs/protocol/cometql.md §5.3: WHERE only supplies lists of values).
 */
export type WhereValues = ReadonlyMap<string, readonly string[]>;

/** One row of an INSERT by column name; NULL is null. */
export type InsertRow = ReadonlyMap<string, string | null>;

type Maybe<T> = T | CometqlError | Promise<T | CometqlError>;

export interface CometqlTable {
  readonly name: string;
  readonly columns: readonly TableColumn[];
  /** One line for SHOW TABLE STATUS. */
  readonly comment: string;
  /** Rows with every column, in `columns` order. */
  select?(ctx: TableContext, where: WhereValues): Maybe<Cell[][]>;
  insert?(ctx: TableContext, row: InsertRow): Maybe<OkResult>;
  /**
   * The error `insert` would give for `row` before touching the core or storage, or undefined.
   * Every row of an INSERT is checked before the first one runs, so a statement answered with a
   * validation error (too long, bad characters, missing column) has changed nothing.
   */
  checkInsert?(row: InsertRow): CometqlError | undefined;
  delete?(ctx: TableContext, where: WhereValues): Maybe<OkResult>;
  /**
   * The answer to an operation the table lacks, given before any column is checked. Defaults:
   * SELECT → ERR 15 `Table doesn't exist`, INSERT/DELETE → ERR 10 ``Table `x` is read only``.
   */
  readonly refuses?: {
    readonly select?: CometqlError;
    readonly insert?: CometqlError;
    readonly delete?: CometqlError;
  };
}
