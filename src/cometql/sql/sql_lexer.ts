/**
 * Hand-written scanner for CometQL text. Follows MySQL rather than the original's flex scanner
 * (docs/protocol/cometql.md §4 lists its limits; docs/compatibility.md point 2 says to behave as
 * MySQL): case-insensitive keywords are recognised by the parser, string literals are UNESCAPED as
 * MySQL does, comments (`/* *\/`, `-- `, `#`) are skipped, `/*! … *\/` executable comments are read
 * as code.
 */

export const enum TokenType {
  /** A bare word: keyword or name. */
  Word,
  /** `` `name` ``: always a name, never a keyword. */
  QuotedName,
  /** `'…'` or `"…"`, unescaped. */
  String,
  Number,
  /** `@@name` or `@@scope.name`; text is what follows `@@`. */
  SysVar,
  /** `@name`; text is what follows `@`. */
  UserVar,
  /** `?`: a prepared-statement placeholder. */
  Param,
  Punct,
}

export interface Token {
  readonly type: TokenType;
  /** Words and names as written; strings unescaped; punctuation as written. */
  readonly text: string;
  /** Upper-case `text` for Word tokens (keyword comparison), "" otherwise. */
  readonly upper: string;
  /** Offsets into the query text (for column names "as written" and placeholder splicing). */
  readonly start: number;
  readonly end: number;
}

export class LexError extends Error {
  constructor(message: string, readonly position: number) {
    super(message);
    this.name = "LexError";
  }
}

export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 ||
    c === 36 || c >= 0x80;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** MySQL's blanks: space, tab, newline, vertical tab, form feed, carriage return. */
export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** MySQL's backslash escapes (https://dev.mysql.com/doc/refman/8.0/en/string-literals.html). */
function unescapeChar(c: string): string {
  switch (c) {
    case "0":
      return "\0";
    case "b":
      return "\b";
    case "n":
      return "\n";
    case "r":
      return "\r";
    case "t":
      return "\t";
    case "Z":
      return "\x1a";
    case "%":
      return "\\%"; // MySQL keeps the backslash for \% and \_ (LIKE escapes).
    case "_":
      return "\\_";
    default:
      return c; // \\ \' \" and any other character stand for themselves.
  }
}

/**
 * `verbatimBackslashes`: the opt-in legacy reading of string literals (see `readString`), for
 * code written against CppComet that never escaped its values.
 */
export function tokenize(sql: string, verbatimBackslashes = false): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  let inExecutableComment = false;
  const push = (type: TokenType, text: string, start: number, end: number) => {
    tokens.push({
      type,
      text,
      upper: type === TokenType.Word ? text.toUpperCase() : "",
      start,
      end,
    });
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    // Comments.
    if (c === 35 /* # */) {
      i = skipLine(sql, i);
      continue;
    }
    if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const after = sql.charCodeAt(i + 2);
      if (i + 2 >= n || isSpace(after) || after < 32) {
        i = skipLine(sql, i);
        continue;
      }
    }
    if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      if (sql.charCodeAt(i + 2) === 33 /* ! */ && !inExecutableComment) {
        i += 3;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        inExecutableComment = true;
        continue;
      }
      const close = sql.indexOf("*/", i + 2);
      if (close < 0) throw new LexError("unterminated comment", i);
      i = close + 2;
      continue;
    }
    if (inExecutableComment && c === 42 && sql.charCodeAt(i + 1) === 47) {
      inExecutableComment = false;
      i += 2;
      continue;
    }
    // Literals and names.
    if (c === 39 /* ' */ || c === 34 /* " */) {
      const [value, end] = readString(sql, i, c, verbatimBackslashes);
      push(TokenType.String, value, start, end);
      i = end;
      continue;
    }
    if (c === 96 /* ` */) {
      const [name, end] = readQuotedName(sql, i);
      push(TokenType.QuotedName, name, start, end);
      i = end;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      i = readNumber(sql, i);
      if (i < n && isWordChar(sql.charCodeAt(i))) {
        // MySQL names may start with digits (`1abc`).
        while (i < n && isWordChar(sql.charCodeAt(i))) i++;
        push(TokenType.Word, sql.slice(start, i), start, i);
      } else {
        push(TokenType.Number, sql.slice(start, i), start, i);
      }
      continue;
    }
    if (isWordChar(c)) {
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      push(TokenType.Word, sql.slice(start, i), start, i);
      continue;
    }
    if (c === 64 /* @ */) {
      const sys = sql.charCodeAt(i + 1) === 64;
      i += sys ? 2 : 1;
      const nameStart = i;
      while (i < n && (isWordChar(sql.charCodeAt(i)) || (sys && sql.charCodeAt(i) === 46))) i++;
      if (i === nameStart) throw new LexError("variable name expected", start);
      push(sys ? TokenType.SysVar : TokenType.UserVar, sql.slice(nameStart, i), start, i);
      continue;
    }
    if (c === 63 /* ? */) {
      push(TokenType.Param, "?", start, i + 1);
      i++;
      continue;
    }
    const width = punctWidth(sql, i);
    push(TokenType.Punct, sql.slice(i, i + width), start, i + width);
    i += width;
    continue;
  }
  return tokens;
}

