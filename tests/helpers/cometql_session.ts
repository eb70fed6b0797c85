/**
 * A fresh in-process server with one backend logged in to CometQL_v1 over the MySQL wire
 * protocol (docs/protocol/cometql.md §2), and the reply checks every CometQL table test uses.
 * Browsers are stood in for by fake subscribers registered with `node` (./fake_subscriber.ts).
 */
import type { CometNode } from "../../src/core/comet_node.ts";
import { assert, assertEquals } from "./assert.ts";
import { startTestServer, type TestServer } from "./server.ts";
import { expectedSqlState, RawMysqlClient, type Reply } from "./sql_clients.ts";

export interface CometqlSession {
  server: TestServer;
  node: CometNode;
  client: RawMysqlClient;
  /** The first reply to `sql`, whatever its kind. */
  q(sql: string): Promise<Reply>;
  /** The rows of `sql`'s result set; fails unless the reply is a result set. */
  rowsOf(sql: string): Promise<(string | null)[][]>;
  /** `[affectedRows, insertId]` of `sql`'s OK; fails unless the reply is an OK. */
  okOf(sql: string): Promise<[number, number]>;
  /**
   * `[code, message]` of `sql`'s ERR; fails unless the reply is an ERR with the code's SQLSTATE.
   */
  errOf(sql: string): Promise<[number, string]>;
}

/** Starts a server and logs a backend in; `stop` closes both. */
export async function startCometqlSession(): Promise<CometqlSession & { stop(): Promise<void> }> {
  const server = await startTestServer();
  try {
    const [client, login] = await RawMysqlClient.login(server.qlPort, { database: "CometQL_v1" });
    assert(login.kind === "ok", JSON.stringify(login));
    const q = async (sql: string): Promise<Reply> => (await client.query(sql))[0];
    return {
      server,
      node: server.node,
      client,
      q,
      async rowsOf(sql) {
        const r = await q(sql);
        assert(r.kind === "rows", `${sql}: ${JSON.stringify(r)}`);
        return r.rows;
      },
      async okOf(sql) {
        const r = await q(sql);
        assert(r.kind === "ok", `${sql}: ${JSON.stringify(r)}`);
        return [r.affectedRows, r.insertId];
      },
      async errOf(sql) {
        const r = await q(sql);
        assert(r.kind === "err", `${sql}: ${JSON.stringify(r)}`);
        assertEquals(r.sqlState, expectedSqlState(r.code, r.message));
        return [r.code, r.message];
      },
      async stop() {
        client.close();
        await server.stop();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** Runs `fn` in a fresh session and stops it afterwards, even if `fn` throws. */
export async function withCometqlSession(fn: (s: CometqlSession) => Promise<void>): Promise<void> {
  const session = await startCometqlSession();
  try {
    await fn(session);
  } finally {
    await session.stop();
  }
}
