/**
 * The MySQL wire protocol as CometQL speaks it (docs/protocol/cometql.md §2, corrected per
 * docs/compatibility.md), checked byte by byte with a raw client.
 */
import { clearDeliveryBacklog, raiseDeliveryBacklog } from "../src/core/delivery_pressure.ts";
import { expectedSqlState, RawMysqlClient, type Reply } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const AUTOCOMMIT = 0x0002;
const MORE_RESULTS = 0x0008;

function assertErr(reply: Reply | undefined, code: number, message: string): void {
  assertEquals(reply, { kind: "err", code, sqlState: expectedSqlState(code, message), message });
}

function assertOk(reply: Reply | undefined): asserts reply is Reply & { kind: "ok" } {
  assert(reply?.kind === "ok", `expected OK, got ${JSON.stringify(reply)}`);
}

Deno.test("CometQL wire protocol", async (t) => {
  const server = await startTestServer();
  const port = server.qlPort;
  const login = async (options = {}) => {
    const [client, reply] = await RawMysqlClient.login(port, options);
    assertOk(reply);
    return client;
  };
  try {
    await t.step(
      "handshake v10: version, no SSL/COMPRESS, native password, safe scramble",
      async () => {
        const c = await RawMysqlClient.open(port);
        const h = c.handshake;
        // docs/compatibility.md point 2: a MySQL version number first (clients parse it), then the
        // product.
        assertEquals(h.version, "5.7.0-CppComet community 4.09 (AGPL license)");
        assertEquals(h.plugin, "mysql_native_password");
        assertEquals(h.status, AUTOCOMMIT);
        assertEquals(h.capabilities & 0x0800, 0, "SSL must not be advertised");
        assertEquals(h.capabilities & 0x0020, 0, "COMPRESS must not be advertised");
        for (const flag of [0x0008, 0x0200, 0x8000, 0x10000, 0x20000, 0x80000]) {
          assert(h.capabilities & flag, `capability 0x${flag.toString(16)}`);
        }
        assertEquals(h.scramble.length, 20);
        assert(h.scramble.every((b) => b >= 1 && b <= 0x7f));
        c.close();
      },
    );

    await t.step("login answers OK with seq 2 and honest status flags", async () => {
      const c = await RawMysqlClient.open(port);
      await c.sendLogin({ database: "CometQL_v1" }).then(assertOk);
      await c.command(0x0e);
      const ping = await c.readPacket();
      assertEquals(ping.seq, 1);
      assertEquals([...ping.payload], [0, 0, 0, 0x02, 0, 0, 0]);
      c.close();
    });

    await t.step("wrong password → ERR 16 Authentication failure, then close", async () => {
      const [c, reply] = await RawMysqlClient.login(port, { password: "nope" });
      assertErr(reply, 16, "Authentication failure");
      assert(await c.closedByServer());
    });

    await t.step(
      "user names: root, 0 and decimal dev_id < dev_index_size; others refused",
      async () => {
        for (const user of ["abc", "100000", "-1", "1x"]) {
          const [c, reply] = await RawMysqlClient.login(port, { user });
          assertErr(reply, 16, "Authentication failure");
          c.close();
        }
        for (const [user, devId] of [["root", "0"], ["0", "0"], ["0042", "42"]]) {
          const c = await login({ user });
          const [status] = await c.query("show status");
          assert(status.kind === "rows");
          assertEquals(status.rows[1], ["id", devId]);
          c.close();
        }
      },
    );

    await t.step(
      "databases: CometQL_v1, db_N (sets dev_id), empty = none; others ERR 15",
      async () => {
        const [bad, reply] = await RawMysqlClient.login(port, { database: "cometql_v1" });
        assertErr(reply, 15, "Select database failure");
        assert(await bad.closedByServer());
        const c = await login({ database: "db_3" });
        const [db] = await c.query("select database()");
        assert(db.kind === "rows");
        assertEquals(db.rows, [["db_3"]]);
        const [status] = await c.query("show status");
        assert(status.kind === "rows");
        assertEquals(status.rows[1], ["id", "3"]);
        // COM_INIT_DB failure keeps the connection open.
        await c.command(0x02, "nope");
        assertErr(await c.readReply(), 15, "Select database failure");
        await c.command(0x02, "CometQL_v1");
        assertOk(await c.readReply());
        assertErr((await c.query("use db_100000"))[0], 15, "Select database failure");
        assertOk((await c.query("USE `db_7`"))[0]);
        const [s] = await c.query("show status");
        assert(s.kind === "rows" && s.rows[1][1] === "7");
        c.close();
        (await login({ database: "" })).close();
      },
    );

    await t.step("MySQL 8 clients (caching_sha2_password) get an AuthSwitchRequest", async () => {
      const c = await login({
        plugin: "caching_sha2_password",
        authResponse: new Uint8Array(32).fill(1),
      });
      assertEquals((await c.query("select 1"))[0].kind, "rows");
      c.close();
      const [bad, reply] = await RawMysqlClient.login(port, {
        plugin: "caching_sha2_password",
        password: "wrong",
        authResponse: new Uint8Array(0),
      });
      assertErr(reply, 16, "Authentication failure");
      bad.close();
    });

    await t.step("haproxy_check logs in without password but may not query (ERR 403)", async () => {
      const c = await login({ user: "haproxy_check", authResponse: new Uint8Array(0) });
      assertErr((await c.query("select 1"))[0], 403, "Access denied");
      c.close();
    });

    await t.step("pipelined commands in one write all run, in order", async () => {
      const c = await login();
      const packets: number[] = [];
      const push = (payload: number[]) => packets.push(payload.length, 0, 0, 0, ...payload);
      push([0x0e]);
      push([0x03, ...new TextEncoder().encode("select 'first'")]);
      push([0x03, ...new TextEncoder().encode("select 'second'")]);
      push([0x0e]);
      await c.writeRaw(new Uint8Array(packets));
      assertOk(await c.readReply());
      const first = await c.readReply();
      const second = await c.readReply();
      assert(first.kind === "rows" && second.kind === "rows");
      assertEquals([first.rows, second.rows], [[["first"]], [["second"]]]);
      assertOk(await c.readReply());
      c.close();
    });

    await t.step(
      "while deliveries are backlogged no command runs; then all, in order",
      async () => {
        const c = await login();
        const packets: number[] = [];
        const push = (payload: number[]) => packets.push(payload.length, 0, 0, 0, ...payload);
        push([0x03, ...new TextEncoder().encode("select 'first'")]);
        push([0x03, ...new TextEncoder().encode("select 'second'")]);
        const before = server.node.stats.qlQueries;
        raiseDeliveryBacklog();
        try {
          await c.writeRaw(new Uint8Array(packets));
          // Proves that nothing runs while backlogged: there is no event to wait for.
          await new Promise((resolve) => setTimeout(resolve, 50));
          assertEquals(server.node.stats.qlQueries, before, "ran while backlogged");
        } finally {
          clearDeliveryBacklog();
        }
        const first = await c.readReply();
        const second = await c.readReply();
        assert(first.kind === "rows" && second.kind === "rows");
        assertEquals([first.rows, second.rows], [[["first"]], [["second"]]]);
        assertEquals(server.node.stats.qlQueries, before + 2);
        c.close();
      },
    );

    await t.step(
      "small commands: FIELD_LIST, STATISTICS, SET_OPTION, RESET, unknown, QUIT",
      async () => {
        const c = await login();
        await c.command(0x04, "pipes\0");
        assertEquals(await c.readReply(), { kind: "eof", warnings: 0, status: AUTOCOMMIT });
        await c.command(0x09);
        assert(new TextDecoder().decode((await c.readPacket()).payload).startsWith("Uptime: "));
        await c.command(0x1b, new Uint8Array([0, 0]));
        assertEquals((await c.readReply()).kind, "eof");
        await c.command(0x1f);
        assertOk(await c.readReply());
        await c.command(0x1d);
        assertErr(await c.readReply(), 2, "Unknown command");
        await c.command(0x01);
        assert(await c.closedByServer());
      },
    );

    await t.step(
      "multi-statement queries: one result each, MORE_RESULTS on all but the last",
      async () => {
        const c = await login();
        const replies = await c.query(
          "select 1 as a; set names utf8; select @@version_comment limit 1; select database()",
        );
        assertEquals(replies.map((r) => r.kind), ["rows", "ok", "rows", "rows"]);
        assertEquals(replies.map((r) => "status" in r && r.status), [
          AUTOCOMMIT | MORE_RESULTS,
          AUTOCOMMIT | MORE_RESULTS,
          AUTOCOMMIT | MORE_RESULTS,
          AUTOCOMMIT,
        ]);
        const stopped = await c.query("select 1; select * from nope; select 2");
        assertEquals(stopped.map((r) => r.kind), ["rows", "err"]);
        // The whole text parses before anything runs: a syntax error anywhere, one ERR only.
        const before = server.node.stats.qlQueries;
        const syntax = await c.query("select 1; selec 2");
        assertEquals(syntax.length, 1);
        assertErr(syntax[0], 3, "Syntax error in query");
        assertEquals(server.node.stats.qlQueries, before, "a statement ran");
        c.close();
      },
    );

    await t.step(
      "without CLIENT_MULTI_STATEMENTS several statements are a syntax error; COM_SET_OPTION",
      async () => {
        const c = await login({ multiStatements: false });
        const before = server.node.stats.qlQueries;
        const refused = await c.query("select 1; select 2");
        assertEquals(refused.length, 1);
        assertErr(refused[0], 3, "Syntax error in query");
        assertEquals(server.node.stats.qlQueries, before, "a statement ran");
        // One statement with trailing `;` (or `;;;`) is still one statement.
        const one = await c.query("select 1;;;");
        assertEquals(one.map((r) => r.kind), ["rows"]);
        // MYSQL_OPTION_MULTI_STATEMENTS_ON (0), as mysqli_multi_query sends it, then OFF (1).
        await c.command(0x1b, new Uint8Array([0, 0]));
        assertEquals((await c.readReply()).kind, "eof");
        assertEquals((await c.query("select 1; select 2")).map((r) => r.kind), ["rows", "rows"]);
        await c.command(0x1b, new Uint8Array([1, 0]));
        assertEquals((await c.readReply()).kind, "eof");
        assertErr((await c.query("select 1; select 2"))[0], 3, "Syntax error in query");
        c.close();
      },
    );

    await t.step(
      "query length: ≤ 3 bytes ERR 17, blank/`;` OK, over the limit ERR 11",
      async () => {
        const c = await login();
        assertErr((await c.query("abc"))[0], 17, "Data is too short");
        assertOk((await c.query(";"))[0]);
        assertOk((await c.query(""))[0]);
        assertOk((await c.query(" ; ;"))[0]);
        const long = `select '${"x".repeat(server.config.cometql.maxQuerySize)}'`;
        assertErr((await c.query(long))[0], 11, "Data is too long");
        assertOk((await c.query("set names utf8"))[0]); // still open
        c.close();
      },
    );

    await t.step("result sets of any size: rows > 250 B and > 64 KB, > 250 columns", async () => {
      const c = await login();
      for (const size of [251, 70_000, 300_000]) {
        const text = "é".repeat(size);
        assertOk((await c.query(`insert into users_data (id, data) values (5, '${text}')`))[0]);
        const [r] = await c.query("select data from users_data where id = 5");
        assert(r.kind === "rows");
        assertEquals(r.rows[0][0], text);
      }
      const many = Array.from({ length: 300 }, (_, i) => String(i)).join(", ");
      const [wide] = await c.query(`select ${many}`);
      assert(wide.kind === "rows");
      assertEquals(wide.columns.length, 300);
      assertEquals(wide.rows[0][299], "299");
      c.close();
    });

    await t.step(
      "garbage and malformed packets close the connection; others are untouched",
      async () => {
        const bystander = await login();
        const g1 = await RawMysqlClient.open(port);
        await g1.writeRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert(await g1.closedByServer());
        const g2 = await login();
        await g2.write(new Uint8Array([0x03, 0x41]), 5); // a command must start at seq 0
        assert(await g2.closedByServer());
        const g3 = await login();
        await g3.command(0x17, new Uint8Array([1])); // truncated COM_STMT_EXECUTE
        assertErr(await g3.readReply(), 500, "Malformed packet");
        assert(await g3.closedByServer());
        const [r] = await bystander.query("select 'still here'");
        assert(r.kind === "rows" && r.rows[0][0] === "still here");
        bystander.close();
      },
    );
  } finally {
    await server.stop();
  }
});
