/**
 * Soak test (issue 13; not in CI): mixed traffic against one server process for a while, its RSS
 * sampled every 10 s, then two verdicts: does RSS level off, and was any acknowledged private
 * message lost.
 *
 *   deno run -A bench/soak.ts [--seconds=600] [--subs=200] [--rate=200] [--users=40]
 *
 * Traffic, all on loopback against a fresh server (embedded SQLite in a temp dir):
 * - subscribers on `web_soak`, 10 % of them leaving and coming back every second;
 * - CometQL publishers, `--rate` INSERTs/s in total into `web_soak` and a history pipe;
 * - private messages to `--users` users through `users_messages`: a user is offline (the server
 *   says so in users_time) while its messages are inserted, then connects, takes its queue (a
 *   barrier round trip proves it has read everything) and leaves — every acknowledged INSERT
 *   must arrive;
 * - slow readers subscribed to `web_soak` that never read (dropped by max_backlog or the
 *   unsent-bytes budget, then replaced);
 * - garbage: random bytes and half requests on both ports, left open or closed at random.
 */
import { parseArgs } from "node:util";
import { spawnComet } from "../tests/helpers/comet_process.ts";
import { connectCometql } from "../tests/helpers/cometql_connection.ts";
import { testConf } from "../tests/helpers/test_conf.ts";
import { wsPath, WsTestClient } from "../tests/helpers/ws_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "600" },
    subs: { type: "string", default: "200" },
    rate: { type: "string", default: "200" },
    users: { type: "string", default: "40" },
  },
});
const SECONDS = Number(values.seconds);
const SUBS = Number(values.subs);
const RATE = Number(values.rate);
const USERS = Number(values.users);
const PASSWORD = "SoakPassword";
const SAMPLE_MS = 10_000;

const dataDir = await Deno.makeTempDir({ prefix: "comet-soak-" });
const confPath = `${dataDir}/comet.conf`;
await Deno.writeTextFile(confPath, testConf(dataDir, PASSWORD));
const proc = await spawnComet(confPath);
const end = Date.now() + SECONDS * 1000;
const running = () => Date.now() < end;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const random = (n: number) => Math.floor(Math.random() * n);
const errors: string[] = [];
const note = (what: string) => (e: unknown) => {
  if (errors.length < 20) errors.push(`${what}: ${(e as Error)?.message ?? e}`);
};

