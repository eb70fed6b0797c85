/**
 * The parser-free hot path for `INSERT INTO pipes_messages` (src/cometql/pipe_insert_fast_path.ts)
 * answers exactly as the normal path (lexer → parser → table_statements.ts) does: the same reply
 * bytes, the same publish, the same counters — or it declines and the normal path runs.
 */
import { buildConfig } from "../src/config/config.ts";
import { parseIni } from "../src/config/ini.ts";
import { CometNode } from "../src/core/comet_node.ts";
import { Logger } from "../src/log.ts";
import { ServerStatus } from "../src/cometql/mysql_constants.ts";
import { parsePipeInsert } from "../src/cometql/pipe_insert_fast_path.ts";
import { runPipeInsert, runQuery } from "../src/cometql/query_executor.ts";
import { writeErr, writeOk } from "../src/cometql/reply_encoder.ts";
import type { SessionContext } from "../src/cometql/session_context.ts";
import type { StatementResult } from "../src/cometql/statement_result.ts";
import { encodeUtf8, WireWriter } from "../src/cometql/wire_buffer.ts";
import type { Storage } from "../src/storage/storage.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const MAX_QUERY_SIZE = 9000;

/** A node whose publishes are recorded instead of fanned out. */
function recordingSession(
  verbatimBackslashes = false,
): { session: SessionContext; published: string[][] } {
  const config = buildConfig(
    parseIni(
      `[cometql]\nmax_query_size = ${MAX_QUERY_SIZE}\n` +
        `verbatim_backslashes = ${verbatimBackslashes}\n`,
      "t.conf",
    ),
  );
  const storage = new Proxy({} as Storage, {
    get: (_, key) => key === "description" ? "none" : () => Promise.resolve(undefined),
  });
  const node = new CometNode(config, storage, new Logger(0, {}, () => {}));
  const published: string[][] = [];
  node.publish = (devId, pipe, event, message) => {
    published.push([String(devId), pipe, event, message]);
    return 0;
  };
  const session: SessionContext = {
    node,
    devId: 7,
    database: null,
    connectionId: 1,
    user: "root",
    host: "127.0.0.1",
    lastInsertId: 0,
    multiStatements: true,
  };
  return { session, published };
}

function replyBytes(result: StatementResult): number[] {
  const w = new WireWriter();
  w.seq = 1;
  if (result.kind === "ok") writeOk(w, result, ServerStatus.AUTOCOMMIT);
  else if (result.kind === "error") writeErr(w, result);
  else throw new Error("an INSERT gives no rows");
  return [...w.view()];
}

const TOO_LONG = `INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', '${
  "x".repeat(MAX_QUERY_SIZE)
}')`;

