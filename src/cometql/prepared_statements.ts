/**
 * Server-side prepared statements (COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA / CLOSE / RESET).
 * The original answered these with a lone EOF (docs/protocol/cometql.md §2.5). We prepare by
 * parsing the text and counting `?`; EXECUTE splices the bound values into the text as SQL literals
 * and runs it like COM_QUERY; rows go back in the binary protocol (`reply_encoder.ts`).
 */
import { type CometqlError, Errors } from "./cometql_error.ts";
import { ColumnType } from "./wire/mysql_constants.ts";
import { selectConstants } from "./execution/constant_select.ts";
import { writeColumn, writeEof } from "./wire/reply_encoder.ts";
import type { SessionContext } from "./session_context.ts";
import { show } from "./execution/show_statements.ts";
import { parseQuery } from "./sql/sql_parser.ts";
import type { Statement } from "./sql/statement.ts";
import { type ResultColumn, textColumn } from "./statement_result.ts";
import { describeTableSelect } from "./execution/table_statements.ts";
import { decodeUtf8, MalformedPacket, PayloadReader, type WireWriter } from "./wire/wire_buffer.ts";

export interface PreparedStatement {
  readonly id: number;
  readonly sql: string;
  /** Offsets of the `?` placeholders in `sql`. */
  readonly params: readonly number[];
  /** Columns announced at PREPARE (the real ones come again with every EXECUTE result). */
  readonly columns: readonly ResultColumn[];
  /** Parameter types bound by the last EXECUTE that sent them (type byte | unsigned flag << 8). */
  types: number[];
  /** COM_STMT_SEND_LONG_DATA chunks by parameter index. */
  longData: Map<number, Uint8Array[]>;
  /** Bytes in `longData`; past `[limits] cometql_long_data_max` the data is dropped. */
  longDataBytes: number;
  /** Long data was dropped for its size: the next EXECUTE answers ERR (MySQL does the same). */
  longDataTooLong: boolean;
}

export async function prepareStatement(
  session: SessionContext,
  id: number,
  sql: string,
): Promise<PreparedStatement | CometqlError> {
  const maxDepth = session.node.config.limits.sqlMaxDepth;
  const parsed = parseQuery(sql, false, maxDepth);
  if (parsed.tooDeep) return Errors.nestingTooDeep(maxDepth);
  if (parsed.syntaxError) return Errors.syntax;
  if (parsed.statements.length > 1) return Errors.multiStatementPrepare;
  const stmt = parsed.statements[0];
  const columns = stmt === undefined ? [] : await describeColumns(session, stmt);
  return {
    id,
    sql,
    params: parsed.params,
    columns,
    types: [],
    longData: new Map(),
    longDataBytes: 0,
    longDataTooLong: false,
  };
}

/** The columns a statement will return, without side effects (placeholders read as NULL). */
async function describeColumns(session: SessionContext, stmt: Statement): Promise<ResultColumn[]> {
  if (stmt.kind === "select") {
    if (stmt.from !== undefined) return describeTableSelect(stmt, stmt.from);
    const result = selectConstants(session, stmt);
    return result.kind === "rows" ? [...result.columns] : [];
  }
  if (stmt.kind === "show") {
    const result = await show(session, stmt);
    return result.kind === "rows" ? [...result.columns] : [];
  }
  return [];
}

/**
 * COM_STMT_PREPARE_OK, then parameter and column definitions, each block closed by EOF. A
 * computed column's values are not known yet: its length is `maxValueBytes`, the longest query
 * (no bound value can be longer than the query text that carries it).
 */
export function writePrepareOk(
  w: WireWriter,
  stmt: PreparedStatement,
  status: number,
  maxValueBytes: number,
): void {
  w.beginPacket();
  w.u8(0x00);
  w.u32(stmt.id);
  w.u16(stmt.columns.length);
  w.u16(stmt.params.length);
  w.u8(0);
  w.u16(0); // warnings
  w.endPacket();
  if (stmt.params.length > 0) {
    for (let i = 0; i < stmt.params.length; i++) writeColumn(w, textColumn("?"), 0);
    writeEof(w, status);
  }
  if (stmt.columns.length > 0) {
    for (const c of stmt.columns) writeColumn(w, c, maxValueBytes);
    writeEof(w, status);
  }
}

/**
 * COM_STMT_SEND_LONG_DATA: `stmt_id`, `param_id`, data (no reply). At most `max` bytes per
 * statement are kept (MySQL's `max_allowed_packet` rule): past it the data is dropped and the
 * next EXECUTE is refused.
 */
export function appendLongData(
  statements: ReadonlyMap<number, PreparedStatement>,
  payload: Uint8Array,
  max: number,
): void {
  const r = new PayloadReader(payload, 1);
  const stmt = statements.get(r.u32("statement id"));
  const index = r.u16("parameter id");
  if (stmt === undefined || index >= stmt.params.length || stmt.longDataTooLong) return;
  const data = r.rest();
  if (stmt.longDataBytes + data.length > max) {
    clearLongData(stmt);
    stmt.longDataTooLong = true;
    return;
  }
  const chunks = stmt.longData.get(index) ?? [];
  chunks.push(data.slice());
  stmt.longData.set(index, chunks);
  stmt.longDataBytes += data.length;
}

