/**
 * WebSocket fan-out: N browser connections subscribed to one pipe, K CometQL publishers
 * (npm mysql2) inserting into `pipes_messages` for a few seconds. Prints delivered frames/s,
 * publish→deliver latency (p50/p99, one clock: publishers and subscribers share this process),
 * server CPU per frame and server RSS per idle connection. Loopback only, bounded in count/time.
 *
 *   deno run -A bench/ws_fanout_bench.ts [--subs=1000] [--seconds=5] [--publishers=4]
 *       [--rate=0 (msg/s in total, 0 = as fast as the server answers)] [--size=100] [--no-pin]
 *       [--redis] [--nodes=1|2]
 *
 * Scale-out (README "Scaling out"): `--redis` starts a private redis-server and gives the server
 * a `[redis]` section (one node, every publish also goes through Redis); `--nodes=2` (implies
 * `--redis`) starts two servers on it: the publishers write to node A, the subscribers sit on
 * node B, so every frame crossed Redis. Both servers are pinned to CPU 0, Redis is not pinned.
 *
 * The server runs in a child process (this file with --serve=CONF), pinned to CPU 0 while this
 * process (the clients) is pinned to CPU 1 when `taskset` exists, as `wsload` does
 * (docs/benchmarks.md §2).
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import mysql from "mysql2/promise";
import { startRedis, type TestRedis } from "../tests/helpers/redis_server.ts";

const arg = (name: string, def: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def);
const serveConf = Deno.args.find((a) => a.startsWith("--serve="))?.slice(8);
const PASSWORD = "BenchPassword";
const PIPE = "web_bench_fanout"; // web_: pipe_count answers for it
const DRAIN_MS = 3000;

/**
 * Child mode: the real server. Prints its ports, then answers each `gc` line on stdin with a
 * full garbage collection and its RSS (so idle memory is measured without garbage); stops at EOF.
 */
async function serve(confPath: string): Promise<void> {
  const { loadConfig } = await import("../src/config/config.ts");
  const { Logger } = await import("../src/log.ts");
  const { startServer } = await import("../src/server.ts");
  const config = await loadConfig(confPath);
  const server = await startServer(config, new Logger(config.log.level, config.log.tags));
  console.log(JSON.stringify({ wsPort: server.wsPort, qlPort: server.qlPort }));
  const gc = (globalThis as { gc?: () => void }).gc;
  for await (const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    if (!line.includes("gc")) continue;
    gc?.();
    gc?.();
    console.log(JSON.stringify({ rss: Deno.memoryUsage().rss }));
  }
  await server.stop();
  Deno.exit(0);
}

