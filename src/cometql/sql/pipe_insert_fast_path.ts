/**
 * The CometQL hot path without the lexer and parser: recognises the one statement backends send
 * at high rate, `INSERT INTO pipes_messages (name, event, message) VALUES ('…', '…', '…')`, and
 * reads its three values straight from the query text.
 *
 * It only *recognises*; it never decides. Anything it does not fully understand — comments,
 * other tables or columns, quoted names, NULL or numbers, several rows or statements, `INSERT
 * IGNORE`, `REPLACE`, `VALUE` — gives `undefined`, and the caller runs the normal path (lexer →
 * parser → table_statements.ts). What it accepts, the normal path reads the same way: the same
 * character classes as sql_lexer.ts, the same string reading (`readString`, in the same
 * backslash mode), the same
 * case-insensitive keyword and column matching. tests/cometql_fast_path_test.ts checks both
 * paths give the same bytes on a table of statements.
 */
import { isSpace, isWordChar, LexError, readString } from "./sql_lexer.ts";

/** The hot statement's values, or a statement the normal path would answer with ERR 14. */
export type PipeInsert =
  | {
    readonly kind: "values";
    readonly name: string;
    readonly event: string;
    readonly message: string;
  }
  /**
   * No column list and three values: `pipes_messages` has seven columns (docs/protocol/cometql.md
   * §7).
   */
  | { readonly kind: "columnCount" };

const COLUMN_COUNT_ERROR: PipeInsert = { kind: "columnCount" };

/** Column slots of the hot statement: 0 name, 1 event, 2 message. */
const NAME = 0, EVENT = 1, MESSAGE = 2;

/**
 * Reads `text` as the hot INSERT, or returns undefined. Allocates only the three values and the
 * result; values without escapes are slices of `text`, as the lexer makes them.
 */
export function parsePipeInsert(
  text: string,
  verbatimBackslashes = false,
): PipeInsert | undefined {
  const n = text.length;
  let i = skipSpaces(text, 0);
  i = keyword(text, i, "INSERT");
  if (i < 0 || !isSpace(text.charCodeAt(i))) return undefined;
  i = keyword(text, skipSpaces(text, i), "INTO");
  if (i < 0 || !isSpace(text.charCodeAt(i))) return undefined;
  i = skipSpaces(text, i);
  if (!text.startsWith("pipes_messages", i)) return undefined; // names are case-sensitive
  i += 14;
  if (i < n && isWordChar(text.charCodeAt(i))) return undefined;
  i = skipSpaces(text, i);

  // Optional column list: name, event, message, each once, in any order.
  let order = 0; // per position 2 bits: 1 + the slot of the column written there; 0 = no list
  if (text.charCodeAt(i) === 40 /* ( */) {
    let seen = 0;
    for (let position = 0; position < 3; position++) {
      i = skipSpaces(text, i + 1);
      const start = i;
      while (i < n && isWordChar(text.charCodeAt(i))) i++;
      const slot = columnSlot(text, start, i);
      if (slot < 0 || (seen & (1 << slot)) !== 0) return undefined;
      seen |= 1 << slot;
      order |= (slot + 1) << (2 * position);
      i = skipSpaces(text, i);
      if (text.charCodeAt(i) !== (position < 2 ? 44 /* , */ : 41 /* ) */)) return undefined;
    }
    i = skipSpaces(text, i + 1);
  }

  i = keyword(text, i, "VALUES");
  if (i < 0) return undefined;
  i = skipSpaces(text, i);
  if (text.charCodeAt(i) !== 40 /* ( */) return undefined;
  const values: string[] = ["", "", ""]; // by slot
  for (let position = 0; position < 3; position++) {
    const slot = order === 0 ? position : ((order >> (2 * position)) & 3) - 1;
    i = skipSpaces(text, i + 1);
    const quote = text.charCodeAt(i);
    if (quote !== 39 /* ' */ && quote !== 34 /* " */) return undefined;
    const end = stringEnd(text, i, quote);
    if (end >= 0) {
      values[slot] = text.slice(i + 1, end - 1);
      i = end;
    } else {
      let read: [string, number];
      try {
        read = readString(text, i, quote, verbatimBackslashes);
      } catch (e) {
        if (e instanceof LexError) return undefined;
        throw e;
      }
      values[slot] = read[0];
      i = read[1];
    }
    i = skipSpaces(text, i);
    if (text.charCodeAt(i) !== (position < 2 ? 44 /* , */ : 41 /* ) */)) return undefined;
  }
  // Only blanks and `;` may follow: one statement, no comment, no second row.
  for (i++; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 59 /* ; */ && !isSpace(c)) return undefined;
  }

  if (order === 0) return COLUMN_COUNT_ERROR;
  return { kind: "values", name: values[NAME], event: values[EVENT], message: values[MESSAGE] };
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** `word` (upper-case ASCII) at `i` in any case, as a whole word: the offset after it, or -1. */
function keyword(text: string, i: number, word: string): number {
  const end = i + word.length;
  if (end > text.length) return -1;
  for (let k = 0; k < word.length; k++) {
    if ((text.charCodeAt(i + k) & ~0x20) !== word.charCodeAt(k)) return -1;
  }
  return end < text.length && isWordChar(text.charCodeAt(end)) ? -1 : end;
}

/** The slot of the bare column name text[start, end) (case-insensitive), or -1. */
function columnSlot(text: string, start: number, end: number): number {
  const length = end - start;
  if (length === 4 && keyword(text, start, "NAME") === end) return NAME;
  if (length === 5 && keyword(text, start, "EVENT") === end) return EVENT;
  if (length === 7 && keyword(text, start, "MESSAGE") === end) return MESSAGE;
  return -1;
}

/**
 * The offset after a string literal that holds no escape (no backslash, no doubled quote), or
 * -1 when it has one or is unterminated — then `readString` reads it.
 */
function stringEnd(text: string, i: number, quote: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92 /* \ */) return -1;
    if (c === quote) return text.charCodeAt(j + 1) === quote ? -1 : j + 1;
  }
  return -1;
}
