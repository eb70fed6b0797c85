/**
 * Real MySQL client libraries against CometQL (docs/protocol/cometql.md §13; docs/compatibility.md
 * point 2): the `mysql` command-line client, PHP mysqli and PDO, npm `mysql2` (query and execute)
 * and npm `mysql` (the driver CppComet's own tests used). The tutorial's PHP code runs unchanged.
 */
import mysql2 from "mysql2/promise";
import mysqlOld from "mysql";
import { runMysqlCli, runPhp } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { pipeListener } from "./helpers/fake_subscriber.ts";

/** A stand-in browser subscribed to `pipes`, recording the `data` of every message. */

/** The message every client publishes: quotes, apostrophes, backslashes, newline, non-ASCII. */
const TRICKY = `{"name":"O'Brien","text":"say \\"hi\\" \\\\ C:\\\\path\nлиния ✓ 😀"}`;

Deno.test("real MySQL clients", async (t) => {
  const server = await startTestServer();
  const port = server.qlPort;
  try {
    await t.step("mysql CLI: table output, errors, the status command", async () => {
      const out = await runMysqlCli(
        port,
        "insert into pipes_settings (name, length) values ('news', 20); " +
          "insert into pipes_messages (name, event, message) values ('news', 'add', '{\"t\":\"hi\"}'); " +
          "select name, event, message from pipes_messages where name = 'news'; " +
          "select * from users_time where id in (7, 8)",
        ["-D", "CometQL_v1", "-t"],
      );
      assertEquals(out.code, 0, out.stderr);
      assertEquals(
        out.stdout,
        [
          "+------+-------+------------+",
          "| name | event | message    |",
          "+------+-------+------------+",
          '| news | add   | {"t":"hi"} |',
          "+------+-------+------------+",
          "+----+------+",
          "| id | time |",
          "+----+------+",
          "| 7  | -1   |",
          "| 8  | -1   |",
          "+----+------+",
          "",
        ].join("\n"),
      );
      const err = await runMysqlCli(port, "select * from pipes", ["-D", "CometQL_v1"]);
      assertEquals(err.code, 1);
      assert(err.stderr.includes("ERROR 13 (HY000) at line 1: Selection without transferring"));
      const status = await runMysqlCli(port, "status", ["-D", "CometQL_v1"]);
      assertEquals(status.code, 0, status.stderr);
      assert(status.stdout.includes("Current database:\tCometQL_v1"));
      const denied = await runMysqlCli(port, "select 1", [], "wrong");
      assertEquals(denied.code, 1);
      assert(denied.stderr.includes("ERROR 16 (28000): Authentication failure"), denied.stderr);
    });

    await t.step("PHP mysqli: the tutorial's code with mysqli_real_escape_string", async () => {
      const sub = pipeListener(server.node, ["simplechat"]);
      const out = await runPhp(`
        $comet = mysqli_connect("127.0.0.1", "root", "CometQLPassword", "CometQL_v1", ${port});
        $msg = mysqli_real_escape_string($comet, ${JSON.stringify(TRICKY)});
        $query = "INSERT INTO pipes_messages (name, event, message)" .
          "VALUES('simplechat', 'newMessage', '".$msg."')";
        mysqli_query($comet, $query);
        echo mysqli_errno($comet) ? "Error:".mysqli_error($comet) : "ok";
        mysqli_query($comet, "select 1");   // an EOF, then escape again: same result
        $msg = mysqli_real_escape_string($comet, ${JSON.stringify(TRICKY)});
        mysqli_query($comet, "INSERT INTO pipes_messages (name, event, message) VALUES('simplechat', 'newMessage', '$msg')");
        mysqli_report(MYSQLI_REPORT_OFF);
        mysqli_query($comet, "select * from nope");
        echo "|", mysqli_errno($comet), "|", mysqli_error($comet), "|", mysqli_sqlstate($comet);
      `);
      assertEquals(out, "ok|15|Table doesn't exist|42S02");
      assertEquals(sub.data(), [TRICKY, TRICKY]);
      sub.stop();
    });

    await t.step("PHP mysqli prepared statements (binary protocol)", async () => {
      const out = await runPhp(`
        $c = mysqli_connect("127.0.0.1", "root", "CometQLPassword", "CometQL_v1", ${port});
        $s = mysqli_prepare($c, "insert into users_auth (id, hash) values (?, ?)");
        $id = 31; $hash = "hash31";
        mysqli_stmt_bind_param($s, "is", $id, $hash);
        mysqli_stmt_execute($s);
        echo mysqli_stmt_affected_rows($s), ",", mysqli_stmt_insert_id($s), ";";
        $s = mysqli_prepare($c, "select id, hash from users_auth where id = ?");
        mysqli_stmt_bind_param($s, "i", $id);
        mysqli_stmt_execute($s);
        echo json_encode(mysqli_fetch_all(mysqli_stmt_get_result($s), MYSQLI_ASSOC)), ";";
        // Column lengths as the client library reads them: the stored sizes, not 16 MiB each.
        $meta = mysqli_stmt_result_metadata(mysqli_prepare($c, "select * from users_auth where id = ?"));
        foreach (mysqli_fetch_fields($meta) as $f) echo $f->name, "=", $f->length, " ";
      `);
      assertEquals(out, '1,31;[{"id":"31","hash":"hash31"}];id=11 hash=128 ');
    });

    await t.step("PHP PDO: emulated prepares (default) and native prepares", async () => {
      const sub = pipeListener(server.node, ["pdo_pipe"]);
      const stats = server.node.stats;
      const [prepares, executes] = [stats.qlStmtPrepares, stats.qlStmtExecutes];
      const out = await runPhp(`
        $dsn = "mysql:host=127.0.0.1;port=${port};dbname=CometQL_v1";
        $pdo = new PDO($dsn, "root", "CometQLPassword", [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        $st = $pdo->prepare("INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)");
        $st->execute(["pdo_pipe", "e", ${JSON.stringify(TRICKY)}]);
        $native = new PDO($dsn, "root", "CometQLPassword",
          [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => false]);
        $st = $native->prepare("INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)");
        $st->execute(["pdo_pipe", "e", ${JSON.stringify(TRICKY)}]);
        $st = $native->prepare("select * from pipes where name = ?");
        $st->execute(["pdo_pipe"]);
        echo json_encode($st->fetchAll(PDO::FETCH_ASSOC));
        try { $pdo->query("select bad from"); } catch (PDOException $e) { echo "|", $e->getMessage(); }
      `);
      assertEquals(
        out,
        '[{"name":"pdo_pipe","users":"1"}]|SQLSTATE[42000]: Syntax error or access violation: 3 ' +
          "Syntax error in query",
      );
      assertEquals(sub.data(), [TRICKY, TRICKY]);
      // The native PDO really prepared on the server (PDO falls back to emulation silently when
      // it cannot parse the server version): two COM_STMT_PREPARE, two COM_STMT_EXECUTE. The
      // emulating PDO sent none.
      assertEquals([stats.qlStmtPrepares - prepares, stats.qlStmtExecutes - executes], [2, 2]);
      sub.stop();
    });

    await t.step("npm mysql2: query() with placeholders and execute()", async () => {
      const sub = pipeListener(server.node, ["m2pipe"]);
      const c = await mysql2.createConnection({
        host: "127.0.0.1",
        port,
        user: "root",
        password: server.password,
        database: "CometQL_v1",
      });
      try {
        await c.query("INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)", [
          "m2pipe",
          "e",
          TRICKY,
        ]);
        await c.execute("INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)", [
          "m2pipe",
          "e",
          TRICKY,
        ]);
        assertEquals(sub.data(), [TRICKY, TRICKY]);
        const [rows] = await c.execute("select name, users from pipes where name = ?", ["m2pipe"]);
        assertEquals<unknown>(rows, [{ name: "m2pipe", users: "1" }]);
        const [consts] = await c.execute("select ? as n, ? as s, ? as z", [5, "x", null]);
        assertEquals<unknown>(consts, [{ n: 5, s: "x", z: null }]);
        // No multipleStatements: several statements are a syntax error and nothing runs.
        let multiCode = 0;
        await c.query("select 1 as a; select 'b' as b").catch((e) => multiCode = e.errno);
        assertEquals(multiCode, 3);
        const m = await mysql2.createConnection({
          host: "127.0.0.1",
          port,
          user: "root",
          password: server.password,
          database: "CometQL_v1",
          multipleStatements: true,
        });
        const [multi] = await m.query("select 1 as a; select 'b' as b");
        assertEquals<unknown>(multi, [[{ a: 1 }], [{ b: "b" }]]);
        await m.end();
        let code = 0;
        await c.query("select * from pipes").catch((e) => code = e.errno);
        assertEquals(code, 13);
      } finally {
        await c.end();
        sub.stop();
      }
    });

    await t.step("npm mysql (mysqljs): the driver CppComet's tests used", async () => {
      const c = mysqlOld.createConnection({
        host: "127.0.0.1",
        port,
        user: "1",
        password: server.password,
        database: "CometQL_v1",
      });
      const q = (sql: string, args: unknown[] = []) =>
        new Promise<unknown>((resolve, reject) =>
          c.query(sql, args, (e: unknown, r: unknown) => e ? reject(e) : resolve(r))
        );
      try {
        await q("insert into users_data (id, data) values (?, ?)", [4, TRICKY]);
        assertEquals(JSON.parse(JSON.stringify(await q("select * from users_data where id = 4"))), [
          { id: "4", data: TRICKY },
        ]);
        const err = await q("select * from nope").catch((e) => e);
        assertEquals((err as { errno: number }).errno, 15);
      } finally {
        await new Promise((resolve) => c.end(resolve));
      }
    });
  } finally {
    await server.stop();
  }
});