async function bench(): Promise<void> {
  const subs = arg("subs", 1000);
  const seconds = Math.min(arg("seconds", 5), 60);
  const publishers = arg("publishers", 4);
  const rate = arg("rate", 0);
  const size = arg("size", 100);
  const pin = !Deno.args.includes("--no-pin") && await hasTaskset();
  const nodes = Math.min(Math.max(arg("nodes", 1), 1), 2);
  const redis: TestRedis | undefined = Deno.args.includes("--redis") || nodes > 1
    ? await startRedis()
    : undefined;

  const dir = await Deno.makeTempDir({ prefix: "comet-bench-" });
  const conf = `${dir}/comet.conf`;
  await Deno.writeTextFile(
    conf,
    `[main]\npassword = ${PASSWORD}\nnode_name = bench\n[db]\nfile = ${dir}/comet.sqlite\n` +
      `[ws]\nip = 127.0.0.1\nport = 0\n[cometql]\nip = 127.0.0.1\nport = 0\n` +
      `[admin]\nip = 127.0.0.1\nport = 0\n[log]\nlevel = 300\n` +
      (redis ? `[redis]\nurl = ${redis.url}\n` : ""),
  );
  const servers = [];
  for (let i = 0; i < nodes; i++) servers.push(spawnServer(conf, pin));
  if (pin) {
    await new Deno.Command("taskset", { args: ["-p", "-c", "1", String(Deno.pid)] }).output();
  }
  const started = await Promise.all(servers.map(async (s) => ({ ...s, ports: await s.ports })));
  // Publishers on the first node, subscribers (and the RSS figure) on the last.
  const ports = {
    qlPort: started[0].ports.qlPort,
    wsPort: started[started.length - 1].ports.wsPort,
  };
  const { lines, writer } = started[started.length - 1];
  const pids = started.map((s) => s.child.pid);
  /** The server's RSS after a full GC. */
  const rssAfterGc = async () => {
    await writer.write(new TextEncoder().encode("gc\n"));
    return (JSON.parse(await lines()) as { rss: number }).rss;
  };

  try {
    const rssBefore = await rssAfterGc();
    const clients: BenchSubscriber[] = [];
    for (let i = 0; i < subs; i++) {
      clients.push(new BenchSubscriber(ports.wsPort, i));
      if (i % 200 === 199) await Promise.all(clients.slice(i - 199).map((c) => c.ready));
    }
    await Promise.all(clients.map((c) => c.ready));
    await clients[subs - 1].countSubscribers(subs);
    await sleep(500);
    const rssIdle = await rssAfterGc();

    const cpuBefore = pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
    const started = performance.now();
    const published = await publish(ports.qlPort, publishers, rate, size, seconds * 1000);
    const publishEnd = performance.now();
    const expected = published * subs;
    while (received() < expected && performance.now() - publishEnd < DRAIN_MS) await sleep(20);
    const cpu = pids.reduce((sum, pid) => sum + cpuMicros(pid), 0) - cpuBefore;
    const elapsed = (lastDelivery - started) / 1000;
    const got = received();

    console.log(
      `subscribers ${subs}, publishers ${publishers}, rate ${rate || "max"}, ` +
        `body ${size} B, ${seconds} s, pinned ${pin}, ` +
        (redis ? `redis, ${nodes} node(s)` : "no redis"),
    );
    console.log(
      `published ${published} (${Math.round(published / seconds)}/s), ` +
        `delivered ${got} of ${expected} (lost ${expected - got})`,
    );
    console.log(`delivered frames/s ${Math.round(got / elapsed)}`);
    console.log(
      `latency ms p50 ${percentile(0.5)} p90 ${percentile(0.9)} p99 ${percentile(0.99)} ` +
        `max ${percentile(1)}`,
    );
    console.log(`server CPU µs per frame ${(cpu / Math.max(got, 1)).toFixed(2)}`);
    console.log(
      `server RSS before ${mb(rssBefore)} MB, with ${subs} idle connections ` +
        `${mb(rssIdle)} MB: ${Math.round((rssIdle - rssBefore) / subs)} bytes per connection` +
        (subs < 5000 ? " (the heap grows in steps: use --subs=10000 for this figure)" : ""),
    );
    for (const c of clients) c.close();
  } finally {
    for (const s of started) {
      await s.writer.close().catch(() => {});
      await s.child.status;
    }
    await redis?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** One server child on `conf`; `ports` resolves once it listens. */
function spawnServer(conf: string, pin: boolean) {
  const self = new URL(import.meta.url).pathname;
  const denoArgs = [
    "run",
    "-A",
    "--v8-flags=--expose-gc,--max-semi-space-size=2",
    self,
    `--serve=${conf}`,
  ];
  const child = new Deno.Command(pin ? "taskset" : Deno.execPath(), {
    args: pin ? ["-c", "0", Deno.execPath(), ...denoArgs] : denoArgs,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = lineReader(child.stdout);
  const ports = lines().then((line) => JSON.parse(line) as { wsPort: number; qlPort: number });
  return { child, lines, writer: child.stdin.getWriter(), ports };
}

// ---- subscribers: node:net sockets with a minimal frame parser (no JSON.parse per frame) ----

let deliveries = 0;
let lastDelivery = 0;
/** Latency histogram in 0.05 ms buckets up to 60 s. */
const BUCKET_MS = 0.05;
const histogram = new Uint32Array(60_000 / BUCKET_MS + 1);
const received = () => deliveries;
const DATA_KEY = Buffer.from('"data":"T');

class BenchSubscriber {
  ready: Promise<void>;
  private socket: net.Socket;
  private buf: Buffer | null = null;
  private headDone = false;
  private first = true;
  private onReady!: () => void;
  private onCount: ((n: number) => void) | null = null;

  constructor(port: number, i: number) {
    this.ready = new Promise((r) => this.onReady = r);
    this.socket = net.connect(port, "127.0.0.1", () => {
      const uuid = String(i).padStart(32, "0");
      this.socket.write(
        `GET /ws/sesion=&myid=0&devid=0&v=4.08&uuid=${uuid}&api=js HTTP/1.1\r\n` +
          "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      this.socket.write(maskedText(`subscription\n${PIPE}`));
    });
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", () => {});
  }

  /** Waits until the server reports `n` subscribers (all subscriptions applied). */
  async countSubscribers(n: number): Promise<void> {
    for (let tries = 0; tries < 100; tries++) {
      const count = await new Promise<number>((r) => {
        this.onCount = r;
        this.socket.write(maskedText(`pipe_count\n${PIPE}\nm\n`));
      });
      if (count >= n) return;
      await sleep(50);
    }
    throw new Error("subscriptions were not applied");
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = null;
    if (!this.headDone) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        this.buf = buf;
        return;
      }
      this.headDone = true;
      buf = buf.subarray(end + 4);
    }
    let pos = 0;
    while (buf.length - pos >= 2) {
      let len = buf[pos + 1] & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - pos < 10) break;
        len = buf.readUInt32BE(pos + 6);
        head = 10;
      }
      if (buf.length - pos - head < len) break;
      this.onFrame(buf, pos + head, pos + head + len);
      pos += head + len;
    }
    if (pos < buf.length) this.buf = Buffer.from(buf.subarray(pos));
  }

  private onFrame(buf: Buffer, start: number, end: number): void {
    if (this.first) {
      this.first = false; // serverInfo
      this.onReady();
      return;
    }
    const at = buf.indexOf(DATA_KEY, start);
    if (at < 0 || at >= end) {
      const m = /"user_in_pipe",(\d+)/.exec(buf.toString("latin1", start, end));
      if (m && this.onCount) this.onCount(Number(m[1]));
      return;
    }
    let i = at + DATA_KEY.length;
    let stamp = 0;
    let scale = 0;
    for (; i < end; i++) {
      const c = buf[i];
      if (c === 0x2e) scale = 1;
      else if (c >= 0x30 && c <= 0x39) {
        if (scale > 0) scale *= 10;
        stamp = stamp * 10 + c - 0x30;
      } else break;
    }
    const now = performance.now();
    const latency = now - (scale > 0 ? stamp / scale : stamp);
    histogram[Math.min(histogram.length - 1, Math.max(0, Math.round(latency / BUCKET_MS)))]++;
    deliveries++;
    lastDelivery = now;
  }
}

function percentile(p: number): string {
  const total = histogram.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= total * p && seen > 0) return (i * BUCKET_MS).toFixed(2);
  }
  return "n/a";
}

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const frame = Buffer.alloc(2 + (payload.length >= 126 ? 2 : 0) + 4 + payload.length);
  frame[0] = 0x81;
  let at = 2;
  if (payload.length >= 126) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
    at = 4;
  } else frame[1] = 0x80 | payload.length;
  // mask key 0: the payload is sent as is (still a masked frame)
  payload.copy(frame, at + 4);
  return frame;
}

