/**
 * Storage across a restart, with each driver (issue "Storage", point 5): publish history, queue
 * private messages, store hashes and users_data, stop the server with SIGTERM, start it again on
 * the same storage — every item is there (history also through the browser's pipe_log), and
 * queued messages are delivered exactly once.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { spawnComet } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { testConf } from "./helpers/test_conf.ts";
import { dbIni, startMariadb } from "./helpers/mariadb.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const PASSWORD = "RestartPassword";
const HISTORY = 30;
const QUEUED = 25;

async function cometql(port: number) {
  const conn = await connectCometql(port, PASSWORD);
  return {
    query: (sql: string, values?: unknown[]) => conn.query(sql, values),
    /** Rows of a SELECT, as plain objects. */
    rows: async (sql: string) => (await conn.query(sql))[0] as Record<string, string>[],
    end: () => conn.end(),
  };
}

async function restartKeepsEverything(dbSection: string) {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-restart-" });
  const confPath = `${dataDir}/comet.conf`;
  await Deno.writeTextFile(confPath, testConf(dataDir, PASSWORD, dbSection));

  // ---- first life: write everything ----
  let proc = await spawnComet(confPath);
  try {
    const ql = await cometql(proc.qlPort);
    await ql.query("INSERT INTO pipes_settings (name, length) VALUES ('news', 50)");
    for (let i = 0; i < HISTORY; i++) {
      await ql.query("INSERT INTO pipes_messages (name, event, message) VALUES ('news', 'n', ?)", [
        `message ${i} it's "quoted" \\ ünïcödé`,
      ]);
    }
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (7, 'hash7')");
    await ql.query('INSERT INTO users_data (id, data) VALUES (7, \'{"nick":"bob"}\')');
    for (let i = 0; i < QUEUED; i++) {
      await ql.query("INSERT INTO users_messages (id, event, message) VALUES (7, 'pm', ?)", [
        `private ${i}`,
      ]);
    }
    await ql.end();
    proc.kill("SIGTERM");
    assertEquals((await proc.exited()).code, 0, proc.output());
  } finally {
    await proc.dispose();
  }

  // ---- second life: everything is there ----
  proc = await spawnComet(confPath);
  try {
    const ql = await cometql(proc.qlPort);
    const history = await ql.rows("SELECT message FROM pipes_messages WHERE name = 'news'");
    assertEquals(
      history.map((r) => r.message),
      Array.from({ length: HISTORY }, (_, i) => `message ${i} it's "quoted" \\ ünïcödé`),
    );
    const settings = await ql.rows("SELECT * FROM pipes_settings WHERE name = 'news'");
    assertEquals(settings, [{ name: "news", length: "50" }]);
    const auth = await ql.rows("SELECT * FROM users_auth WHERE id = 7");
    assertEquals(auth, [{ id: "7", hash: "hash7" }]);
    const data = await ql.rows("SELECT * FROM users_data WHERE id = 7");
    assertEquals(data, [{ id: "7", data: '{"nick":"bob"}' }]);

    // pipe_log replays the stored history after the restart (S6, oldest first).
    const reader = await WsTestClient.connect(proc.wsPort, wsPath({ v: "4.08" }));
    await reader.client.sendText("pipe_log\nnews\n1234567890\n");
    for (let i = 0; i < HISTORY; i++) {
      const { message_send_time: _, ...frame } = await reader.client.nextJson();
      assertEquals(frame, {
        data: `message ${i} it's "quoted" \\ ünïcödé`,
        event: "n",
        fromQueue: true,
        pipe: "news",
        user_id: 0,
      });
    }
    await reader.client.close();

    // The queue is delivered once, in order, on the user's next connection…
    const path = wsPath({ key: "hash7", userId: 7, v: "4.08" });
    const first = await WsTestClient.connect(proc.wsPort, path);
    assertEquals(first.serverInfo.authorized, true);
    const got: string[] = [];
    for (let i = 0; i < QUEUED; i++) {
      const frame = await first.client.nextJson();
      assertEquals(frame.pipe, "msg");
      assertEquals(frame.fromQueue, true);
      got.push(frame.data as string);
    }
    assertEquals(got, Array.from({ length: QUEUED }, (_, i) => `private ${i}`));
    await first.client.close();
    // …and never again.
    const second = await WsTestClient.connect(proc.wsPort, path);
    assertEquals(second.serverInfo.authorized, true);
    await second.client.expectNoFrame(300);
    await second.client.close();
    const left = await ql.rows("SELECT * FROM users_messages WHERE id = 7");
    assertEquals(left, []);
    await ql.end();
    proc.kill("SIGTERM");
    assertEquals((await proc.exited()).code, 0, proc.output());
  } finally {
    await proc.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("restart keeps history, settings, hashes, users_data and the queue (SQLite)", async () => {
  await restartKeepsEverything("");
});

Deno.test("restart keeps history, settings, hashes, users_data and the queue (MySQL)", async () => {
  const db = await startMariadb();
  const name = `comet_restart_${Deno.pid}`;
  await db.sql(`CREATE DATABASE ${name}`);
  assert(db.isRunning());
  await restartKeepsEverything(dbIni(db, name));
});
