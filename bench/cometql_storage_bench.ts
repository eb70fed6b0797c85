/**
 * CometQL writes that reach storage, with each driver: INSERTs into a history-enabled pipe (the
 * batched history writer) and private messages to offline users (stored before the answer).
 * Starts an in-process server per driver; MySQL runs on a private MariaDB started here.
 *
 *   deno run --allow-all bench/cometql_storage_bench.ts [--connections=8] [--seconds=3]
 *     [--drivers=sqlite,mysql] [--history-sync]
 *
 * `--history-sync` runs with `[retention] history_sync = true` (an INSERT into a history pipe is
 * answered once stored): the cost of that option, against the default batched writes.
 */
import { parseArgs } from "node:util";
import { connectCometql } from "../tests/helpers/cometql_connection.ts";
import { dbIni, startMariadb } from "../tests/helpers/mariadb.ts";
import { startTestServer } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    connections: { type: "string", default: "8" },
    seconds: { type: "string", default: "3" },
    drivers: { type: "string", default: "sqlite,mysql" },
    "history-sync": { type: "boolean", default: false },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);

/** Runs `statement(i)` on N connections for the bench window; returns statements per second. */
async function rate(port: number, password: string, statement: (i: number) => string) {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const c = await connectCometql(port, password);
    for (let i = w; performance.now() < deadline; i += connections) {
      await c.query(statement(i));
      done++;
    }
    await c.end();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  return done / ((performance.now() - started) / 1000);
}

async function dbSection(driver: string): Promise<string> {
  if (driver === "sqlite") return "";
  const db = await startMariadb();
  const name = `comet_bench_${Date.now()}`;
  await db.sql(`CREATE DATABASE ${name}`);
  return dbIni(db, name);
}

for (const driver of values.drivers.split(",")) {
  const server = await startTestServer(
    `${await dbSection(driver)}[retention]\nhistory_flush_ms = 20\n` +
      `history_sync = ${values["history-sync"]}\n`,
  );
  const ql = await connectCometql(server.qlPort, server.password);
  await ql.query("INSERT INTO pipes_settings (name, length) VALUES ('bench_history', 100)");
  await ql.end();
  const history = await rate(
    server.qlPort,
    server.password,
    (i) =>
      `INSERT INTO pipes_messages (name, event, message) VALUES ('bench_history', 'e', 'message ${i}')`,
  );
  const offline = await rate(
    server.qlPort,
    server.password,
    (i) =>
      `INSERT INTO users_messages (id, event, message) VALUES (${
        1 + i % 500
      }, 'e', 'private ${i}')`,
  );
  await server.stop();
  console.log(
    `${driver}: history-enabled pipe ${history.toFixed(0)} INSERT/s, ` +
      `private messages to offline users ${offline.toFixed(0)} INSERT/s ` +
      `(${connections} connections, ${seconds} s each, history_sync ${values["history-sync"]})`,
  );
}
