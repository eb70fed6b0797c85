/**
 * Publishing over HTTP beside publishing over CometQL, against the same server (a child process,
 * fresh temp storage, loopback only): `POST /api/publish` on keep-alive connections, then
 * `INSERT INTO pipes_messages` on mysql2 connections, each for a few seconds. Prints requests/s
 * and INSERT/s. Bounded in time.
 *
 *   deno run -A bench/http_publish_bench.ts [--connections=8] [--seconds=5] [--tool=wrk|fetch]
 *
 * `--tool=wrk` (the default when Debian's `wrk` is installed: `apt-get install wrk`) drives HTTP
 * from a separate C process with `--connections` keep-alive connections on one thread; `fetch`
 * uses that many concurrent keep-alive fetch loops in this process.
 */
import { parseArgs } from "node:util";
import { freePort, spawnComet } from "../tests/helpers/comet_process.ts";
import { connectCometql } from "../tests/helpers/cometql_connection.ts";
import { testConf } from "../tests/helpers/test_conf.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    connections: { type: "string", default: "8" },
    seconds: { type: "string", default: "5" },
    tool: { type: "string" },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const KEY = "bench-key";
const message = JSON.stringify({ name: "bench", text: "a chat line of typical length, 'quoted'" });
const body = JSON.stringify({ pipe: "bench_pipe", event: "msg", message });

/**
 * Whether Debian's `wrk` can be started (its `--version` exits non-zero, so only spawning counts).
 */
function hasWrk(): boolean {
  try {
    new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}
const tool = values.tool ?? (hasWrk() ? "wrk" : "fetch");

async function httpWithWrk(port: number): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "comet-bench-wrk-" });
  try {
    const script = `${dir}/publish.lua`;
    await Deno.writeTextFile(
      script,
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n` +
        `wrk.headers["Authorization"] = "Bearer ${KEY}"\n` +
        `wrk.headers["Content-Type"] = "application/json"\n` +
        `done = function(summary, latency, requests)\n` +
        `  io.write(string.format("non2xx %d\\n", summary.errors.status))\nend\n`,
    );
    const out = await new Deno.Command("wrk", {
      args: [
        "-t1",
        `-c${connections}`,
        `-d${seconds}s`,
        "--latency",
        "-s",
        script,
        `http://127.0.0.1:${port}/api/publish`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    console.log(text.trim().split("\n").map((l) => `  wrk| ${l}`).join("\n"));
    const non2xx = Number(/non2xx (\d+)/.exec(text)?.[1] ?? "0");
    if (non2xx > 0) throw new Error(`${non2xx} requests were not answered 2xx`);
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? "0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function httpWithFetch(port: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/api/publish`;
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const res = await fetch(url, { method: "POST", headers, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      done++;
    }
  }));
  return done / ((performance.now() - started) / 1000);
}

async function cometqlInserts(port: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    const c = await connectCometql(port, KEY);
    const sql = "INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)";
    while (performance.now() < deadline) {
      await c.query(sql, ["bench_pipe", "msg", message]);
      done++;
    }
    await c.end();
  }));
  return done / ((performance.now() - started) / 1000);
}

const dir = await Deno.makeTempDir({ prefix: "comet-bench-http-" });
const conf = `${dir}/comet.conf`;
await Deno.writeTextFile(
  conf,
  testConf(dir, KEY, `[admin]\nip = 127.0.0.1\nport = ${freePort()}\n`),
);
const comet = await spawnComet(conf);
try {
  console.log(`HTTP publish (${tool}, ${connections} keep-alive connections, ${seconds} s)`);
  const http = tool === "wrk"
    ? await httpWithWrk(comet.adminPort)
    : await httpWithFetch(comet.adminPort);
  console.log(`CometQL INSERT (mysql2, ${connections} connections, ${seconds} s)`);
  const ql = await cometqlInserts(comet.qlPort);
  console.log(`\nHTTP POST /api/publish: ${Math.round(http)} requests/s`);
  console.log(`CometQL INSERT:         ${Math.round(ql)} INSERT/s`);
} finally {
  comet.kill("SIGTERM");
  await comet.exited().catch(() => comet.dispose());
  await Deno.remove(dir, { recursive: true });
}
