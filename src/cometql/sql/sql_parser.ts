/**
 * Recursive-descent parser: tokens → statements (docs/protocol/cometql.md §5.1, widened per
 * docs/compatibility.md point 2 to what MySQL client libraries send). Table and column names may be
 * bare, `` `quoted` `` or — as the original allowed (docs/protocol/cometql.md §4.1) — written as
 * quoted strings.
 */
import { LexError, type Token, tokenize, TokenType } from "./sql_lexer.ts";
import { ParseError, TokenCursor } from "./token_cursor.ts";
import type {
  Condition,
  Expr,
  Limit,
  Literal,
  SelectItem,
  ShowFilter,
  Statement,
  StatusFlag,
} from "./statement.ts";

export interface ParsedQuery {
  /** Statements in order, up to the first syntax error. */
  readonly statements: Statement[];
  /** True when parsing stopped at a syntax error after `statements`. */
  readonly syntaxError: boolean;
  /** Offsets of the `?` placeholders in the text (prepared statements splice values there). */
  readonly params: readonly number[];
  /** The syntax error is nesting deeper than the parser follows (`[limits] sql_max_depth`). */
  readonly tooDeep?: boolean;
}

/** Nesting followed when the caller gives no limit (`[limits] sql_max_depth` default). */
export const DEFAULT_MAX_DEPTH = 128;

/** Thrown past the nesting limit: a recursive-descent parser must not overflow the stack. */
class TooDeep extends ParseError {}

/** Words that end an expression list, so they are never read as an implicit alias. */
const CLAUSE_WORDS = new Set([
  "FROM",
  "WHERE",
  "LIMIT",
  "ORDER",
  "GROUP",
  "HAVING",
  "INTO",
  "UNION",
  "FOR",
  "AND",
  "OR",
  "OFFSET",
  "LOCK",
]);

const STATUS_FLAGS: Record<string, StatusFlag> = {
  GLOBAL: "global",
  SESSION: "session",
  LOCAL: "session",
  FILESYSTEM: "filesystem",
  RAM: "ram",
  AVG: "avg",
  UPTIME: "uptime",
};

/** SQL function keywords usable without parentheses. */
const NILADIC = new Set([
  "CURRENT_TIMESTAMP",
  "CURRENT_DATE",
  "CURRENT_TIME",
  "CURRENT_USER",
  "LOCALTIME",
  "LOCALTIMESTAMP",
  "UTC_TIMESTAMP",
]);

/**
 * `verbatimBackslashes`: string literals read as CppComet read them (sql_lexer.ts); `maxDepth`:
 * `[limits] sql_max_depth`.
 */
export function parseQuery(
  sql: string,
  verbatimBackslashes = false,
  maxDepth = DEFAULT_MAX_DEPTH,
): ParsedQuery {
  let tokens: Token[];
  try {
    tokens = tokenize(sql, verbatimBackslashes);
  } catch (e) {
    if (e instanceof LexError) return { statements: [], syntaxError: true, params: [] };
    throw e;
  }
  const params: number[] = [];
  for (const t of tokens) if (t.type === TokenType.Param) params.push(t.start);
  const parser = new Parser(sql, tokens);
  parser.maxDepth = maxDepth;
  const statements: Statement[] = [];
  try {
    for (;;) {
      while (parser.acceptPunct(";"));
      if (parser.atEnd()) break;
      statements.push(parser.statement());
      if (!parser.atEnd() && !parser.acceptPunct(";")) parser.fail();
    }
  } catch (e) {
    if (e instanceof TooDeep) return { statements, syntaxError: true, params, tooDeep: true };
    if (e instanceof ParseError) return { statements, syntaxError: true, params };
    throw e;
  }
  return { statements, syntaxError: false, params };
}

class Parser extends TokenCursor {
  maxDepth = DEFAULT_MAX_DEPTH;
  /** Unary operators and parentheses open around the current expression. */
  private depth = 0;

  statement(): Statement {
    const t = this.next();
    if (t.type !== TokenType.Word) this.fail();
    switch (t.upper) {
      case "SELECT":
        return this.select();
      case "INSERT":
      case "REPLACE":
        return this.insert();
      case "DELETE":
        return this.delete();
      case "SHOW":
        return this.show();
      case "DESCRIBE":
      case "DESC":
      case "EXPLAIN": {
        const table = this.tableName();
        if (!this.atStatementEnd()) this.name(); // DESCRIBE t column
        return { kind: "show", what: "columns", table };
      }
      case "SET":
        return this.set();
      case "USE":
        return { kind: "use", database: this.name() };
      case "BEGIN":
      case "COMMIT":
      case "ROLLBACK":
        this.acceptKeyword("WORK");
        return { kind: "transaction" };
      case "START":
        this.expectKeyword("TRANSACTION");
        while (!this.atStatementEnd()) this.next();
        return { kind: "transaction" };
      default:
        this.fail();
    }
  }