/** 1, 2 or 3 for `<=>`, without slicing (this runs for every punctuation character). */
function punctWidth(sql: string, i: number): number {
  const c = sql.charCodeAt(i);
  const d = sql.charCodeAt(i + 1);
  if (c === 60 /* < */) {
    if (d === 61 /* = */) return sql.charCodeAt(i + 2) === 62 /* > */ ? 3 : 2;
    return d === 62 || d === 60 ? 2 : 1;
  }
  if (c === 62 /* > */) return d === 61 || d === 62 ? 2 : 1;
  if (c === 33 /* ! */ || c === 58 /* : */) return d === 61 ? 2 : 1;
  if (c === 124 /* | */ || c === 38 /* & */) return d === c ? 2 : 1;
  return 1;
}

function skipLine(sql: string, i: number): number {
  const nl = sql.indexOf("\n", i);
  return nl < 0 ? sql.length : nl + 1;
}

function readNumber(sql: string, i: number): number {
  const n = sql.length;
  while (i < n && isDigit(sql.charCodeAt(i))) i++;
  if (sql.charCodeAt(i) === 46 /* . */) {
    i++;
    while (i < n && isDigit(sql.charCodeAt(i))) i++;
  }
  const e = sql.charCodeAt(i);
  if (e === 101 || e === 69) {
    let j = i + 1;
    const sign = sql.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    if (isDigit(sql.charCodeAt(j))) {
      i = j;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
    }
  }
  return i;
}

/**
 * A quoted string starting at `i`; returns the value and the offset after it. By default the
 * value is unescaped as MySQL does. With `verbatimBackslashes` it is read as CppComet read it
 * (docs/protocol/cometql.md §4.3): a backslash and the character after it are kept as they are (so
 * `\'` does not end the string and arrives as `\'`), and a doubled quote arrives as backslash +
 * quote.
 */
export function readString(
  sql: string,
  i: number,
  quote: number,
  verbatimBackslashes = false,
): [string, number] {
  const n = sql.length;
  let j = i + 1;
  let out = "";
  let runStart = j;
  while (j < n) {
    const c = sql.charCodeAt(j);
    if (c === 92 /* \ */) {
      if (j + 1 >= n) break;
      if (verbatimBackslashes) {
        j += 2;
        continue;
      }
      out += sql.slice(runStart, j) + unescapeChar(sql[j + 1]);
      j += 2;
      runStart = j;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) {
        out += verbatimBackslashes
          ? sql.slice(runStart, j) + "\\" + sql[j]
          : sql.slice(runStart, j + 1);
        j += 2;
        runStart = j;
        continue;
      }
      return [out + sql.slice(runStart, j), j + 1];
    }
    j++;
  }
  throw new LexError("unterminated string", i);
}

function readQuotedName(sql: string, i: number): [string, number] {
  let out = "";
  let j = i + 1;
  for (;;) {
    const close = sql.indexOf("`", j);
    if (close < 0) throw new LexError("unterminated quoted name", i);
    out += sql.slice(j, close);
    if (sql.charCodeAt(close + 1) === 96) {
      out += "`";
      j = close + 2;
      continue;
    }
    return [out, close + 1];
  }
}
