/**
 * COM_QUERY text → one result per statement (docs/protocol/cometql.md §3; docs/compatibility.md
 * point 2). The whole text is parsed before anything runs: a syntax error anywhere — trailing junk
 * included — answers ERR 3 and nothing has been executed, published or deleted (MySQL does the
 * same; docs/protocol/cometql.md §3.1's original ran what it could). Several statements need
 * CLIENT_MULTI_STATEMENTS, as in MySQL; then each gets its result and the first failing one ends
 * the list.
 */
import { unavailableBackend } from "../../core/unavailable.ts";
import { Errors } from "../cometql_error.ts";
import { selectConstants } from "./constant_select.ts";
import { show } from "./show_statements.ts";
import type { SessionContext } from "../session_context.ts";
import { parsePipeInsert } from "../sql/pipe_insert_fast_path.ts";
import { parseQuery } from "../sql/sql_parser.ts";
import type { Statement } from "../sql/statement.ts";
import { OK_EMPTY, type StatementResult } from "../statement_result.ts";
import { deleteFromTable, insertIntoTable, selectFromTable } from "./table_statements.ts";
import { insertPipeMessage } from "../tables/pipes_messages.ts";
import { findTable } from "../tables/table_catalog.ts";
import { selectDatabase } from "../tenant_selection.ts";

function knownTable(name: string): string {
  return findTable(name)?.name ?? "other";
}

/** Texts of at most this many bytes are "too short" (docs/protocol/cometql.md §2.7). */
const MIN_QUERY_BYTES = 4;

/**
 * docs/protocol/cometql.md §3 step 2: node-to-node statements carry the tenant in this prefix
 * (docs/protocol/cometql.md §11).
 */
const CLUSTER_PREFIX = "cometqlcluster_v1 set dev_id=";

/**
 * Whether string literals from this session's tenant keep their backslashes (the opt-in legacy
 * `[cometql] verbatim_backslashes`, server-wide or for the listed dev_ids). Asked per query: the
 * tenant can change with `USE db_N` or the cluster prefix.
 */
export function verbatimBackslashes(session: SessionContext): boolean {
  const cometql = session.node.config.cometql;
  return cometql.verbatimBackslashes || cometql.verbatimBackslashesDevIds.has(session.devId);
}

/**
 * Runs a whole query text. `byteLength` is the size of the text on the wire (the limits of
 * docs/protocol/cometql.md §2.7 are in bytes). `boundValues`: the text is a prepared statement with
 * its values spliced in MySQL's escaping (prepared_statements.ts), so it is read the MySQL way
 * whatever the legacy backslash option says — bound values arrive exactly as bound.
 */
export async function runQuery(
  session: SessionContext,
  text: string,
  byteLength: number,
  boundValues = false,
): Promise<StatementResult[]> {
  if (text.startsWith(CLUSTER_PREFIX)) {
    const m = /^(\d{1,15});/.exec(text.slice(CLUSTER_PREFIX.length));
    const devId = m ? Number(m[1]) : -1;
    if (!m || devId >= session.node.config.main.devIndexSize) {
      return [Errors.invalidDevId];
    }
    session.devId = devId;
    session.fromCluster = true;
    text = text.slice(CLUSTER_PREFIX.length + m[1].length);
  }
  if (byteLength < MIN_QUERY_BYTES && !isBlank(text)) return [Errors.dataTooShort];
  if (byteLength > session.node.config.cometql.maxQuerySize) return [Errors.dataTooLong];
  const maxDepth = session.node.config.limits.sqlMaxDepth;
  const parsed = parseQuery(text, !boundValues && verbatimBackslashes(session), maxDepth);
  if (parsed.tooDeep) return [Errors.nestingTooDeep(maxDepth)];
  if (parsed.syntaxError) return [Errors.syntax];
  // Without the capability MySQL answers a parse error (ER_PARSE_ERROR, 42000) and runs nothing.
  if (parsed.statements.length > 1 && !session.multiStatements) return [Errors.syntax];
  const results: StatementResult[] = [];
  for (const stmt of parsed.statements) {
    const result = await executeStatement(session, stmt);
    results.push(result);
    if (result.kind === "error") return results;
  }
  if (results.length === 0) results.push(OK_EMPTY); // only `;`, blanks or comments
  return results;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 59 /* ; */ && c !== 32 && (c < 9 || c > 13)) return false;
  }
  return true;
}

/**
 * The hot `INSERT INTO pipes_messages` answered synchronously, without lexer and parser
 * (pipe_insert_fast_path.ts); undefined for any other text, which then goes to `runQuery`.
 * Counts, checks and publishes exactly as `runQuery` would for the same text.
 */
export function runPipeInsert(
  session: SessionContext,
  text: string,
  byteLength: number,
): StatementResult | Promise<StatementResult> | undefined {
  if (byteLength > session.node.config.cometql.maxQuerySize) return undefined;
  const insert = parsePipeInsert(text, verbatimBackslashes(session));
  if (insert === undefined) return undefined;
  session.node.stats.countQuery(INSERT_PIPES_MESSAGES);
  if (insert.kind === "columnCount") return Errors.columnsList;
  try {
    const result = insertPipeMessage(session, insert.name, insert.event, insert.message);
    return result instanceof Promise ? result.catch((e) => statementFailure(session, e)) : result;
  } catch (e) {
    return statementFailure(session, e);
  }
}

/** What `queryType` gives the hot statement (the equivalence test compares the counters). */
const INSERT_PIPES_MESSAGES = "insert:pipes_messages";

/** One statement; storage failures become ERR 500 instead of a hang or a dropped connection. */
async function executeStatement(
  session: SessionContext,
  stmt: Statement,
): Promise<StatementResult> {
  session.node.stats.countQuery(queryType(stmt));
  try {
    const result = await dispatch(session, stmt);
    if (result.kind === "ok" && result.insertId !== 0) session.lastInsertId = result.insertId;
    return result;
  } catch (e) {
    return statementFailure(session, e);
  }
}

function statementFailure(session: SessionContext, e: unknown): StatementResult {
  const down = unavailableBackend(e);
  if (down) return Errors.unavailable(down.service, down.detail);
  session.node.log.error("cometql", `statement failed: ${(e as Error)?.stack ?? e}`);
  return Errors.internal;
}

function dispatch(
  session: SessionContext,
  stmt: Statement,
): Promise<StatementResult> | StatementResult {
  switch (stmt.kind) {
    case "select":
      return stmt.from === undefined
        ? selectConstants(session, stmt)
        : selectFromTable(session, stmt, stmt.from);
    case "insert":
      return insertIntoTable(session, stmt);
    case "delete":
      return deleteFromTable(session, stmt);
    case "show":
      return show(session, stmt);
    case "use":
      return selectDatabase(session, stmt.database) ?? OK_EMPTY;
    case "set":
    case "transaction":
      return OK_EMPTY;
  }
}

/**
 * Label for the per-type query counters (`insert:pipes_messages`, `show`, …). Only from a fixed
 * set: a table name that is not in the catalogue counts as `other`, or every typo would become
 * a permanent `/metrics` series (issue 13, point 4).
 */
function queryType(stmt: Statement): string {
  switch (stmt.kind) {
    case "insert":
    case "delete":
      return `${stmt.kind}:${knownTable(stmt.table)}`;
    case "select":
      return stmt.from === undefined ? "select" : `select:${knownTable(stmt.from)}`;
    default:
      return stmt.kind;
  }
}
