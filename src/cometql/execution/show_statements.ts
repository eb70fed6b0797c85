/**
 * SHOW … and DESCRIBE (docs/protocol/cometql.md §6.1–§6.5, §6.9), widened to what clients and GUI
 * tools send.
 */
import { type CometqlError, Errors, isCometqlError } from "../cometql_error.ts";
import { processlistRows, statusRows } from "./server_status.ts";
import { allVariables } from "./server_variables.ts";
import type { SessionContext } from "../session_context.ts";
import type { Condition, ShowFilter, ShowStatement } from "../sql/statement.ts";
import { type Cell, type StatementResult, textRows } from "../statement_result.ts";
import { findTable, LISTED_TABLES } from "../tables/table_catalog.ts";
import { API_DATABASE } from "../tenant_selection.ts";

/** MySQL LIKE: `%` any run, `_` one char, backslash escapes; case-insensitive. */
function likeMatcher(pattern: string | undefined): (s: string) => boolean {
  if (pattern === undefined) return () => true;
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) re += escapeRegex(pattern[++i]);
    else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += escapeRegex(c);
  }
  const regex = new RegExp(re + "$", "i");
  return (s) => regex.test(s);
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * The rows a SHOW keeps: LIKE matches the first column; WHERE is MySQL's condition list over the
 * result's columns (AND binds tighter than OR; names and values compare case-insensitively, as
 * MySQL's SHOW results do). A column the result lacks is ERR 14 (42S22), as in MySQL.
 */
function filtered(
  columns: readonly string[],
  data: Cell[][],
  filter: ShowFilter,
): StatementResult {
  if (filter.where !== undefined) {
    const test = whereTest(columns, filter.where);
    if (isCometqlError(test)) return test;
    return textRows(columns, data.filter(test));
  }
  const match = likeMatcher(filter.like);
  return textRows(columns, data.filter((row) => match(row[0] ?? "")));
}

function whereTest(
  columns: readonly string[],
  conditions: readonly Condition[],
): ((row: Cell[]) => boolean) | CometqlError {
  // OR of groups of ANDed tests.
  const groups: ((row: Cell[]) => boolean)[][] = [];
  for (const c of conditions) {
    const index = columns.findIndex((name) => name.toLowerCase() === c.column.toLowerCase());
    if (index < 0) return Errors.notAColumn;
    const test = valueTest(c);
    if (isCometqlError(test)) return test;
    const one = (row: Cell[]) => test(row[index] ?? "");
    if (c.or || groups.length === 0) groups.push([one]);
    else groups[groups.length - 1].push(one);
  }
  return (row) => groups.some((group) => group.every((t) => t(row)));
}

function valueTest(c: Condition): ((value: string) => boolean) | CometqlError {
  const wanted = c.values.map((v) => v.text.toLowerCase());
  switch (c.op) {
    case "=":
    case "<=>":
    case "IN":
      return (value) => wanted.includes(value.toLowerCase());
    case "!=":
    case "<>":
      return (value) => !wanted.includes(value.toLowerCase());
    case "LIKE":
      return likeMatcher(c.values[0]?.text);
    default:
      return Errors.operatorNotImplemented(c.op);
  }
}

const TABLE_STATUS_COLUMNS = [
  "Name",
  "Engine",
  "Version",
  "Row_format",
  "Rows",
  "Avg_row_length",
  "Data_length",
  "Max_data_length",
  "Index_length",
  "Data_free",
  "Auto_increment",
  "Create_time",
  "Update_time",
  "Check_time",
  "Collation",
  "Checksum",
  "Create_options",
  "Comment",
];

export async function show(
  session: SessionContext,
  stmt: ShowStatement,
): Promise<StatementResult> {
  switch (stmt.what) {
    case "databases":
      return filtered(["Database"], [[API_DATABASE]], stmt);
    case "tables": // column `Tables`, as the original (docs/protocol/cometql.md §6.2)
      return filtered(["Tables"], LISTED_TABLES.map((t) => [t.name]), stmt);
    case "table_status": {
      const data = LISTED_TABLES.map((t) => [
        t.name,
        "CometQL",
        "10",
        "Dynamic",
        ...Array<string>(6).fill("0"),
        null,
        null,
        null,
        null,
        "utf8mb4_general_ci",
        null,
        "",
        t.comment,
      ]);
      return filtered(TABLE_STATUS_COLUMNS, data, stmt);
    }
    case "columns": {
      const table = findTable(stmt.table);
      if (table === undefined || table.columns.length === 0) return Errors.noTable;
      const data = table.columns.map((c) => [
        c.name,
        c.sqlType,
        "NO",
        c.key ? "PRI" : "",
        null,
        "",
      ]);
      return filtered(["Field", "Type", "Null", "Key", "Default", "Extra"], data, stmt);
    }
    case "variables": {
      // docs/protocol/cometql.md §6.5: the OS-status flags have no variables.
      const data = stmt.flag === "session" || stmt.flag === "global" ? allVariables(session) : [];
      return filtered(["Variable_name", "Value"], data, stmt);
    }
    case "status": {
      const pairs = await statusRows(session, stmt.flag);
      if (isCometqlError(pairs)) return pairs;
      return filtered(["Variable_name", "Value"], pairs, stmt);
    }
    case "processlist":
      return textRows(
        ["ServiceName", "id", "status", "count"],
        processlistRows(session.node.stats),
      );
    case "warnings":
      return textRows(["Level", "Code", "Message"], []);
  }
}
