/**
 * Python's two most used MySQL drivers against CometQL: PyMySQL and mysql-connector-python. Both
 * parse the handshake's server version, which is why it starts with a MySQL version number
 * (docs/compatibility.md point 2); the original's `CppComet community 4.09` stopped them before the
 * first query. Each publishes with its normal parameter binding and reads back; mysql-connector
 * also through a prepared cursor, which must reach the server as COM_STMT_PREPARE /
 * COM_STMT_EXECUTE.
 */
import { runPython } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assertEquals } from "./helpers/assert.ts";
import { pipeListener } from "./helpers/fake_subscriber.ts";

/** Quotes, apostrophes, backslashes, newline, non-ASCII: what binding must carry exactly. */
const TRICKY = `{"name":"O'Brien","text":"say \\"hi\\" \\\\ C:\\\\path\nлиния ✓ 😀"}`;

const PYMYSQL = `
import json, sys, pymysql
port, message = int(sys.argv[1]), sys.argv[2]
c = pymysql.connect(host="127.0.0.1", port=port, user="root", password="CometQLPassword",
                    database="CometQL_v1", autocommit=True)
out = {"version": c.get_server_info()}
cur = c.cursor()
cur.execute("INSERT INTO pipes_messages (name, event, message) VALUES (%s, %s, %s)",
            ("py_pipe", "e", message))
cur.execute("INSERT INTO users_data (id, data) VALUES (%s, %s)", (61, message))
cur.execute("SELECT id, data FROM users_data WHERE id = %s", (61,))
out["rows"] = [list(r) for r in cur.fetchall()]
cur.execute("SELECT name, users FROM pipes WHERE name IN %s", (("py_pipe", "nope"),))
out["pipes"] = [list(r) for r in cur.fetchall()]
try:
    cur.execute("SELECT * FROM nope")
except pymysql.MySQLError as e:
    out["error"] = [type(e).__name__, e.args[0], e.args[1]]
cur.execute("SELECT 1")
out["after"] = cur.fetchall()[0][0]
print(json.dumps(out))
`;

const CONNECTOR = `
import json, sys, mysql.connector
port, message, pure = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "pure"
c = mysql.connector.connect(host="127.0.0.1", port=port, user="root", password="CometQLPassword",
                            database="CometQL_v1", use_pure=pure, autocommit=True)
out = {"version": c.get_server_info()}
cur = c.cursor()
cur.execute("INSERT INTO pipes_messages (name, event, message) VALUES (%s, %s, %s)",
            ("mc_pipe", "e", message))
cur.execute("SELECT name, users FROM pipes WHERE name = %s", ("mc_pipe",))
out["pipes"] = [list(r) for r in cur.fetchall()]
prepared = c.cursor(prepared=True)
prepared.execute("INSERT INTO pipes_messages (name, event, message) VALUES (%s, %s, %s)",
                 ("mc_pipe", "e", message))
prepared.execute("INSERT INTO users_data (id, data) VALUES (%s, %s)", (62, message))
prepared.execute("SELECT id, data FROM users_data WHERE id = %s", (62,))
out["rows"] = [[str(v) if not isinstance(v, (bytes, bytearray)) else v.decode() for v in r]
               for r in prepared.fetchall()]
try:
    cur.execute("SELECT * FROM nope")
except mysql.connector.Error as e:
    out["error"] = [type(e).__name__, e.errno, e.sqlstate, e.msg]
print(json.dumps(out))
`;

Deno.test("Python MySQL drivers", async (t) => {
  const server = await startTestServer();
  const port = String(server.qlPort);
  const stats = server.node.stats;
  try {
    await t.step("PyMySQL: connects, binds parameters, reads rows and errors", async () => {
      const sub = pipeListener(server.node, "py_pipe");
      const out = JSON.parse(await runPython(PYMYSQL, [port, TRICKY]));
      assertEquals(out, {
        version: "5.7.0-CppComet community 4.09 (AGPL license)",
        rows: [["61", TRICKY]],
        pipes: [["py_pipe", "1"], ["nope", "0"]],
        error: ["InternalError", 15, "Table doesn't exist"],
        after: 1,
      });
      assertEquals(sub.data(), [TRICKY]);
      sub.stop();
    });

    // The pure-Python protocol implementation: the C extension is not in every wheel.
    for (const mode of ["pure"]) {
      await t.step(`mysql-connector-python (${mode}): binding and a prepared cursor`, async () => {
        const sub = pipeListener(server.node, "mc_pipe");
        const [prepares, executes] = [stats.qlStmtPrepares, stats.qlStmtExecutes];
        const out = JSON.parse(await runPython(CONNECTOR, [port, TRICKY, mode]));
        assertEquals(out, {
          version: "5.7.0-CppComet community 4.09 (AGPL license)",
          pipes: [["mc_pipe", "1"]],
          rows: [["62", TRICKY]],
          error: ["ProgrammingError", 15, "42S02", "Table doesn't exist"],
        });
        assertEquals(sub.data(), [TRICKY, TRICKY]);
        // The prepared cursor really used the binary protocol: three statements executed.
        assertEquals(stats.qlStmtExecutes - executes, 3);
        assertEquals(stats.qlStmtPrepares - prepares >= 1, true);
        sub.stop();
      });
    }
  } finally {
    await server.stop();
  }
});
