/**
 * The bounds of `[limits]` on the CometQL port (issue 13, points 3, 4, 5, 6, 10, 12): each one
 * holds, answers with a clear ERR where the client can be told, and leaves the server serving.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestServer, withTestServer } from "./helpers/server.ts";
import { RawMysqlClient, type Reply } from "./helpers/sql_clients.ts";

function assertOk(reply: Reply | undefined): void {
  assert(reply?.kind === "ok", `expected OK, got ${JSON.stringify(reply)}`);
}

function errOf(reply: Reply | undefined): { code: number; message: string } {
  assert(reply?.kind === "err", `expected ERR, got ${JSON.stringify(reply)}`);
  return { code: reply.code, message: reply.message };
}

async function login(port: number): Promise<RawMysqlClient> {
  const [client, reply] = await RawMysqlClient.login(port);
  assertOk(reply);
  return client;
}

/** `promise`, or a rejection after `ms` (a server that never answers fails the test, not hangs). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

Deno.test("IN with the same key 300 times returns each row once", async () => {
  await withTestServer(async (t) => {
    const c = await login(t.qlPort);
    assertOk((await c.query("INSERT INTO pipes_settings (name, length) VALUES ('dupes', 50)"))[0]);
    for (let i = 0; i < 5; i++) {
      await c.query(
        `INSERT INTO pipes_messages (name, event, message) VALUES ('dupes', 'e', 'm${i}')`,
      );
    }
    const keys = Array(300).fill("'dupes'").join(", ");
    const [result] = await c.query(`SELECT * FROM pipes_messages WHERE name IN (${keys})`);
    assert(result.kind === "rows");
    assertEquals(result.rows.length, 5);
    c.close();
  });
});

Deno.test("a result set past cometql_result_max_bytes is an ERR; the connection goes on", async () => {
  await withTestServer(async (t) => {
    const c = await login(t.qlPort);
    await c.query("INSERT INTO pipes_settings (name, length) VALUES ('bigpipe', 99)");
    const body = "x".repeat(1000);
    for (let i = 0; i < 30; i++) {
      await c.query(
        `INSERT INTO pipes_messages (name, event, message) VALUES ('bigpipe', 'e', '${body}')`,
      );
    }
    const err = errOf((await c.query("SELECT * FROM pipes_messages WHERE name = 'bigpipe'"))[0]);
    assertEquals(err.code, 11);
    assert(err.message.includes("cometql_result_max_bytes"), err.message);
    const [after] = await c.query("SELECT 1");
    assert(after.kind === "rows");
    c.close();
  }, "[limits]\ncometql_result_max_bytes = 20000\n");
});

Deno.test("unknown table names do not become /metrics labels", async () => {
  await withTestServer(async (t) => {
    const c = await login(t.qlPort);
    for (let i = 0; i < 300; i++) await c.query(`DELETE FROM nosuch_table_${i} WHERE id = 1`);
    await c.query("SELECT * FROM users_time WHERE id = 1");
    const types = [...t.node.stats.qlQueriesByType.keys()];
    assert(!types.some((type) => type.includes("nosuch")), types.join(" "));
    assertEquals(t.node.stats.qlQueriesByType.get("delete:other"), 300);
    assertEquals(t.node.stats.qlQueriesByType.get("select:users_time"), 1);
    c.close();
  });
});

Deno.test("prepared statements per connection are bounded (cometql_prepared_max)", async () => {
  await withTestServer(async (t) => {
    const c = await login(t.qlPort);
    const prepare = async (sql: string) => {
      await c.command(0x16, sql);
      return await c.readPacket();
    };
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ok = await prepare(`SET @a${i} = 1`);
      assertEquals(ok.payload[0], 0, "COM_STMT_PREPARE_OK");
      ids.push(new DataView(ok.payload.buffer, ok.payload.byteOffset + 1).getUint32(0, true));
    }
    const refused = await prepare("SET @b = 1");
    assertEquals(refused.payload[0], 0xff, "ERR");
    assert(new TextDecoder().decode(refused.payload).includes("cometql_prepared_max"));
    await c.command(0x19, new Uint8Array(u32(ids[0]))); // COM_STMT_CLOSE: room for one more
    assertEquals((await prepare("SET @b = 1")).payload[0], 0);
    c.close();
  }, "[limits]\ncometql_prepared_max = 5\n");
});

Deno.test("COM_STMT_SEND_LONG_DATA is bounded per statement (cometql_long_data_max)", async () => {
  await withTestServer(async (t) => {
    const c = await login(t.qlPort);
    await c.command(0x16, "SET @long = ?");
    const ok = await c.readPacket();
    assertEquals(ok.payload[0], 0);
    const id = new DataView(ok.payload.buffer, ok.payload.byteOffset + 1).getUint32(0, true);
    await c.readPacket(); // the parameter's definition
    await c.readPacket(); // EOF
    const chunk = new Uint8Array(100_000).fill(0x61);
    for (let i = 0; i < 20; i++) {
      await c.command(0x18, new Uint8Array([...u32(id), 0, 0, ...chunk]));
    }
    // EXECUTE: flags 0, iteration 1, null bitmap 0, types bound: string
    const execute = new Uint8Array([...u32(id), 0, ...u32(1), 0, 1, 0xfe, 0]);
    await c.command(0x17, execute);
    const err = errOf(await c.readReply());
    assertEquals(err.code, 11);
    assert(err.message.includes("cometql_long_data_max"), err.message);
    // The statement is usable again with a value of a sane size.
    await c.command(0x17, new Uint8Array([...u32(id), 0, ...u32(1), 0, 1, 0xfe, 0, 2, 0x68, 0x69]));
    assertOk(await c.readReply());
    c.close();
  }, "[limits]\ncometql_long_data_max = 200000\n");
});

Deno.test("before login: small packets only, and a login timeout (also for haproxy_check)", async () => {
  const t = await startTestServer("[limits]\ncometql_login_timeout = 1\n");
  try {
    // A packet header announcing ~1 MB before login: refused at once, not buffered.
    const big = await RawMysqlClient.open(t.qlPort);
    await big.writeRaw(new Uint8Array([0x40, 0x42, 0x0f, 1, ...new Uint8Array(1000)]));
    const err = errOf(await within(3000, big.readReply()));
    assertEquals(err.code, 11);
    assert(await big.closedByServer());

    // Connected, never logs in: closed after the timeout.
    const idle = await RawMysqlClient.open(t.qlPort);
    const started = Date.now();
    assert(await idle.closedByServer(5000), "idle unauthenticated connection closed");
    assert(Date.now() - started >= 500, "not before the timeout");

    // A health probe logs in without password: COM_STATISTICS says no more than "up".
    const [probe, reply] = await RawMysqlClient.login(t.qlPort, {
      user: "haproxy_check",
      authResponse: new Uint8Array(0),
    });
    assertOk(reply);
    await probe.command(0x09);
    const text = new TextDecoder().decode((await probe.readPacket()).payload);
    assert(!/Questions|Threads|Uptime: \d{2}/.test(text), text);
    assert(await probe.closedByServer(5000), "the probe is closed at the login timeout too");

    // A real login is not timed out, and may send big queries afterwards.
    const c = await login(t.qlPort);
    // Proves that no timeout comes: longer than cometql_login_timeout (1 s), no event to wait for.
    await new Promise((r) => setTimeout(r, 1500));
    const [rows] = await c.query(`SELECT '${"y".repeat(20000)}'`);
    assert(rows.kind === "rows");
    c.close();
  } finally {
    await t.stop();
  }
});

Deno.test("deep nesting is a clean ERR and the connection stays open", async () => {
  await withTestServer(async (t) => {
    const c = await login(t.qlPort);
    const parens = `SELECT ${"(".repeat(5000)}1${")".repeat(5000)}`;
    const minus = `SELECT ${"-".repeat(300_000)}1`;
    for (const sql of [parens, minus]) {
      const err = errOf((await c.query(sql))[0]);
      assertEquals(err.code, 3);
      assert(err.message.includes("sql_max_depth"), err.message);
    }
    const [ok] = await c.query(`SELECT ${"(".repeat(50)}2${")".repeat(50)} AS two`);
    assert(ok.kind === "rows");
    assertEquals(ok.rows[0], ["2"]);
    // Prepared statements are parsed with the same bound.
    await c.command(0x16, parens);
    const refused = await c.readPacket();
    assertEquals(refused.payload[0], 0xff);
    c.close();
  });
});