  private select(): Statement {
    const items: SelectItem[] = [];
    do items.push(this.selectItem()); while (this.acceptPunct(","));
    let from: string | undefined;
    if (this.acceptKeyword("FROM")) {
      from = this.tableName();
      if (from.toUpperCase() === "DUAL") from = undefined;
    }
    const where = this.acceptKeyword("WHERE") ? this.conditions() : [];
    const orderBy = this.orderBy();
    const limit = this.limit();
    return { kind: "select", items, from, where, orderBy, limit };
  }

  private selectItem(): SelectItem {
    const first = this.peek();
    if (first === undefined) this.fail();
    if (this.acceptPunct("*")) return { expr: { kind: "star" }, text: "*" };
    const expr = first.type === TokenType.String && this.isKeyword("FROM", 1)
      ? { kind: "column" as const, name: this.name() } // `SELECT 'col' FROM t` (docs/protocol/cometql.md §4.1)
      : this.expr();
    const text = this.sql.slice(first.start, this.tokens[this.pos - 1].end);
    let alias: string | undefined;
    if (this.acceptKeyword("AS")) alias = this.name();
    else {
      const t = this.peek();
      if (
        t && (t.type === TokenType.QuotedName || t.type === TokenType.String ||
          (t.type === TokenType.Word && !CLAUSE_WORDS.has(t.upper)))
      ) alias = this.name();
    }
    return { expr, alias, text };
  }

  // ---- expressions (constant selects) ----

  private expr(): Expr {
    let left = this.term();
    while (this.isPunct("+") || this.isPunct("-")) {
      const op = this.next().text;
      left = { kind: "binary", op, left, right: this.term() };
    }
    return left;
  }

  private term(): Expr {
    let left = this.unary();
    for (;;) {
      if (this.isPunct("*") || this.isPunct("/") || this.isPunct("%")) {
        const op = this.next().text;
        left = { kind: "binary", op, left, right: this.unary() };
      } else if (this.isKeyword("DIV") || this.isKeyword("MOD")) {
        const op = this.next().upper;
        left = { kind: "binary", op, left, right: this.unary() };
      } else return left;
    }
  }

  /** Every nesting level (parenthesis, call, unary operator) passes here once. */
  private unary(): Expr {
    if (++this.depth > this.maxDepth) throw new TooDeep("nested too deeply");
    try {
      if (this.acceptPunct("-")) return { kind: "unary", op: "-", arg: this.unary() };
      if (this.acceptPunct("+")) return { kind: "unary", op: "+", arg: this.unary() };
      return this.primary();
    } finally {
      this.depth--;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.type) {
      case TokenType.Number:
        return { kind: "literal", value: { type: "number", text: t.text } };
      case TokenType.String:
        return { kind: "literal", value: { type: "string", text: t.text } };
      case TokenType.SysVar:
        return { kind: "sysvar", name: t.text };
      case TokenType.UserVar:
        return { kind: "uservar", name: t.text };
      case TokenType.QuotedName:
        return { kind: "column", name: t.text };
      case TokenType.Param: // value unknown until EXECUTE (prepared statements)
        return { kind: "literal", value: { type: "null", text: "" } };
      case TokenType.Punct:
        if (t.text !== "(") break;
        {
          const inner = this.expr();
          this.expectPunct(")");
          return inner;
        }
      case TokenType.Word: {
        if (this.acceptPunct("(")) {
          const args: Expr[] = [];
          if (!this.acceptPunct(")")) {
            do args.push(this.isPunct("*") ? (this.next(), { kind: "star" }) : this.expr()); while (
              this.acceptPunct(",")
            );
            this.expectPunct(")");
          }
          return { kind: "call", name: t.upper, args };
        }
        if (t.upper === "NULL") return { kind: "literal", value: { type: "null", text: "" } };
        if (t.upper === "TRUE") return { kind: "literal", value: { type: "number", text: "1" } };
        if (t.upper === "FALSE") return { kind: "literal", value: { type: "number", text: "0" } };
        if (NILADIC.has(t.upper)) return { kind: "call", name: t.upper, args: [] };
        if (CLAUSE_WORDS.has(t.upper)) break;
        return { kind: "column", name: t.text };
      }
    }
    this.fail();
  }

  // ---- WHERE, ORDER BY, LIMIT ----

  private conditions(): Condition[] {
    const list: Condition[] = [];
    let or = false;
    for (;;) {
      list.push(this.condition(or));
      if (this.acceptKeyword("AND") || this.acceptPunct("&&")) or = false;
      else if (this.acceptKeyword("OR") || this.acceptPunct("||")) or = true;
      else return list;
    }
  }

  private condition(or: boolean): Condition {
    const column = this.name();
    if (this.acceptKeyword("IN")) {
      this.expectPunct("(");
      const values: Literal[] = [];
      do values.push(this.value()); while (this.acceptPunct(","));
      this.expectPunct(")");
      return { column, op: "IN", values, or };
    }
    const t = this.next();
    let op: string;
    if (t.type === TokenType.Word && t.upper === "LIKE") op = "LIKE";
    else if (t.type === TokenType.Punct && /^(=|<|>|<=|>=|<>|!=|<=>)$/.test(t.text)) op = t.text;
    else this.fail();
    return { column, op, values: [this.value()], or };
  }

