/**
 * A statement runs only if the whole text parses, and several statements run only for a client
 * that asked for them (docs/compatibility.md point 2; MySQL behaves so, CppComet ran what it
 * could). Checked with PHP mysqli, whose `mysqli_query` does not set CLIENT_MULTI_STATEMENTS and
 * whose next call fails with 2014 "Commands out of sync" if a reply has more packets than it
 * expected.
 */
import { runPhp } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assertEquals } from "./helpers/assert.ts";
import { pipeListener } from "./helpers/fake_subscriber.ts";

/** PHP prelude: a mysqli connection `$c` and `say($result)` printing one line per call. */
const prelude = (port: number) => `
  mysqli_report(MYSQLI_REPORT_OFF);
  $c = mysqli_connect("127.0.0.1", "root", "CometQLPassword", "CometQL_v1", ${port});
  function say($c, $r) {
    if ($r === false) { echo mysqli_errno($c), " ", mysqli_sqlstate($c), " ", mysqli_error($c), "\\n"; return; }
    if ($r === true) { echo "ok ", mysqli_affected_rows($c), "\\n"; return; }
    echo json_encode(mysqli_fetch_all($r)), "\\n";
  }
`;

Deno.test("parse before execute, multi-statements on request (PHP mysqli)", async (t) => {
  const server = await startTestServer();
  const port = server.qlPort;
  try {
    await t.step("trailing junk: ERR 3 only, nothing runs, the next call works", async () => {
      const sub = pipeListener(server.node, "atomic");
      const out = await runPhp(`${prelude(port)}
        say($c, mysqli_query($c, "insert into users_auth (id, hash) values (5, 'hash5')"));
        say($c, mysqli_query($c, "select * from users_time where id = 4290 garbage"));
        say($c, mysqli_query($c, "select 'next'"));
        say($c, mysqli_query($c, "delete from users_auth where id = 5 garbage"));
        say($c, mysqli_query($c, "select id, hash from users_auth where id = 5"));
        say($c, mysqli_query($c, "insert into pipes_messages (name, event, message) values ('atomic', 'e', 'once') garbage"));
        say($c, mysqli_query($c, "insert into pipes_messages (name, event, message) values ('atomic', 'e', 'once')"));
        say($c, mysqli_query($c, "SHOW VARIABLES WHERE Variable_name = 'language'"));
        say($c, mysqli_query($c, "SHOW VARIABLES WHERE Variable_name = 'version' OR Variable_name = 'autocommit'"));
        say($c, mysqli_query($c, "SHOW VARIABLES WHERE Value_x = 1"));
        say($c, mysqli_query($c, "select 'still in sync'"));
      `);
      const syntax = "3 42000 Syntax error in query";
      assertEquals(out.split("\n"), [
        "ok 1",
        syntax,
        '[["next"]]',
        syntax,
        '[["5","hash5"]]', // not deleted (and the user was not kicked)
        syntax,
        "ok 0",
        "[]", // MySQL 5.7 has no `language` variable: an empty answer, not 47 rows and an ERR
        '[["autocommit","1"],["version","5.7.0-CppComet"]]',
        "14 42S22 Not a specific column",
        '[["still in sync"]]',
        "",
      ]);
      assertEquals(sub.data(), ["once"], "the statement with junk published");
      sub.stop();
    });

    await t.step(
      "mysqli_query refuses several statements; mysqli_multi_query runs them",
      async () => {
        const sub = pipeListener(server.node, "multi");
        const before = server.node.stats.qlQueries;
        const out = await runPhp(`${prelude(port)}
        say($c, mysqli_query($c, "insert into pipes_messages (name, event, message) values ('multi', 'e', 'one'); select 2"));
        say($c, mysqli_query($c, "select 'next';"));
        if (mysqli_multi_query($c, "insert into pipes_messages (name, event, message) values ('multi', 'e', 'two'); select 'b'")) {
          do {
            $r = mysqli_store_result($c);
            say($c, $r === false ? (mysqli_errno($c) ? false : true) : $r);
          } while (mysqli_next_result($c));
        }
        say($c, mysqli_query($c, "select 'after'"));
      `);
        assertEquals(out.split("\n"), [
          "3 42000 Syntax error in query",
          '[["next"]]',
          "ok 0", // a pipes_messages INSERT reports 0 rows, as the original did (docs/protocol/cometql.md §7.1)
          '[["b"]]',
          '[["after"]]',
          "",
        ]);
        assertEquals(sub.data(), ["two"]);
        // select 'next', the two of the multi-query, select 'after'; the refused text ran nothing.
        assertEquals(server.node.stats.qlQueries - before, 4);
        sub.stop();
      },
    );

    await t.step("the mysql CLI sends several statements and gets every result", async () => {
      const { runMysqlCli } = await import("./helpers/sql_clients.ts");
      const out = await runMysqlCli(port, "select 1 as a; select 2 as b", ["-N"]);
      assertEquals([out.code, out.stdout], [0, "1\n2\n"], out.stderr);
    });
  } finally {
    await server.stop();
  }
});
