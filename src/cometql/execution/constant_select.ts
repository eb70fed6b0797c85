/**
 * SELECT without a table: literals, `@@variables`, a few functions and arithmetic — what client
 * libraries and connection pools send (`SELECT 1`, `SELECT @@version_comment LIMIT 1`,
 * `SELECT DATABASE(), USER()`). The original accepted only `@@x` and `DATABASE()`
 * (docs/protocol/cometql.md §6.6–6.7).
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { ColumnType } from "../wire/mysql_constants.ts";
import { applyLimit } from "./result_limit.ts";
import { variableValue, VERSION } from "./server_variables.ts";
import type { SessionContext } from "../session_context.ts";
import type { Expr, SelectStatement } from "../sql/statement.ts";
import { type Cell, type ResultColumn, rows, type StatementResult } from "../statement_result.ts";

/** A computed value: its text (or null) and its MySQL type. */
interface Value {
  readonly type: ColumnType.LongLong | ColumnType.NewDecimal | ColumnType.VarString;
  readonly text: string | null;
}

const NULL: Value = { type: ColumnType.VarString, text: null };

function str(text: string | null): Value {
  return { type: ColumnType.VarString, text };
}

function num(n: number): Value {
  if (!Number.isFinite(n)) return NULL;
  return Number.isInteger(n)
    ? { type: ColumnType.LongLong, text: String(n) }
    : { type: ColumnType.NewDecimal, text: String(n) };
}

export function selectConstants(session: SessionContext, stmt: SelectStatement): StatementResult {
  if (stmt.where.length > 0 || stmt.orderBy) return Errors.syntax;
  const columns: ResultColumn[] = [];
  const row: Cell[] = [];
  for (const item of stmt.items) {
    const v = evaluate(session, item.expr);
    if (isCometqlError(v)) return v;
    columns.push({ name: item.alias ?? item.text, type: v.type, table: "" });
    row.push(v.text);
  }
  return rows(columns, applyLimit([row], stmt.limit));
}

function evaluate(session: SessionContext, expr: Expr): Value | CometqlError {
  switch (expr.kind) {
    case "literal": {
      const { type, text } = expr.value;
      if (type === "null") return NULL;
      if (type === "string") return str(text);
      return /^\d+$/.test(text) && text.length < 16
        ? { type: ColumnType.LongLong, text: String(Number(text)) }
        : { type: ColumnType.NewDecimal, text };
    }
    case "sysvar": {
      const v = variableValue(session, expr.name);
      if (v === undefined) return Errors.unknownVariable(expr.name);
      return v.numeric ? { type: ColumnType.LongLong, text: v.text } : str(v.text);
    }
    case "uservar":
      return NULL; // user variables are never set: SET has no effect (docs/protocol/cometql.md §6.8)
    case "call":
      return call(session, expr.name, expr.args);
    case "unary": {
      const v = evaluate(session, expr.arg);
      if (isCometqlError(v) || v.text === null) return v;
      return expr.op === "-" ? num(-toNumber(v)) : num(toNumber(v));
    }
    case "binary":
      return arithmetic(session, expr.op, expr.left, expr.right);
    case "column":
      return Errors.notAColumn; // no table to take a column from
    case "star":
      return Errors.syntax;
  }
}

function toNumber(v: Value): number {
  const n = parseFloat(v.text ?? "");
  return Number.isNaN(n) ? 0 : n;
}

function arithmetic(session: SessionContext, op: string, l: Expr, r: Expr): Value | CometqlError {
  const a = evaluate(session, l);
  if (isCometqlError(a)) return a;
  const b = evaluate(session, r);
  if (isCometqlError(b)) return b;
  if (a.text === null || b.text === null) return NULL;
  const x = toNumber(a);
  const y = toNumber(b);
  switch (op) {
    case "+":
      return num(x + y);
    case "-":
      return num(x - y);
    case "*":
      return num(x * y);
    case "/": // MySQL: division gives 4 decimals (div_precision_increment), NULL for / 0
      return y === 0 ? NULL : { type: ColumnType.NewDecimal, text: (x / y).toFixed(4) };
    case "DIV":
      return y === 0 ? NULL : num(Math.trunc(x / y));
    default: // % and MOD
      return y === 0 ? NULL : num(x % y);
  }
}

function call(session: SessionContext, name: string, args: readonly Expr[]): Value | CometqlError {
  switch (name) {
    case "DATABASE":
    case "SCHEMA":
      return str(session.database);
    case "USER":
    case "CURRENT_USER":
    case "SESSION_USER":
    case "SYSTEM_USER":
      return str(`${session.user}@${session.host}`);
    case "CONNECTION_ID":
      return num(session.connectionId);
    case "VERSION":
      return str(VERSION);
    case "LAST_INSERT_ID":
      return num(session.lastInsertId);
    case "UUID":
      return str(crypto.randomUUID());
    case "UNIX_TIMESTAMP":
      return args.length === 0 ? num(Math.floor(Date.now() / 1000)) : Errors.unknownFunction(name);
    case "NOW":
    case "SYSDATE":
    case "CURRENT_TIMESTAMP":
    case "LOCALTIME":
    case "LOCALTIMESTAMP":
      return str(dateTime(new Date(), false));
    case "UTC_TIMESTAMP":
      return str(dateTime(new Date(), true));
    case "CURDATE":
    case "CURRENT_DATE":
      return str(dateTime(new Date(), false).slice(0, 10));
    case "CURTIME":
    case "CURRENT_TIME":
      return str(dateTime(new Date(), false).slice(11));
    default:
      return Errors.unknownFunction(name);
  }
}

/** `YYYY-MM-DD HH:MM:SS` in the server's time zone (`time_zone` = SYSTEM) or UTC. */
function dateTime(d: Date, utc: boolean): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const [y, mo, day, h, mi, s] = utc
    ? [
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ]
    : [
      d.getFullYear(),
      d.getMonth() + 1,
      d.getDate(),
      d.getHours(),
      d.getMinutes(),
      d.getSeconds(),
    ];
  return `${y}-${two(mo)}-${two(day)} ${two(h)}:${two(mi)}:${two(s)}`;
}