  private orderBy(): boolean {
    if (!this.acceptKeyword("ORDER")) return false;
    this.expectKeyword("BY");
    do {
      this.name();
      if (!this.acceptKeyword("ASC")) this.acceptKeyword("DESC");
    } while (this.acceptPunct(","));
    return true;
  }

  private limit(): Limit | undefined {
    if (!this.acceptKeyword("LIMIT")) return undefined;
    const first = this.integer();
    if (this.acceptPunct(",")) return { offset: first, count: this.integer() };
    if (this.acceptKeyword("OFFSET")) return { offset: this.integer(), count: first };
    return { offset: 0, count: first };
  }

  // ---- INSERT, DELETE ----

  private insert(): Statement {
    this.acceptKeyword("IGNORE");
    this.acceptKeyword("INTO");
    const table = this.tableName();
    let columns: string[] | undefined;
    if (this.acceptPunct("(")) {
      columns = [];
      do columns.push(this.name()); while (this.acceptPunct(","));
      this.expectPunct(")");
    }
    if (!this.acceptKeyword("VALUES")) this.expectKeyword("VALUE");
    const rows: Literal[][] = [];
    do {
      this.expectPunct("(");
      const row: Literal[] = [];
      if (!this.isPunct(")")) {
        do row.push(this.value()); while (this.acceptPunct(","));
      }
      this.expectPunct(")");
      rows.push(row);
    } while (this.acceptPunct(","));
    return { kind: "insert", table, columns, rows };
  }

  private delete(): Statement {
    this.expectKeyword("FROM");
    const table = this.tableName();
    const where = this.acceptKeyword("WHERE") ? this.conditions() : [];
    const orderBy = this.orderBy();
    this.limit(); // accepted and ignored, as in the original (docs/protocol/cometql.md §5.4)
    return { kind: "delete", table, where, orderBy };
  }

  // ---- SHOW, SET ----

  private show(): Statement {
    this.acceptKeyword("FULL");
    if (this.acceptKeyword("DATABASES") || this.acceptKeyword("SCHEMAS")) {
      return { kind: "show", what: "databases", ...this.showFilter() };
    }
    if (this.acceptKeyword("TABLES")) {
      this.fromDatabase();
      return { kind: "show", what: "tables", ...this.showFilter() };
    }
    if (this.isKeyword("TABLE") && this.isKeyword("STATUS", 1)) {
      this.pos += 2;
      this.fromDatabase();
      return { kind: "show", what: "table_status", ...this.showFilter() };
    }
    if (this.acceptKeyword("PROCESSLIST")) return { kind: "show", what: "processlist" };
    if (this.acceptKeyword("WARNINGS") || this.acceptKeyword("ERRORS")) {
      this.limit();
      return { kind: "show", what: "warnings" };
    }
    if (this.acceptKeyword("COLUMNS") || this.acceptKeyword("FIELDS")) {
      if (!this.acceptKeyword("FROM")) this.expectKeyword("IN");
      const table = this.tableName();
      this.fromDatabase();
      return { kind: "show", what: "columns", table, ...this.showFilter() };
    }
    let flag: StatusFlag = "session";
    const t = this.peek();
    if (t?.type === TokenType.Word && STATUS_FLAGS[t.upper]) {
      flag = STATUS_FLAGS[t.upper];
      this.pos++;
    }
    if (this.acceptKeyword("STATUS")) {
      return { kind: "show", what: "status", flag, ...this.showFilter() };
    }
    if (this.acceptKeyword("VARIABLES")) {
      return { kind: "show", what: "variables", flag, ...this.showFilter() };
    }
    this.fail();
  }

  private fromDatabase(): void {
    if (this.acceptKeyword("FROM") || this.acceptKeyword("IN")) this.name();
  }

  /**
   * `LIKE 'pattern'` (a quoted word is a pattern here; the original refused it,
   * docs/protocol/cometql.md §4.1) or, as MySQL allows, `WHERE conditions` on the result's columns.
   */
  private showFilter(): ShowFilter {
    if (this.acceptKeyword("WHERE")) return { where: this.conditions() };
    if (!this.acceptKeyword("LIKE")) return {};
    const t = this.next();
    if (t.type !== TokenType.String) this.fail();
    return { like: t.text };
  }

  /**
   * docs/protocol/cometql.md §6.8: every SET is answered OK and changes nothing; we only require
   * some content.
   */
  private set(): Statement {
    if (this.atStatementEnd()) this.fail();
    let depth = 0;
    while (!this.atEnd() && (depth > 0 || !this.isPunct(";"))) {
      const t = this.next();
      if (t.type === TokenType.Punct && t.text === "(") depth++;
      if (t.type === TokenType.Punct && t.text === ")") depth--;
    }
    return { kind: "set" };
  }
}
