/**
 * The typed form of a CometQL statement, produced by `sql_parser.ts` (grammar:
 * docs/protocol/cometql.md §5.1, widened to what MySQL client libraries send —
 * docs/compatibility.md point 2).
 */

/** A value as written: string literals already unescaped, numbers as their decimal text. */
export interface Literal {
  readonly type: "string" | "number" | "null";
  readonly text: string;
}

export type Expr =
  | { readonly kind: "literal"; readonly value: Literal }
  /** A bare or quoted name: a column in a table select. */
  | { readonly kind: "column"; readonly name: string }
  /** `@@name`, `@@session.name`, `@@global.name`. */
  | { readonly kind: "sysvar"; readonly name: string }
  | { readonly kind: "uservar"; readonly name: string }
  /** Function call or argument-less SQL function keyword (CURRENT_TIMESTAMP); name upper-case. */
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: "unary"; readonly op: "-" | "+"; readonly arg: Expr }
  | { readonly kind: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "star" };

export interface SelectItem {
  readonly expr: Expr;
  readonly alias?: string;
  /** The expression as written: MySQL names an unaliased column after its source text. */
  readonly text: string;
}

/** One WHERE condition (docs/protocol/cometql.md §5.3); `or` = joined to the previous one by OR. */
export interface Condition {
  readonly column: string;
  /** `=`, `IN`, `LIKE`, or another comparison operator (upper-case). */
  readonly op: string;
  readonly values: readonly Literal[];
  readonly or: boolean;
}

/** MySQL meaning: skip `offset` rows, return at most `count` (docs/compatibility.md point 2). */
export interface Limit {
  readonly offset: number;
  readonly count: number;
}

export interface SelectStatement {
  readonly kind: "select";
  readonly items: readonly SelectItem[];
  /** Table name; undefined for a constant select (also `FROM DUAL`). */
  readonly from?: string;
  readonly where: readonly Condition[];
  readonly orderBy: boolean;
  readonly limit?: Limit;
}

export interface InsertStatement {
  readonly kind: "insert";
  readonly table: string;
  readonly columns?: readonly string[];
  readonly rows: readonly (readonly Literal[])[];
}

export interface DeleteStatement {
  readonly kind: "delete";
  readonly table: string;
  readonly where: readonly Condition[];
  readonly orderBy: boolean;
}

export type StatusFlag = "session" | "global" | "filesystem" | "ram" | "avg" | "uptime";

/** `LIKE 'pattern'` or `WHERE conditions` on the first column (or any, for WHERE). */
export interface ShowFilter {
  readonly like?: string;
  /** `SHOW VARIABLES WHERE Variable_name = 'x'` (old JDBC drivers send it at connect). */
  readonly where?: readonly Condition[];
}

export type ShowStatement =
  | ({ readonly kind: "show"; readonly what: "databases" } & ShowFilter)
  | ({ readonly kind: "show"; readonly what: "tables" } & ShowFilter)
  | ({ readonly kind: "show"; readonly what: "table_status" } & ShowFilter)
  | { readonly kind: "show"; readonly what: "processlist" }
  | { readonly kind: "show"; readonly what: "warnings" }
  | ({
    readonly kind: "show";
    readonly what: "status";
    readonly flag: StatusFlag;
  } & ShowFilter)
  | ({
    readonly kind: "show";
    readonly what: "variables";
    readonly flag: StatusFlag;
  } & ShowFilter)
  | ({
    readonly kind: "show";
    readonly what: "columns";
    readonly table: string;
  } & ShowFilter);

export type Statement =
  | SelectStatement
  | InsertStatement
  | DeleteStatement
  | ShowStatement
  /** Every SET form is accepted and has no effect (docs/protocol/cometql.md §6.8). */
  | { readonly kind: "set" }
  | { readonly kind: "use"; readonly database: string }
  /** BEGIN / COMMIT / ROLLBACK / START TRANSACTION: accepted, CometQL is always autocommit. */
  | { readonly kind: "transaction" };
