/**
 * The admin port: `/metrics` is valid Prometheus text whose counters follow the traffic, and
 * `/health` says whether this node can take clients (listeners and storage up).
 */
import { buildConfig } from "../src/config/config.ts";
import { parseIni } from "../src/config/ini.ts";
import { Logger } from "../src/log.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { freePort } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const PASSWORD = "metrics-test-password";

async function startWithAdmin(): Promise<{ server: RunningServer; dataDir: string }> {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-admin-" });
  const text = `[main]\npassword = ${PASSWORD}\nnode_name = metrics\n` +
    `[db]\nfile = ${dataDir}/comet.sqlite\n[ws]\nip = 127.0.0.1\nport = 0\n` +
    `[cometql]\nip = 127.0.0.1\nport = 0\n[admin]\nip = 127.0.0.1\nport = ${freePort()}\n` +
    `[retention]\nhistory_flush_ms = 5\n[log]\nlevel = 200\n`;
  const config = buildConfig(parseIni(text, `${dataDir}/comet.conf`));
  const server = await startServer(config, new Logger(config.log.level), { version: "9.9.9" });
  return { server, dataDir };
}

// ---- a small Prometheus text-format (0.0.4) parser, strict enough to catch format mistakes ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function parsePrometheus(text: string): Exposition {
  assert.ok(text.endsWith("\n"), "exposition ends with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const name = line.split(" ")[2];
      assert.match(name, NAME);
      assert.ok(!helps.has(name), `one HELP for ${name}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      assert.match(name, NAME);
      assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(type), line);
      assert.ok(!types.has(name), `one TYPE for ${name}`);
      types.set(name, type);
      continue;
    }
    assert.ok(
      !line.startsWith("#") && line.trim() !== "",
      `unexpected line: ${JSON.stringify(line)}`,
    );
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = m[2] ?? "";
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
    while (labelRe.lastIndex < labelText.length) {
      const l = labelRe.exec(labelText);
      assert.ok(l, `malformed labels in: ${line}`);
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
    }
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value) || m[3] === "NaN", `bad value in: ${line}`);
    const family = types.has(m[1]) ? m[1] : m[1].replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(family), `sample before its TYPE: ${line}`);
    const key = line.slice(0, line.lastIndexOf(" "));
    assert.ok(!seen.has(key), `duplicate series ${key}`);
    seen.add(key);
    samples.push({ name: m[1], labels, value });
  }
  for (const [name, type] of types) {
    if (type !== "histogram") continue;
    const buckets = samples.filter((s) => s.name === `${name}_bucket`);
    const les = buckets.map((b) => b.labels.le === "+Inf" ? Infinity : Number(b.labels.le));
    assert.deepStrictEqual(les, [...les].sort((a, b) => a - b), `${name} buckets ascending`);
    assertEquals(les.at(-1), Infinity, `${name} ends with le="+Inf"`);
    buckets.forEach((b, i) =>
      assert.ok(i === 0 || b.value >= buckets[i - 1].value, `${name} cumulative`)
    );
    const count = samples.find((s) => s.name === `${name}_count`);
    assertEquals(buckets.at(-1)?.value, count?.value, `${name} +Inf bucket = count`);
  }
  return { types, samples };
}

function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const s = e.samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (!s) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
}

async function scrape(port: number): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assertEquals(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

Deno.test("/metrics is Prometheus text and its counters move when messages flow", async () => {
  const { server, dataDir } = await startWithAdmin();
  const browser = await WsTestClient.connect(server.wsPort, wsPath());
  const backend = await connectCometql(server.qlPort, PASSWORD);
  try {
    assert.ok(server.adminPort > 0);
    const before = await scrape(server.adminPort);
    assertEquals(valueOf(before, "comet_build_info", { version: "9.9.9", node: "metrics" }), 1);
    for (
      const family of ["comet_delivery_latency_seconds", "comet_storage_operation_duration_seconds"]
    ) {
      assertEquals(before.types.get(family), "histogram");
    }
    assertEquals(before.types.get("comet_messages_published_total"), "counter");
    assertEquals(valueOf(before, "comet_ws_connections"), 1);
    assertEquals(valueOf(before, "comet_cometql_connections"), 1);
    assertEquals(valueOf(before, "comet_storage_available"), 1);

    await browser.client.sendText("subscription\nmetrics_room");
    await backend.query("INSERT INTO pipes_settings (name, length) VALUES ('metrics_room', 10)");
    for (let i = 0; i < 3; i++) {
      await backend.query(
        `INSERT INTO pipes_messages (name, event, message) VALUES ('metrics_room', 'e', 'm${i}')`,
      );
    }
    for (let i = 0; i < 3; i++) assertEquals((await browser.client.nextJson()).data, `m${i}`);
    await backend.query("SELECT * FROM pipes_messages WHERE name = 'metrics_room'");
    await backend.query("SELECT * FROM no_such_table").catch(() => {});
    await backend.execute("SELECT ? AS prepared", [1]); // COM_STMT_PREPARE + COM_STMT_EXECUTE

    const after = await scrape(server.adminPort);
    const published = (e: Exposition) =>
      valueOf(e, "comet_messages_published_total", { source: "cometql" });
    assertEquals(published(after) - published(before), 3);
    assert.ok(
      valueOf(after, "comet_messages_sent_total") >=
        valueOf(before, "comet_messages_sent_total") + 3,
    );
    assertEquals(valueOf(after, "comet_subscriptions"), 1);
    assertEquals(valueOf(after, "comet_pipes"), 1);
    assert.ok(valueOf(after, "comet_ws_frames_received_total") >= 1);
    const queries = after.samples.filter((s) => s.name === "comet_cometql_queries_total");
    assert.ok(queries.reduce((n, s) => n + s.value, 0) >= 6, JSON.stringify(queries));
    assert.ok(queries.every((s) => s.labels.type !== undefined));
    assert.ok(valueOf(after, "comet_cometql_errors_total") >= 1);
    const prepared = (e: Exposition, command: string) =>
      valueOf(e, "comet_cometql_prepared_commands_total", { command });
    assertEquals(prepared(after, "prepare") - prepared(before, "prepare"), 1);
    assertEquals(prepared(after, "execute") - prepared(before, "execute"), 1);
    // History was written (5 ms batches) and read: storage operations were timed.
    assert.ok(
      valueOf(after, "comet_storage_operation_duration_seconds_count") >
        valueOf(before, "comet_storage_operation_duration_seconds_count"),
    );
    assertEquals(valueOf(after, "comet_storage_errors_total"), 0);
    assert.ok(valueOf(after, "comet_uptime_seconds") >= 0);
    // Memory gauges: the process's resident set holds at least the JS heap in use.
    const rss = valueOf(after, "process_resident_memory_bytes");
    const heapUsed = valueOf(after, "comet_js_heap_used_bytes");
    assert.ok(heapUsed > 1e6 && rss > heapUsed, `rss ${rss}, heap ${heapUsed}`);
    assert.ok(valueOf(after, "comet_js_heap_total_bytes") >= heapUsed);
    assert.ok(valueOf(after, "comet_js_external_bytes") >= 0);
  } finally {
    await backend.end().catch(() => {});
    await browser.client.close();
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the delivery latency histogram exposes what the transport observes", async () => {
  const { server, dataDir } = await startWithAdmin();
  try {
    server.node.stats.observeDeliveryLatency(0.4);
    server.node.stats.observeDeliveryLatency(30);
    server.node.stats.observeDeliveryLatency(60_000);
    const e = await scrape(server.adminPort);
    const bucket = (le: string) => valueOf(e, "comet_delivery_latency_seconds_bucket", { le });
    assertEquals([bucket("0.001"), bucket("0.025"), bucket("0.05"), bucket("10"), bucket("+Inf")], [
      1,
      1,
      2,
      2,
      3,
    ]);
    assertEquals(valueOf(e, "comet_delivery_latency_seconds_count"), 3);
    assert.ok(Math.abs(valueOf(e, "comet_delivery_latency_seconds_sum") - 60.0304) < 1e-9);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("/health is 200 while serving, 503 when storage is down or the node is stopping", async () => {
  const { server, dataDir } = await startWithAdmin();
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${server.adminPort}/health`);
    return { status: res.status, body: await res.json() };
  };
  try {
    const up = await health();
    assertEquals(up.status, 200);
    assertEquals(up.body.status, "ok");
    assertEquals([up.body.listeners, up.body.storage], [true, true]);

    // An own property shadows the driver's method until deleted.
    const storage = server.node.storage as { isAvailable?: () => boolean };
    storage.isAvailable = () => false;
    const down = await health();
    assertEquals([down.status, down.body.status, down.body.storage], [503, "unavailable", false]);
    const metrics = await scrape(server.adminPort);
    assertEquals(valueOf(metrics, "comet_storage_available"), 0);
    delete storage.isAvailable;
    assertEquals((await health()).status, 200);

    assertEquals(
      await fetch(`http://127.0.0.1:${server.adminPort}/nope`).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      }),
      404,
    );

    // While stopping (here: a slow final history flush) balancers must see the node as down.
    const slowFlush = Promise.withResolvers<void>();
    let flushing = false;
    server.node.flush = () => {
      flushing = true;
      return slowFlush.promise;
    };
    const stopped = server.stop();
    try {
      while (!flushing) await new Promise((r) => setTimeout(r, 5));
      const stopping = await health();
      assertEquals([stopping.status, stopping.body.listeners], [503, false]);
    } finally {
      slowFlush.resolve();
      await stopped;
    }
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("[admin] port = 0 turns the admin listener off", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-admin-" });
  const text = `[db]\nfile = ${dataDir}/comet.sqlite\n[ws]\nip = 127.0.0.1\nport = 0\n` +
    `[cometql]\nip = 127.0.0.1\nport = 0\n[admin]\nport = 0\n[log]\nlevel = 0\n`;
  const config = buildConfig(parseIni(text, "admin-off.conf"));
  const server = await startServer(config, new Logger(0));
  try {
    assertEquals(server.adminPort, 0);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