/** [statement, whether the fast path answers it itself]. */
const STATEMENTS: [string, boolean][] = [
  // The hot statement and its spellings.
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('pipe_1', 'ev', 'hello')", true],
  ["insert into pipes_messages (name,event,message) values ('pipe_1','ev','hello');", true],
  ["INSERT INTO pipes_messages(name,event,message)VALUES('abc','e','m')", true],
  [
    "  \n\tInSeRt\tInTo\npipes_messages ( NAME , Event , MESSAGE ) Values ( 'abc' , '' , '' ) ;; \n",
    true,
  ],
  ["INSERT INTO pipes_messages (message, name, event) VALUES ('hello', 'pipe_1', 'ev')", true],
  ["INSERT INTO pipes_messages (event, message, name) VALUES ('ev', 'hello', 'pipe_1')", true],
  ['INSERT INTO pipes_messages (name, event, message) VALUES ("abc", "e", "say ""hi""")', true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'it''s')", true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', '\"quoted\"')", true],
  [
    "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'a\\nb\\'c\\\\d\\%\\_\\Z\\0\\t\\r\\b\\q')",
    true,
  ],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('a\\bc', 'e', 'm')", true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'привет 👋 \\é')", true],
  [
    "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'a;b) -- c /* d */ # e')",
    true,
  ],
  [
    "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', '{\"json\":[1,2]}')",
    true,
  ],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('A-b_9', 'E-v_1', '')", true],
  // Invalid values: the same ERR from both paths.
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('ab', 'e', 'm')", true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('', 'e', 'm')", true],
  [
    `INSERT INTO pipes_messages (name, event, message) VALUES ('${"p".repeat(64)}', 'e', 'm')`,
    true,
  ],
  [
    `INSERT INTO pipes_messages (name, event, message) VALUES ('${"p".repeat(65)}', 'e', 'm')`,
    true,
  ],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('a b c', 'e', 'm')", true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('труба', 'e', 'm')", true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e v', 'm')", true],
  [
    `INSERT INTO pipes_messages (name, event, message) VALUES ('abc', '${"e".repeat(65)}', 'm')`,
    true,
  ],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'é', 'm')", true],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('ab\\'c', 'e', 'm')", true],
  ["INSERT INTO pipes_messages VALUES ('abc', 'e', 'm')", true], // ERR 14: seven columns
  // Everything else goes to the normal path.
  ["INSERT INTO pipes_messages VALUES (NULL, 0, 'abc', 0, 'e', 'm', 0)", false],
  ["INSERT INTO pipes_messages (name, event) VALUES ('abc', 'e')", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e')", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm', 'x')", false],
  ["INSERT INTO pipes_messages (name, name, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messages (name, event, message, id) VALUES ('abc', 'e', 'm', '1')", false],
  ["INSERT INTO pipes_messages (name, event, text) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', NULL)", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 42)", false],
  [
    "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm'), ('abd', 'e', 'm')",
    false,
  ],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm'); SELECT 1", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('ab', 'e', 'm'); SELECT 1", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm') -- note", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm') # note", false],
  ["INSERT /* c */ INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["/*!40101 INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm') */", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')garbage", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'unterminated)", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm\\", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm'''", false],
  ["INSERT IGNORE INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["REPLACE INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUE ('abc', 'e', 'm')", false],
  ["INSERT INTO `pipes_messages` (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messages (`name`, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO Pipes_Messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messagesx (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messages (name$, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERTINTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes_messages (name, event, message) VALUESS ('abc', 'e', 'm')", false],
  ["; INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')", false],
  ["INSERT INTO pipes (name) VALUES ('abc')", false],
  ["INSERT INTO users_messages (id, event, message) VALUES (1, 'e', 'm')", false],
  ["SELECT 1", false],
  ["", false],
  [TOO_LONG, false],
];

for (const verbatim of [false, true]) {
  Deno.test(
    `the hot INSERT path answers as the normal path, or declines (verbatim_backslashes = ${verbatim})`,
    async () => {
      for (const [sql, expectFast] of STATEMENTS) {
        const fast = recordingSession(verbatim);
        const normal = recordingSession(verbatim);
        const bytes = encodeUtf8(sql).length;
        const fastResult = runPipeInsert(fast.session, sql, bytes);
        const normalResults = await runQuery(normal.session, sql, bytes);
        if (!verbatim) {
          assertEquals(fastResult !== undefined, expectFast, `fast path taken: ${sql}`);
        }
        if (normalResults.some((r) => r.kind === "error" && r.code === 3)) {
          // A syntax error anywhere: nothing ran, nothing was published (parse before execute).
          assertEquals(normalResults.length, 1, sql);
          assertEquals(normal.published.length, 0, sql);
        }
        if (fastResult === undefined) {
          assertEquals(fast.published.length, 0, sql);
          assertEquals(fast.session.node.stats.qlQueries, 0, sql);
          continue;
        }
        assertEquals(normalResults.length, 1, sql);
        assertEquals(replyBytes(await fastResult), replyBytes(normalResults[0]), sql);
        assertEquals(fast.published, normal.published, sql);
        assertEquals(fast.session.node.stats.qlQueries, normal.session.node.stats.qlQueries, sql);
        assertEquals(
          [...fast.session.node.stats.qlQueriesByType],
          [...normal.session.node.stats.qlQueriesByType],
          sql,
        );
        assertEquals(fast.session.lastInsertId, normal.session.lastInsertId, sql);
      }
    },
  );
}

Deno.test("trailing junk after the hot INSERT publishes nothing, on either path", async () => {
  for (
    const sql of [
      "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm') garbage",
      "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm'); selec 1",
      "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm'), ('abd', 'e',",
    ]
  ) {
    const { session, published } = recordingSession();
    assertEquals(runPipeInsert(session, sql, sql.length), undefined, sql);
    const results = await runQuery(session, sql, sql.length);
    assertEquals(results.map((r) => r.kind === "error" && r.code), [3], sql);
    assertEquals(published, [], sql);
  }
});

Deno.test("the hot INSERT path reads values as the lexer does", () => {
  const read = (sql: string) => {
    const insert = parsePipeInsert(sql);
    assert(insert?.kind === "values", sql);
    return [insert.name, insert.event, insert.message];
  };
  assertEquals(
    read("INSERT INTO pipes_messages (message, event, name) VALUES ('m', 'e', 'abc')"),
    ["abc", "e", "m"],
  );
  assertEquals(
    read("INSERT INTO pipes_messages (name, event, message) VALUES ('abc', \"e\", 'a\\'b''c\\n')"),
    ["abc", "e", "a'b'c\n"],
  );
  assertEquals(
    read("INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', '\\%\\_\\x')"),
    ["abc", "e", "\\%\\_x"],
  );
});

Deno.test("verbatim_backslashes: literals keep backslashes, as CppComet kept them", async () => {
  const sql = "INSERT INTO pipes_messages (name, event, message) VALUES " +
    `('abc', 'e', '{"t":"say \\"hi\\" \\u00e9 it\\'s a''b \\\\'), ('abd', 'e', 'x')`;
  // Both rows: the normal path (two rows); then one row through the hot path.
  const { session, published } = recordingSession(true);
  assertEquals((await runQuery(session, sql, sql.length)).map((r) => r.kind), ["ok"]);
  assertEquals(published.map((p) => p[3]), [`{"t":"say \\"hi\\" \\u00e9 it\\'s a\\'b \\\\`, "x"]);
  const one = "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', '\\u00e9\\n')";
  const hot = recordingSession(true);
  assertEquals((await runPipeInsert(hot.session, one, one.length))?.kind, "ok");
  assertEquals(hot.published.map((p) => p[3]), ["\\u00e9\\n"]);
  const mysql = recordingSession(false);
  assertEquals((await runPipeInsert(mysql.session, one, one.length))?.kind, "ok");
  assertEquals(mysql.published.map((p) => p[3]), ["u00e9\n"]);
});

Deno.test("a publish that throws becomes ERR 500 on both paths", async () => {
  const sql = "INSERT INTO pipes_messages (name, event, message) VALUES ('abc', 'e', 'm')";
  const replies: number[][] = [];
  for (const fast of [true, false]) {
    const { session } = recordingSession();
    session.node.publish = () => {
      throw new Error("boom");
    };
    const result = fast
      ? runPipeInsert(session, sql, sql.length) as StatementResult
      : (await runQuery(session, sql, sql.length))[0];
    replies.push(replyBytes(await result));
  }
  assertEquals(replies[0], replies[1]);
});