function rssKb(): number {
  const status = Deno.readTextFileSync(`/proc/${proc.pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

// ---- setup: auth hashes for the private-message users, a pipe with history ----
const admin = await connectCometql(proc.qlPort, PASSWORD);
await admin.query("INSERT INTO pipes_settings (name, length) VALUES ('soak_history', 100)");
for (let u = 1; u <= USERS; u++) {
  await admin.query("INSERT INTO users_auth (id, hash) VALUES (?, ?)", [u, `soakhash${u}`]);
}

// ---- subscribers joining and leaving ----
let delivered = 0;
async function subscriber(): Promise<void> {
  while (running()) {
    try {
      const { client } = await WsTestClient.connect(proc.wsPort, wsPath());
      await client.sendText("subscription\nweb_soak");
      const stayMs = 1000 + random(10_000);
      const until = Date.now() + stayMs;
      while (Date.now() < until && running() && !client.closed) {
        try {
          await client.next(until - Date.now());
          delivered++;
        } catch {
          break;
        }
      }
      await client.close();
    } catch (e) {
      note("subscriber")(e);
      await sleep(500);
    }
  }
}

// ---- publishers ----
let published = 0;
async function publisher(share: number): Promise<void> {
  const ql = await connectCometql(proc.qlPort, PASSWORD);
  const interval = 1000 / share;
  let next = performance.now();
  while (running()) {
    const pipe = random(10) === 0 ? "soak_history" : "web_soak";
    await ql.query("INSERT INTO pipes_messages (name, event, message) VALUES (?, 'e', ?)", [
      pipe,
      `m${published}:${"p".repeat(random(2000))}`,
    ]).then(() => published++, note("publish"));
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await ql.end();
}

// ---- private messages: inserted while the user is offline, then collected ----
const acknowledged = new Map<number, Set<string>>();
const received = new Map<number, Set<string>>();
let duplicates = 0;
async function privateUser(user: number): Promise<void> {
  const ql = await connectCometql(proc.qlPort, PASSWORD);
  const sent = new Set<string>();
  const got = new Set<string>();
  acknowledged.set(user, sent);
  received.set(user, got);
  let seq = 0;
  while (running()) {
    await offline(ql, user);
    const n = 1 + random(20);
    for (let i = 0; i < n; i++) {
      const id = `${user}.${seq++}`;
      await ql.query("INSERT INTO users_messages (id, event, message) VALUES (?, 'pm', ?)", [
        user,
        `${id}:${"q".repeat(random(3000))}`,
      ]).then(() => sent.add(id), note("private insert"));
    }
    await collect(user, got);
    await sleep(random(3000));
  }
  await collect(user, got);
  await ql.end();
}

/**
 * Waits until the server has seen the user's last connection close (users_time ≠ 0): a message
 * inserted before that is delivered live to the closing connection, which the protocol cannot
 * confirm (README, "What is acknowledged"), and is not what this soak checks.
 */
async function offline(ql: Awaited<ReturnType<typeof connectCometql>>, user: number) {
  for (let i = 0; i < 200; i++) {
    const [rows] = await ql.query("SELECT time FROM users_time WHERE id = ?", [user]);
    const time = Number((rows as { time: string }[])[0]?.time ?? -1);
    if (time !== 0) return;
    await sleep(25);
  }
}

async function collect(user: number, got: Set<string>): Promise<void> {
  try {
    const path = wsPath({ key: `soakhash${user}`, userId: user });
    const { client } = await WsTestClient.connect(proc.wsPort, path);
    // Commands run after the queue is delivered: the barrier's reply follows all of it.
    for (const m of await client.barrier(20_000)) {
      if (m.pipe !== "msg") continue;
      const id = String(m.data).split(":")[0];
      if (got.has(id)) duplicates++;
      got.add(id);
    }
    await client.close();
  } catch (e) {
    note("collect")(e);
  }
}

// ---- slow readers ----
async function slowReader(): Promise<void> {
  while (running()) {
    try {
      const { client } = await WsTestClient.connect(proc.wsPort, wsPath());
      await client.sendText("subscription\nweb_soak");
      client.pauseReading();
      const until = Date.now() + 5000 + random(20_000);
      while (Date.now() < until && running()) await sleep(500);
      await client.close();
    } catch (e) {
      note("slow reader")(e);
      await sleep(500);
    }
  }
}

// ---- garbage ----
async function garbage(): Promise<void> {
  const open: Deno.Conn[] = [];
  while (running()) {
    try {
      const port = random(2) === 0 ? proc.wsPort : proc.qlPort;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const kind = random(3);
      const bytes = kind === 0
        ? crypto.getRandomValues(new Uint8Array(1 + random(4000)))
        : kind === 1
        ? new TextEncoder().encode("GET /ws/sesion=x&myid=1&devid=0&v=4.08 HTTP/1.1\r\nHost:")
        : new Uint8Array([0xff, 0xff, 0xff, 0x00, ...new Uint8Array(random(100))]);
      await conn.write(bytes).catch(() => {});
      if (random(2) === 0) conn.close();
      else open.push(conn);
      while (open.length > 50) open.shift()!.close();
    } catch (e) {
      note("garbage")(e);
    }
    await sleep(50);
  }
  for (const conn of open) conn.close();
}

// ---- run, sampling RSS ----
const samples: number[] = [];
const startedAt = Date.now();
const sampler = setInterval(() => {
  const kb = rssKb();
  samples.push(kb);
  const t = Math.round((Date.now() - startedAt) / 1000);
  console.log(
    `t=${String(t).padStart(4)} s  RSS ${(kb / 1024).toFixed(1)} MB  published ${published}  ` +
      `delivered ${delivered}`,
  );
}, SAMPLE_MS);
console.log(
  `soak: ${SECONDS} s against pid ${proc.pid} (ws ${proc.wsPort}, cometql ${proc.qlPort})`,
);
samples.push(rssKb());

await Promise.all([
  ...Array.from({ length: SUBS }, () => subscriber()),
  ...[RATE / 2, RATE / 2].map((share) => publisher(share)),
  ...Array.from({ length: USERS }, (_, i) => privateUser(i + 1)),
  ...Array.from({ length: 5 }, () => slowReader()),
  garbage(),
]);
clearInterval(sampler);
samples.push(rssKb());
await admin.end();

// ---- verdicts ----
let sentTotal = 0;
let lost = 0;
for (const [user, sent] of acknowledged) {
  const got = received.get(user)!;
  sentTotal += sent.size;
  for (const id of sent) if (!got.has(id)) lost++;
}
const third = Math.max(1, Math.floor(samples.length / 3));
const middle = Math.max(...samples.slice(third, 2 * third));
const last = Math.max(...samples.slice(2 * third));
const levelsOff = last <= middle * 1.1;
console.log(`\nRSS samples (MB): ${samples.map((kb) => (kb / 1024).toFixed(0)).join(" ")}`);
console.log(
  `RSS: max of the middle third ${(middle / 1024).toFixed(1)} MB, of the last third ` +
    `${(last / 1024).toFixed(1)} MB → ${levelsOff ? "levels off" : "STILL GROWING"}`,
);
console.log(
  `private messages: ${sentTotal} acknowledged, ${lost} lost, ${duplicates} delivered twice`,
);
console.log(`published ${published}, delivered to subscribers ${delivered}`);
if (errors.length > 0) {
  console.log(`client-side errors (first ${errors.length}):\n${errors.join("\n")}`);
}
proc.kill("SIGTERM");
const status = await proc.exited(20_000);
console.log(`server exit code ${status.code}`);
await Deno.remove(dataDir, { recursive: true });
Deno.exit(lost === 0 && levelsOff ? 0 : 1);
