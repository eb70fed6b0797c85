/**
 * The whole server on MySQL storage while MySQL is down (issue "Storage", point 4): it starts,
 * keeps delivering live messages, answers CometQL operations that need storage with a clear
 * error instead of hanging, and recovers by itself when MySQL returns.
 */
import { connectCometql } from "./helpers/cometql_connection.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { createMariadb, dbIni } from "./helpers/mariadb.ts";
import { startTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";
import { waitFor } from "./helpers/wait_for.ts";

Deno.test("server on MySQL: starts while it is down, keeps delivering, recovers", async () => {
  const db = await createMariadb(); // installed and stopped: an outage from the start
  const server = await startTestServer(
    dbIni(db, db.database, "query_timeout = 1000\nconnect_timeout = 500\n"),
  );
  const ql = await connectCometql(server.qlPort, server.password);
  const { client } = await WsTestClient.connect(server.wsPort, wsPath({ v: "4.08" }));
  try {
    assertEquals(server.node.storage.isAvailable(), false);
    await client.sendText("subscription\nlive_pipe");
    await waitFor(() => server.node.countSubscribers(0, "live_pipe") === 1, "subscribed");

    // Live delivery does not need storage.
    await ql.query(
      "INSERT INTO pipes_messages (name, event, message) VALUES ('live_pipe', 'e', 'x')",
    );
    assertEquals((await client.nextJson()).data, "x");

    // Durable writes answer a clear error, quickly.
    const started = Date.now();
    const error = await ql.query("INSERT INTO users_auth (id, hash) VALUES (5, 'h5')").then(
      () => undefined,
      (e: { errno: number; message: string }) => e,
    );
    assert(error, "users_auth insert must fail while MySQL is down");
    assertEquals(error.errno, 500);
    assert(/storage unavailable/i.test(error.message), error.message);
    assert(Date.now() - started < 3000, "the error must not wait for a long timeout");

    // MySQL comes back: the server recovers by itself.
    await db.start();
    const deadline = Date.now() + 40_000;
    while (!server.node.storage.isAvailable()) {
      assert(Date.now() < deadline, "storage did not recover");
      await new Promise((r) => setTimeout(r, 200));
    }
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (5, 'h5')");
    const [rows] = await ql.query("SELECT * FROM users_auth WHERE id = 5");
    assertEquals(rows as unknown, [{ id: "5", hash: "h5" }]);
  } finally {
    await client.close();
    await ql.end();
    await server.stop();
    await db.stop();
  }
});
