/**
 * `[retention] history_sync = true` (issue 13, point 2): an INSERT into a pipe with history is
 * acknowledged only once stored, so SIGKILL right after the acknowledgements loses none of them.
 * The batch interval is long here (1 s): without the option every row would still be in memory.
 */
import { assertEquals } from "./helpers/assert.ts";
import { spawnComet } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { testConf } from "./helpers/test_conf.ts";

const PASSWORD = "HistorySyncPassword";
const COUNT = 99;

Deno.test("history_sync: every acknowledged history INSERT survives SIGKILL", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-history-sync-" });
  const confPath = `${dataDir}/comet.conf`;
  await Deno.writeTextFile(
    confPath,
    testConf(dataDir, PASSWORD, "[retention]\nhistory_flush_ms = 1000\nhistory_sync = true\n"),
  );
  let proc = await spawnComet(confPath);
  try {
    const ql = await connectCometql(proc.qlPort, PASSWORD);
    await ql.query("INSERT INTO pipes_settings (name, length) VALUES ('synced', 100)");
    // Several connections at once, so rows of one turn share a write (group commit).
    const others = await Promise.all([1, 2, 3].map(() => connectCometql(proc.qlPort, PASSWORD)));
    const all = [ql, ...others];
    await Promise.all(all.map(async (conn, c) => {
      for (let i = c; i < COUNT; i += all.length) {
        await conn.query(
          "INSERT INTO pipes_messages (name, event, message) VALUES ('synced', 'e', ?)",
          [`m${i}`],
        );
      }
    }));
    proc.kill("SIGKILL");
    await proc.exited();
    for (const conn of all) conn.destroy();

    proc = await spawnComet(confPath);
    const after = await connectCometql(proc.qlPort, PASSWORD);
    const [rows] = await after.query("SELECT message FROM pipes_messages WHERE name = 'synced'");
    const messages = (rows as { message: string }[]).map((r) => r.message).sort();
    assertEquals(messages, Array.from({ length: COUNT }, (_, i) => `m${i}`).sort());
    await after.end();
  } finally {
    await proc.dispose();
  }
});
