/**
 * Reading position over the token list, with the small predicates the parser is written in
 * (keywords compare case-insensitively, docs/protocol/cometql.md §4.1).
 */
import { type Token, TokenType } from "./sql_lexer.ts";
import type { Literal } from "./statement.ts";

/** Thrown by `fail()`; the parser turns it into ERR 3 `Syntax error in query`. */
export class ParseError extends Error {}

export class TokenCursor {
  protected pos = 0;
  constructor(protected sql: string, protected tokens: Token[]) {}

  fail(): never {
    throw new ParseError("syntax error");
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  protected peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  protected next(): Token {
    const t = this.tokens[this.pos++];
    if (t === undefined) this.fail();
    return t;
  }

  protected isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.type === TokenType.Word && t.upper === word;
  }

  protected acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.pos++;
    return true;
  }

  protected expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) this.fail();
  }

  protected isPunct(p: string): boolean {
    const t = this.peek();
    return t !== undefined && t.type === TokenType.Punct && t.text === p;
  }

  acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }

  protected expectPunct(p: string): void {
    if (!this.acceptPunct(p)) this.fail();
  }

  protected atStatementEnd(): boolean {
    return this.atEnd() || this.isPunct(";");
  }

  /**
   * A table or column name: bare word, `` `quoted` ``, or a quoted string (docs/protocol/cometql.md
   * §4.1).
   */
  protected name(): string {
    const t = this.next();
    if (t.type === TokenType.Word || t.type === TokenType.QuotedName) return t.text;
    if (t.type === TokenType.String && t.text !== "") return t.text;
    this.fail();
  }

  /** `name` or `database.name`; the database part is accepted and ignored. */
  protected tableName(): string {
    const first = this.name();
    if (this.acceptPunct(".")) return this.name();
    return first;
  }

  /**
   * A value in WHERE or VALUES: literal, signed number, NULL, or a bare name
   * (docs/protocol/cometql.md §5.1).
   */
  protected value(): Literal {
    const t = this.next();
    switch (t.type) {
      case TokenType.String:
        return { type: "string", text: t.text };
      case TokenType.Number:
        return { type: "number", text: t.text };
      case TokenType.QuotedName:
        return { type: "string", text: t.text };
      case TokenType.Param:
        return { type: "null", text: "" };
      case TokenType.Word:
        if (t.upper === "NULL") return { type: "null", text: "" };
        if (t.upper === "TRUE") return { type: "number", text: "1" };
        if (t.upper === "FALSE") return { type: "number", text: "0" };
        return { type: "string", text: t.text };
      case TokenType.Punct:
        if (t.text === "-" || t.text === "+") {
          const n = this.next();
          if (n.type !== TokenType.Number) this.fail();
          return { type: "number", text: t.text === "-" ? `-${n.text}` : n.text };
        }
    }
    this.fail();
  }

  protected integer(): number {
    const t = this.next();
    if (t.type === TokenType.Param) return 0;
    if (t.type !== TokenType.Number || !/^\d+$/.test(t.text)) this.fail();
    return Number(t.text);
  }
}