// ---- publishers: CometQL over the MySQL protocol ----

/** K connections, one INSERT in flight each; `rate` > 0 paces the total. Returns rows accepted. */
async function publish(port: number, k: number, rate: number, size: number, ms: number) {
  const conns = await Promise.all(Array.from({ length: k }, () =>
    mysql.createConnection({
      host: "127.0.0.1",
      port,
      user: "root",
      password: PASSWORD,
      database: "CometQL_v1",
    })));
  const pad = "x".repeat(size);
  const end = performance.now() + ms;
  let ok = 0;
  const interval = rate > 0 ? (1000 * k) / rate : 0;
  await Promise.all(conns.map(async (conn, c) => {
    let next = performance.now() + (interval * c) / k;
    while (performance.now() < end) {
      if (interval > 0) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next += interval;
      }
      const stamp = performance.now().toFixed(3);
      await conn.query(
        `INSERT INTO pipes_messages (name, event, message) VALUES ('${PIPE}', 'e', 'T${stamp}:${pad}')`,
      );
      ok++;
    }
  }));
  await Promise.all(conns.map((c) => c.end()));
  return ok;
}

// ---- process figures from /proc ----

function cpuMicros(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return (ticks / 100) * 1e6;
}

async function hasTaskset(): Promise<boolean> {
  try {
    return (await new Deno.Command("taskset", { args: ["-p", String(Deno.pid)] }).output()).success;
  } catch {
    return false;
  }
}

/** Reads the child's stdout line by line; lines nobody asked for (logs) are skipped. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return async () => {
    while (true) {
      const nl = text.indexOf("\n");
      if (nl >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (line.startsWith("{")) return line;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`server exited early: ${text}`);
      text += value;
    }
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

// Last, so every module-level constant above is initialised before it runs.
if (serveConf) await serve(serveConf);
else await bench();
