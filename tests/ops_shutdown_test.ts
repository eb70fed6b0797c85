/**
 * SIGTERM is a graceful stop: the process exits 0 in bounded time and every publish CometQL
 * acknowledged is in the history after a restart on the same data (history is written in
 * batches, so the stop must flush what is still in memory).
 */
import type mysql from "mysql2/promise";
import { assert, assertEquals } from "./helpers/assert.ts";
import { spawnComet } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { testConf } from "./helpers/test_conf.ts";

const PASSWORD = "shutdown-test";
/**
 * Browsers and SELECT see at most 99 history rows per pipe (docs/protocol/cometql.md §7.1), so
 * spread.
 */
const PIPES_PER_SESSION = 12;
const SESSIONS = 4;
const MAX_PER_PIPE = 99;
/** Send SIGTERM once this many inserts were acknowledged (the rest are in flight). */
const SIGNAL_AFTER = 600;

Deno.test({
  name: "SIGTERM while publishing loses no acknowledged history and exits 0",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const conf = `${dir}/comet.conf`;
      // Long flush interval: at SIGTERM a whole batch of history is still only in memory.
      await Deno.writeTextFile(
        conf,
        testConf(dir, PASSWORD, "[retention]\nhistory_flush_ms = 500\n"),
      );
      const pipeOf = (session: number, n: number) => `ops_s${session}_p${n % PIPES_PER_SESSION}`;

      let comet = await spawnComet(conf);
      try {
        const setup = await connectCometql(comet.qlPort, PASSWORD);
        for (let s = 0; s < SESSIONS; s++) {
          for (let p = 0; p < PIPES_PER_SESSION; p++) {
            await setup.query(
              `INSERT INTO pipes_settings (name, length) VALUES ('${pipeOf(s, p)}', 200)`,
            );
          }
        }
        await setup.end();

        const acknowledged = new Map<string, Set<string>>();
        let total = 0;
        let signalled = false;
        const publish = async (session: number) => {
          let conn: mysql.Connection | undefined;
          try {
            conn = await connectCometql(comet.qlPort, PASSWORD);
            conn.on("error", () => {}); // the server closing the session is expected
            for (let n = 0; n < PIPES_PER_SESSION * MAX_PER_PIPE; n++) {
              const pipe = pipeOf(session, n);
              const message = `s${session}-m${n}`;
              await conn.query(
                `INSERT INTO pipes_messages (name, event, message) VALUES ('${pipe}', 'e', '${message}')`,
              );
              if (!acknowledged.has(pipe)) acknowledged.set(pipe, new Set());
              acknowledged.get(pipe)!.add(message);
              if (++total >= SIGNAL_AFTER && !signalled) {
                signalled = true;
                comet.kill("SIGTERM");
              }
            }
          } catch {
            // the shutdown closed this session: everything acknowledged before is what counts
          } finally {
            conn?.destroy();
          }
        };
        const started = Date.now();
        await Promise.all(Array.from({ length: SESSIONS }, (_, s) => publish(s)));
        assert.ok(signalled, `only ${total} inserts were acknowledged before the loop ended`);
        const status = await comet.exited(12_000);
        assertEquals(status.code, 0, comet.output());
        assert.ok(Date.now() - started < 12_000);
        assert.match(comet.output(), /SIGTERM: shutting down/);
        assert.match(comet.output(), /stopped/);

        comet = await spawnComet(conf);
        const reader = await connectCometql(comet.qlPort, PASSWORD);
        let stored = 0;
        for (const [pipe, messages] of acknowledged) {
          const [rows] = await reader.query(
            `SELECT * FROM pipes_messages WHERE name = '${pipe}'`,
          ) as [{ message: string }[], unknown];
          const inHistory = new Set(rows.map((r) => String(r.message)));
          const lost = [...messages].filter((m) => !inHistory.has(m));
          assertEquals(lost, [], `${pipe}: acknowledged but not stored`);
          stored += messages.size;
        }
        await reader.end();
        assertEquals(stored, total);
        assert.ok(total >= SIGNAL_AFTER);
      } finally {
        comet.kill("SIGTERM");
        await comet.exited(12_000).catch(() => comet.dispose());
      }
    }, "comet-ops-"),
});