/** COM_STMT_RESET and every EXECUTE start the long data afresh. */
export function clearLongData(stmt: PreparedStatement): void {
  stmt.longData.clear();
  stmt.longDataBytes = 0;
  stmt.longDataTooLong = false;
}

/**
 * COM_STMT_EXECUTE → the statement text with every `?` replaced by its value as a literal.
 * Throws MalformedPacket for a truncated packet; unknown statement → undefined.
 */
export function boundQueryText(
  statements: ReadonlyMap<number, PreparedStatement>,
  payload: Uint8Array,
  longDataMax: number,
): string | CometqlError | undefined {
  const r = new PayloadReader(payload, 1);
  const stmt = statements.get(r.u32("statement id"));
  if (stmt === undefined) return undefined;
  if (stmt.longDataTooLong) {
    clearLongData(stmt);
    return Errors.longDataTooLong(longDataMax);
  }
  r.u8("flags");
  r.u32("iteration count");
  const n = stmt.params.length;
  if (n === 0) return stmt.sql;
  const nullBitmap = r.bytesN((n + 7) >> 3, "null bitmap");
  if (r.u8("new params bound flag") === 1) {
    stmt.types = [];
    for (let i = 0; i < n; i++) stmt.types.push(r.u8("type") | (r.u8("type flags") << 8));
  }
  if (stmt.types.length !== n) throw new MalformedPacket("parameter types never sent");
  let out = "";
  let at = 0;
  for (let i = 0; i < n; i++) {
    out += stmt.sql.slice(at, stmt.params[i]);
    at = stmt.params[i] + 1;
    const long = stmt.longData.get(i);
    if (nullBitmap[i >> 3] & (1 << (i & 7))) out += "NULL";
    else if (long !== undefined) out += quote(decodeUtf8(concat(long)));
    else out += readLiteral(r, stmt.types[i]);
  }
  clearLongData(stmt);
  return out + stmt.sql.slice(at);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** MySQL escaping that our lexer reverses exactly (sql_lexer.ts). */
export function quote(s: string): string {
  // deno-lint-ignore no-control-regex
  return `'${s.replace(/[\\'\0\n\r\x1a]/g, (c) => QUOTE_ESCAPES[c])}'`;
}
const QUOTE_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  "\0": "\\0",
  "\n": "\\n",
  "\r": "\\r",
  "\x1a": "\\Z",
};

/** One binary-protocol parameter value as SQL literal text. */
function readLiteral(r: PayloadReader, typeAndFlags: number): string {
  const unsigned = (typeAndFlags >> 8) & 0x80;
  const view = () => new DataView(r.bytes.buffer, r.bytes.byteOffset + r.pos);
  switch (typeAndFlags & 0xff) {
    case ColumnType.Null:
      return "NULL";
    case ColumnType.Tiny: {
      const v = r.u8();
      return String(unsigned || v < 0x80 ? v : v - 0x100);
    }
    case ColumnType.Short:
    case ColumnType.Year: {
      const v = r.u16();
      return String(unsigned || v < 0x8000 ? v : v - 0x10000);
    }
    case ColumnType.Long:
    case ColumnType.Int24: {
      const v = r.u32();
      return String(unsigned || v < 0x80000000 ? v : v - 0x100000000);
    }
    case ColumnType.LongLong: {
      const v = r.u64();
      return String(unsigned ? v : BigInt.asIntN(64, v));
    }
    case ColumnType.Float: {
      r.need(4, "float");
      const v = view().getFloat32(0, true);
      r.pos += 4;
      return String(v);
    }
    case ColumnType.Double: {
      r.need(8, "double");
      const v = view().getFloat64(0, true);
      r.pos += 8;
      return String(v);
    }
    case ColumnType.Date:
    case ColumnType.DateTime:
    case ColumnType.Timestamp:
      return quote(readDateTime(r));
    case ColumnType.Time:
      return quote(readTime(r));
    default: {
      const text = decodeUtf8(r.bytesN(r.lenenc("string length"), "string"));
      return quote(text);
    }
  }
}

const two = (n: number) => String(n).padStart(2, "0");

function readDateTime(r: PayloadReader): string {
  const len = r.u8("date length");
  if (len === 0) return "0000-00-00 00:00:00";
  const y = r.u16();
  const date = `${String(y).padStart(4, "0")}-${two(r.u8())}-${two(r.u8())}`;
  if (len < 7) return date;
  const time = `${two(r.u8())}:${two(r.u8())}:${two(r.u8())}`;
  const micros = len >= 11 ? r.u32() : 0;
  return `${date} ${time}${micros ? "." + String(micros).padStart(6, "0") : ""}`;
}

function readTime(r: PayloadReader): string {
  const len = r.u8("time length");
  if (len === 0) return "00:00:00";
  const negative = r.u8() === 1;
  const days = r.u32();
  const h = r.u8() + days * 24;
  const time = `${negative ? "-" : ""}${two(h)}:${two(r.u8())}:${two(r.u8())}`;
  const micros = len >= 12 ? r.u32() : 0;
  return micros ? `${time}.${String(micros).padStart(6, "0")}` : time;
}
