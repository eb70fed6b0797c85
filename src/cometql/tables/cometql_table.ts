/**
 * What a CometQL table is (spec §7): its columns in `SELECT *` order and the three operations.
 * The generic rules — column lists, WHERE, LIMIT — live in `../table_statements.ts`; a table
 * module only validates its values and calls the core.
 */
import type { CometqlError } from "../cometql_error.ts";
import type { CometqlNode } from "../cometql_node.ts";
import type { Cell, OkResult } from "../statement_result.ts";

export interface TableColumn {
  readonly name: string;
  /** MySQL type shown by DESCRIBE. */
  readonly sqlType: string;
  /** The key column WHERE supplies values for (spec §7 summary). */
  readonly key?: boolean;
}

/** Tenant-scoped access to the core for one statement. */
export interface TableContext {
  readonly node: CometqlNode;
  readonly devId: number;
  /** The statement came from another node with the cluster prefix (spec cometql.md §3). */
  readonly fromCluster?: boolean;
}

/** Key values by column name (spec §5.3: WHERE only supplies lists of values). */
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
