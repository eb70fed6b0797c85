/**
 * Values a table cannot store are refused as input, across the tables (docs/protocol/cometql.md
 * §7, §8): too long (ERR 11, SQLSTATE 22001) or a user id past the stored int, before storage is
 * touched; and a multi-row INSERT with one bad row changes nothing.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

Deno.test("too-long values are ERR 11 (22001) before storage is touched", () =>
  withCometqlSession(async ({ q, okOf, rowsOf, errOf }) => {
    // varbinary(600): 650 bytes is refused as input, not reported as a storage outage.
    const listed = (await rowsOf("select * from revoked_tokens")).length;
    const r = await q(`insert into revoked_tokens (token) values ('${"t".repeat(650)}')`);
    assertEquals(r, { kind: "err", code: 11, sqlState: "22001", message: "Token is too long" });
    // 600 bytes of UTF-8 is the limit, not 600 characters.
    assertEquals(
      (await errOf(`insert into revoked_tokens values ('${"é".repeat(301)}')`))[0],
      11,
    );
    assertEquals(await okOf(`insert into revoked_tokens values ('${"é".repeat(300)}')`), [1, 1]);
    assertEquals((await rowsOf("select * from revoked_tokens")).length, listed + 1);
    await okOf(`delete from revoked_tokens where token = '${"é".repeat(300)}'`);
    for (
      const [sql, message] of [
        [`insert into users_auth values (3, '${"a".repeat(33)}')`, "Hash string is too long"],
        [
          `insert into pipes_messages (name, event, message) values ('${
            "p".repeat(65)
          }', 'e', 'm')`,
          "Channel name is too long",
        ],
        [
          `insert into users_messages (id, event, message) values (3, '${"e".repeat(65)}', 'm')`,
          "Channel event_name is too long",
        ],
        [
          `insert into pipes_settings (name, length) values ('${"p".repeat(65)}', 5)`,
          "Channel name is too long",
        ],
      ]
    ) {
      const e = await q(sql);
      assertEquals(e, { kind: "err", code: 11, sqlState: "22001", message }, sql);
    }
  }));

Deno.test("user ids beyond the stored int are refused before storage", () =>
  withCometqlSession(async ({ okOf, rowsOf, errOf }) => {
    for (
      const sql of [
        "insert into users_auth (id, hash) values (2147483648, 'h')",
        "insert into users_data (id, data) values (4294967297, 'd')",
        "insert into users_messages (id, event, message) values (2147483648, 'e', 'm')",
      ]
    ) {
      assertEquals(await errOf(sql), [12, "The id field must be at most 2147483647"], sql);
    }
    assertEquals(await okOf("insert into users_auth (id, hash) values (2147483647, 'h')"), [
      1,
      2147483647,
    ]);
    assertEquals(await rowsOf("select * from users_auth where id = 4294967297"), []);
  }));

Deno.test("a multi-row INSERT with one bad row changes nothing", () =>
  withCometqlSession(async ({ node, q, rowsOf }) => {
    const r = await q(
      `insert into users_auth (id, hash) values (41, 'good41'), (42, '${"a".repeat(40)}')`,
    );
    assert(r.kind === "err" && r.code === 11, JSON.stringify(r));
    assertEquals(await rowsOf("select * from users_auth where id = 41"), []);
    const sub = fakeSubscriber(0);
    node.setSubscriptions(sub, ["rowpipe"]);
    const bad = await q(
      "insert into pipes_messages (name, event, message) values ('rowpipe', 'e', 'one'), ('x', 'e', 'two')",
    );
    assert(bad.kind === "err" && bad.code === 17, JSON.stringify(bad));
    assertEquals(sub.received, []);
    node.setSubscriptions(sub, []);
  }));
