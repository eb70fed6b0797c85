/**
 * Random and mutated input: every query gets a well-formed OK, ERR or result set, no statement
 * reaches the "internal server error" path, random command packets never take the server (or
 * another session) down. A fixed seed keeps failures reproducible.
 */
import { expectedSqlState, RawMysqlClient } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { prng } from "./helpers/prng.ts";

const SEEDS = [
  "insert into pipes_messages (name, event, message) values ('fuzzpipe', 'ev', 'msg')",
  "insert into pipes_messages values ('', 0, 'fuzzpipe', 0, 'e', 'm', 0), ('', 0, 'abc', 0, 'e', 'm', 0)",
  "select * from pipes_messages where name = 'fuzzpipe' limit 1, 2",
  "select name, users from pipes where name in ('a1b', 'fuzzpipe')",
  "insert into users_auth (id, hash) values (5, 'abc')",
  "delete from users_auth where id = 5",
  "select * from users_time where id in (1, 2, 3)",
  "insert into users_messages (id, event, message) values (3, 'e', 'private')",
  "select * from users_messages where id = 3",
  "insert into pipes_settings (name, length) values ('fuzzpipe', 5)",
  "delete from pipes_settings where name = 'fuzzpipe'",
  "insert into users_data (id, data) values (2, 'some \\'data\\'')",
  "select * from revoked_tokens where token = 'x'",
  "show global status",
  "show variables like 'max%'",
  "describe pipes_messages",
  "select @@version_comment, @@max_allowed_packet limit 1",
  "select 1 + 2 * 3 as x, now(), database(), user()",
  "set names utf8mb4 collate utf8mb4_general_ci",
  "/* c */ select 1; # x\n select 2 -- y\n",
  "use CometQL_v1",
];

const PIECES = [
  "'",
  '"',
  "`",
  "\\",
  "(",
  ")",
  ",",
  ";",
  "*",
  "=",
  "?",
  "@@",
  "@",
  "/*",
  "*/",
  "--",
  "#",
  "select",
  "from",
  "where",
  "in",
  "limit",
  "order by",
  "or",
  "and",
  "values",
  "null",
  "-",
  "1e999",
  "99999999999999999999",
  "\0",
  "ж",
  "😀",
  "\n",
];

function mutate(sql: string, rnd: () => number): string {
  let s = sql;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const r = rnd();
    if (r < 0.4) s = s.slice(0, at) + PIECES[Math.floor(rnd() * PIECES.length)] + s.slice(at);
    else if (r < 0.7) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 5));
    else if (r < 0.85) s = s.slice(0, at);
    else s = s.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(at);
  }
  return s;
}

Deno.test("fuzzed queries and packets", async (t) => {
  const server = await startTestServer();
  const port = server.qlPort;
  try {
    await t.step("every mutated query gets a well-formed OK, ERR or result set", async () => {
      const rnd = prng(20190401);
      const [c] = await RawMysqlClient.login(port, { database: "CometQL_v1" });
      const kinds = new Map<string, number>();
      for (let i = 0; i < 1500; i++) {
        const base = SEEDS[Math.floor(rnd() * SEEDS.length)];
        const sql = rnd() < 0.15 ? base : mutate(base, rnd);
        const replies = await c.query(sql); // throws if anything is malformed
        for (const r of replies) {
          kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
          if (r.kind === "err") {
            assert(r.code !== 500, `${JSON.stringify(sql)} → ${r.message}`);
            assertEquals(r.sqlState, expectedSqlState(r.code, r.message));
          }
        }
      }
      for (const kind of ["ok", "err", "rows"]) assert((kinds.get(kind) ?? 0) > 50, kind);
      const [alive] = await c.query("select 'alive'");
      assert(alive.kind === "rows");
      c.close();
    });

    await t.step(
      "random command packets: answered or closed, never a hang or a crash",
      async () => {
        const rnd = prng(7);
        const [bystander] = await RawMysqlClient.login(port);
        for (let i = 0; i < 150; i++) {
          const [c] = await RawMysqlClient.login(port);
          const size = Math.floor(rnd() * 40);
          const payload = new Uint8Array(1 + size);
          payload[0] = [0x16, 0x17, 0x18, 0x19, 0x1a, 0x03, 0x02, 0x04, 0x11, 0x1c][i % 10];
          for (let j = 1; j < payload.length; j++) payload[j] = Math.floor(rnd() * 256);
          await c.write(payload);
          await c.command(0x0e); // a ping after it: its OK proves the session is still in step
          const timer = setTimeout(() => c.close(), 3000);
          try {
            for (;;) {
              const p = await c.readPacket();
              if (p.payload[0] === 0x00 && p.payload.length === 7) break;
            }
          } catch {
            // closed by the server: fine
          } finally {
            clearTimeout(timer);
            c.close();
          }
        }
        const [r] = await bystander.query("select 'still fine'");
        assert(r.kind === "rows" && r.rows[0][0] === "still fine");
        bystander.close();
      },
    );
  } finally {
    await server.stop();
  }
});
