/**
 * Lexer and parser (docs/protocol/cometql.md §4–§5, with docs/compatibility.md point 2's MySQL
 * behaviour).
 */
import { tokenize, TokenType } from "../src/cometql/sql/sql_lexer.ts";
import { parseQuery } from "../src/cometql/sql/sql_parser.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

function stringValue(literal: string): string {
  const tokens = tokenize(literal);
  assertEquals(tokens.length, 1);
  assertEquals(tokens[0].type, TokenType.String);
  return tokens[0].text;
}

Deno.test("string literals are unescaped as MySQL does", () => {
  assertEquals(stringValue(String.raw`'it\'s'`), "it's");
  assertEquals(stringValue(`'it''s'`), "it's");
  assertEquals(stringValue(`"say ""hi"""`), `say "hi"`);
  assertEquals(stringValue(String.raw`'a\nb\rc\td'`), "a\nb\rc\td");
  assertEquals(stringValue(String.raw`'\0\b\Z'`), "\0\b\x1a");
  assertEquals(stringValue(String.raw`'back\\slash'`), "back\\slash");
  assertEquals(stringValue(String.raw`'\"q\"'`), '"q"');
  assertEquals(stringValue(String.raw`'100\% \_x'`), "100\\% \\_x");
  assertEquals(stringValue(String.raw`'\q'`), "q");
  assertEquals(stringValue(`'тест ✓'`), "тест ✓");
  assertEquals(stringValue(`''`), "");
});

Deno.test("a value ending in a backslash does not swallow the next literal (docs/protocol/cometql.md §4.3 BUG)", () => {
  const q = parseQuery(String.raw`INSERT INTO t (a, b) VALUES ('a\\', 'b')`);
  assertEquals(q.syntaxError, false);
  const stmt = q.statements[0];
  assert(stmt.kind === "insert");
  assertEquals(stmt.rows[0].map((v) => v.text), ["a\\", "b"]);
});

Deno.test("comments are skipped; executable comments are read as code", () => {
  const q = parseQuery("/* hi */ SELECT 1 -- trailing\n; # another\nselect /*!40101 2 */");
  assertEquals(q.syntaxError, false);
  assertEquals(q.statements.length, 2);
  assertEquals(parseQuery("select 1 --not a comment").syntaxError, true);
});

Deno.test("keywords are case-insensitive; backticks make names", () => {
  const q = parseQuery("sElEcT `from`, `index` FrOm `pipes_messages` wHeRe name = 'x'");
  const s = q.statements[0];
  assert(s.kind === "select");
  assertEquals(s.from, "pipes_messages");
  assertEquals(s.items.map((i) => i.expr.kind === "column" && i.expr.name), ["from", "index"]);
});

Deno.test("multi-row INSERT, column lists, NULL and signed numbers", () => {
  const q = parseQuery("insert into users_auth (id, hash) values (1, 'a'), (-2, NULL)");
  const s = q.statements[0];
  assert(s.kind === "insert");
  assertEquals(s.columns, ["id", "hash"]);
  assertEquals(s.rows, [
    [{ type: "number", text: "1" }, { type: "string", text: "a" }],
    [{ type: "number", text: "-2" }, { type: "null", text: "" }],
  ]);
});

Deno.test("WHERE conditions keep their operator and the AND/OR joins", () => {
  const s = parseQuery("select * from t where id in (1, 2) and hash like 'x' or id > 3")
    .statements[0];
  assert(s.kind === "select");
  assertEquals(s.where.map((c) => [c.column, c.op, c.values.length, c.or]), [
    ["id", "IN", 2, false],
    ["hash", "LIKE", 1, false],
    ["id", ">", 1, true],
  ]);
});

Deno.test("LIMIT n, LIMIT offset, count and LIMIT count OFFSET offset", () => {
  const limit = (sql: string) => {
    const s = parseQuery(sql).statements[0];
    assert(s.kind === "select");
    return s.limit;
  };
  assertEquals(limit("select 1 limit 5"), { offset: 0, count: 5 });
  assertEquals(limit("select 1 limit 2, 10"), { offset: 2, count: 10 });
  assertEquals(limit("select 1 limit 10 offset 2"), { offset: 2, count: 10 });
});

Deno.test("every SET form drivers send parses", () => {
  for (
    const sql of [
      "SET NAMES utf8",
      "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'",
      "SET autocommit=1",
      "SET SESSION sql_mode = 'STRICT'",
      "SET @@session.autocommit = 1, @@sql_mode = ''",
      "SET character_set_results = NULL",
      "set character_set_results utf8",
      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    ]
  ) {
    const q = parseQuery(sql);
    assertEquals(q.syntaxError, false, sql);
    assertEquals(q.statements[0].kind, "set", sql);
  }
  assertEquals(parseQuery("SET").syntaxError, true);
});

Deno.test("SHOW and DESCRIBE forms", () => {
  const kinds = (sql: string) => {
    const s = parseQuery(sql).statements[0];
    assert(s?.kind === "show", sql);
    return s.what;
  };
  assertEquals(kinds("show databases"), "databases");
  assertEquals(kinds("SHOW FULL TABLES FROM CometQL_v1 LIKE 'p%'"), "tables");
  assertEquals(kinds("show table status"), "table_status");
  assertEquals(kinds("show global status like 'up%'"), "status");
  assertEquals(kinds("show session variables"), "variables");
  assertEquals(kinds("SHOW VARIABLES LIKE 'lower_case_table_names'"), "variables");
  assertEquals(kinds("show full columns from pipes in CometQL_v1"), "columns");
  assertEquals(kinds("describe users_auth"), "columns");
  assertEquals(kinds("show warnings limit 10"), "warnings");
  assertEquals(kinds("show processlist"), "processlist");
});

Deno.test("several statements parse in order; parsing stops at the first syntax error", () => {
  const q = parseQuery("select 1; select 2;; show tables; selec 3; select 4");
  assertEquals(q.statements.length, 3);
  assertEquals(q.syntaxError, true);
});

Deno.test("placeholders are found and parse where values go", () => {
  const q = parseQuery("insert into t (a, b) values (?, ?) ");
  assertEquals(q.params, [29, 32]);
  assertEquals(q.syntaxError, false);
  assertEquals(parseQuery("select * from t where a in (?, ?) limit ?").params.length, 3);
  assertEquals(parseQuery("select '?', `?` -- ?\n").params, []);
});

Deno.test("syntax errors: unterminated literals, stray tokens, unknown statements", () => {
  for (
    const sql of [
      "select 'abc",
      "select `abc",
      "select /* x",
      "update t set a = 1",
      "select * from",
      "insert into t values",
      "delete t",
      "select 1 2 3",
    ]
  ) {
    assertEquals(parseQuery(sql).syntaxError, true, sql);
  }
});
