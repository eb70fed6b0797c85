/** SHOW … and DESCRIBE (spec §6.1–§6.5, §6.9), widened to what clients and GUI tools send. */
import { Errors, isCometqlError } from "./cometql_error.ts";
import { processlistRows, statusRows } from "./server_status.ts";
import { allVariables } from "./server_variables.ts";
import type { SessionContext } from "./session_context.ts";
import type { ShowStatement } from "./statement.ts";
import { type Cell, type StatementResult, textRows } from "./statement_result.ts";
import { findTable, LISTED_TABLES } from "./tables/table_catalog.ts";
import { API_DATABASE } from "./tenant_selection.ts";

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

function filtered(pairs: Cell[][], like: string | undefined): Cell[][] {
  const match = likeMatcher(like);
  return pairs.filter((row) => match(row[0] ?? ""));
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
      return textRows(["Database"], filtered([[API_DATABASE]], stmt.like));
    case "tables": // column `Tables`, as the original (spec §6.2)
      return textRows(["Tables"], filtered(LISTED_TABLES.map((t) => [t.name]), stmt.like));
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
      return textRows(TABLE_STATUS_COLUMNS, filtered(data, stmt.like));
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
      return textRows(
        ["Field", "Type", "Null", "Key", "Default", "Extra"],
        filtered(data, stmt.like),
      );
    }
    case "variables": {
      // spec §6.5: the OS-status flags have no variables.
      const data = stmt.flag === "session" || stmt.flag === "global" ? allVariables(session) : [];
      return textRows(["Variable_name", "Value"], filtered(data, stmt.like));
    }
    case "status": {
      const pairs = await statusRows(session, stmt.flag);
      if (isCometqlError(pairs)) return pairs;
      return textRows(["Variable_name", "Value"], filtered(pairs, stmt.like));
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
