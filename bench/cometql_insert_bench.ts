/**
 * The CometQL hot path: `INSERT INTO pipes_messages` from N concurrent mysql2 connections for a
 * few seconds against an in-process server. Prints INSERT/s and latency percentiles.
 *
 *   deno run --allow-all bench/cometql_insert_bench.ts [--connections=8] [--seconds=5]
 *     [--subscribers=0] [--execute] [--redis]
 *
 * `--subscribers=N` adds N stand-in subscribers on the pipe (fan-out cost included);
 * `--execute` uses prepared statements (binary protocol) instead of text queries.
 * `--redis` starts a private redis-server and gives the server a `[redis]` section: every INSERT
 * is then also one PUBLISH, answered once Redis took it (README "Scaling out").
 */
import { parseArgs } from "node:util";
import type { Outbound } from "../src/core/outbound.ts";
import { type Subscriber, WireFormat } from "../src/core/subscriber.ts";
import { connectCometql } from "../tests/helpers/cometql_connection.ts";
import { startTestServer } from "../tests/helpers/server.ts";
import { startRedis } from "../tests/helpers/redis_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    connections: { type: "string", default: "8" },
    seconds: { type: "string", default: "5" },
    subscribers: { type: "string", default: "0" },
    execute: { type: "boolean", default: false },
    redis: { type: "boolean", default: false },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);

const redis = values.redis ? await startRedis() : undefined;
const server = await startTestServer(
  "[log]\nlevel = 200\n" + (redis ? `[redis]\nurl = ${redis.url}\n` : ""),
);
const subs: Subscriber[] = [];
for (let i = 0; i < Number(values.subscribers); i++) {
  const sub: Subscriber = {
    id: 1_000_000 + i,
    devId: 0,
    userId: 0,
    uuid: "",
    format: WireFormat.Original,
    userAgent: "",
    ip: "",
    origin: "",
    language: "",
    pipes: new Set(),
    send: (m: Outbound) => m.text(WireFormat.Original).length > 0, // encoded once per message
    sendConfirmed: (m: Outbound) => Promise.resolve(m.text(WireFormat.Original).length > 0),
    drop() {},
  };
  server.node.setSubscriptions(sub, ["bench_pipe"]);
  subs.push(sub);
}

const latencies: number[] = [];
const deadline = performance.now() + seconds * 1000;
const sql = "INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)";
const message = JSON.stringify({ name: "bench", text: "a chat line of typical length, 'quoted'" });

async function worker(): Promise<void> {
  const c = await connectCometql(server.qlPort, server.password);
  const args = ["bench_pipe", "msg", message];
  while (performance.now() < deadline) {
    const t0 = performance.now();
    if (values.execute) await c.execute(sql, args);
    else await c.query(sql, args);
    latencies.push(performance.now() - t0);
  }
  await c.end();
}

const started = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (performance.now() - started) / 1000;
for (const sub of subs) server.node.setSubscriptions(sub, []);
await server.stop();
await redis?.close();

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(
  `cometql insert (${values.execute ? "execute" : "query"}): ${connections} connections, ` +
    `${subs.length} subscribers, ${elapsed.toFixed(1)} s, ${redis ? "[redis]" : "no redis"}`,
);
console.log(`  ${latencies.length} inserts, ${(latencies.length / elapsed).toFixed(0)} INSERT/s`);
console.log(
  `  latency p50 ${pct(0.5).toFixed(3)} ms, p99 ${pct(0.99).toFixed(3)} ms, max ${
    latencies.at(-1)?.toFixed(3)
  } ms`,
);
