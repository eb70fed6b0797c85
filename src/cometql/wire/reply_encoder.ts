/**
 * Reply packets (docs/protocol/cometql.md §2.6, corrected per docs/compatibility.md point 2): OK
 * and EOF carry honest status flags (AUTOCOMMIT, MORE_RESULTS_EXISTS between results — never
 * NO_BACKSLASH_ESCAPES), lenenc integers are MySQL's, result sets have a lenenc column count and
 * rows of any size.
 */
import type { CometqlError } from "../cometql_error.ts";
import { CHARSET_BINARY, CHARSET_UTF8MB4, ColumnFlag, ColumnType } from "./mysql_constants.ts";
import type { OkResult, ResultColumn, RowsResult } from "../statement_result.ts";
import { API_DATABASE } from "../tenant_selection.ts";
import type { WireWriter } from "./wire_buffer.ts";

export function writeOk(w: WireWriter, ok: OkResult, status: number): void {
  w.beginPacket();
  w.u8(0x00);
  w.lenenc(ok.affectedRows);
  w.lenenc(ok.insertId);
  w.u16(status);
  w.u16(0); // warnings
  w.endPacket();
}

/**
 * `ff`, errno = the CometQL code, `#` + SQLSTATE, message (docs/protocol/cometql.md §2.6; the
 * SQLSTATE per error class instead of the original's constant `HY000`, docs/compatibility.md point
 * 2).
 */
export function writeErr(w: WireWriter, err: CometqlError): void {
  w.beginPacket();
  w.u8(0xff);
  w.u16(err.code);
  w.text("#");
  w.text(err.sqlState);
  w.text(err.message);
  w.endPacket();
}

export function writeEof(w: WireWriter, status: number): void {
  w.beginPacket();
  w.u8(0xfe);
  w.u16(0); // warnings
  w.u16(status);
  w.endPacket();
}

/**
 * Protocol::ColumnDefinition41. The length is the column's own (table columns: the stored
 * size), else `fallbackLength` (computed values: the longest one sent).
 */
export function writeColumn(w: WireWriter, column: ResultColumn, fallbackLength: number): void {
  const numeric = column.type === ColumnType.LongLong || column.type === ColumnType.NewDecimal;
  w.beginPacket();
  w.lenencText("def");
  w.lenencText(column.table === "" ? "" : API_DATABASE);
  w.lenencText(column.table);
  w.lenencText(column.table);
  w.lenencText(column.name);
  w.lenencText(column.table === "" ? "" : column.name);
  w.u8(0x0c); // length of the fixed-length fields
  w.u16(numeric ? CHARSET_BINARY : CHARSET_UTF8MB4);
  w.u32(numeric ? 21 : column.length ?? fallbackLength);
  w.u8(column.type);
  // Table columns are never NULL; the flag also keeps the mysql CLI from widening them for "NULL".
  w.u16((numeric ? ColumnFlag.BINARY : 0) | (column.table === "" ? 0 : ColumnFlag.NOT_NULL));
  w.u8(column.type === ColumnType.VarString ? 0x1f : 0); // decimals
  w.u16(0); // filler
  w.endPacket();
}

function writeColumns(w: WireWriter, result: RowsResult, status: number): void {
  w.beginPacket();
  w.lenenc(result.columns.length);
  w.endPacket();
  for (let i = 0; i < result.columns.length; i++) {
    const c = result.columns[i];
    writeColumn(w, c, c.length ?? longestValue(result, i));
  }
  writeEof(w, status);
}

/** Bytes of the longest value in column `i` (UTF-8), for computed columns. */
function longestValue(result: RowsResult, i: number): number {
  let longest = 0;
  for (const row of result.rows) {
    const cell = row[i];
    if (cell !== null && cell.length * 3 > longest) {
      longest = Math.max(longest, utf8Length(cell));
    }
  }
  return longest;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Text-protocol result set (COM_QUERY). */
export function writeTextResultSet(w: WireWriter, result: RowsResult, status: number): void {
  writeColumns(w, result, status);
  for (const row of result.rows) {
    w.beginPacket();
    for (const cell of row) {
      if (cell === null) w.u8(0xfb);
      else w.lenencText(cell);
    }
    w.endPacket();
  }
  writeEof(w, status);
}

/** Binary-protocol result set (COM_STMT_EXECUTE): null bitmap with offset 2, typed values. */
export function writeBinaryResultSet(w: WireWriter, result: RowsResult, status: number): void {
  writeColumns(w, result, status);
  const columns = result.columns;
  const bitmapBytes = (columns.length + 7 + 2) >> 3;
  for (const row of result.rows) {
    w.beginPacket();
    w.u8(0x00);
    const bitmapAt = w.length;
    w.ensure(bitmapBytes);
    w.bytes.fill(0, bitmapAt, bitmapAt + bitmapBytes);
    w.length += bitmapBytes;
    for (let i = 0; i < columns.length; i++) {
      const cell = row[i];
      if (cell === null) {
        w.bytes[bitmapAt + ((i + 2) >> 3)] |= 1 << ((i + 2) & 7);
      } else if (columns[i].type === ColumnType.LongLong) {
        w.u64(BigInt(cell));
      } else {
        w.lenencText(cell);
      }
    }
    w.endPacket();
  }
  writeEof(w, status);
}
