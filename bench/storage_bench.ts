/**
 * Storage throughput per driver: history batches (the CometQL/web publish path,
 * docs/protocol/cometql.md §7.1) and offline-queue inserts (§7.5), with every write durable when it
 * resolves.
 *
 *   deno run -A bench/storage_bench.ts [--seconds=2] [--sqlite-only]
 *
 * SQLite writes a temporary file; MySQL runs against a private MariaDB started by
 * tests/helpers/mariadb.ts (default settings: InnoDB flushes its log at every commit).
 */
import type { DbConfig } from "../src/config/config.ts";
import { MysqlStorage } from "../src/storage/mysql_storage.ts";
import { SqliteStorage } from "../src/storage/sqlite_storage.ts";
import type {
  HistoryEntry,
  QueuedMessage,
  RetentionLimits,
  Storage,
} from "../src/storage/storage.ts";
import { startMariadb } from "../tests/helpers/mariadb.ts";

const seconds = Number(Deno.args.find((a) => a.startsWith("--seconds="))?.split("=")[1] ?? 2);
const LIMITS: RetentionLimits = {
  trustHistoryLength: 1000,
  queueMaxPerUser: 1000,
  queueMaxAgeSeconds: 0,
};
const MESSAGE = JSON.stringify({ text: "hello, this is a chat message of typical size 😀" });

interface Figure {
  driver: string;
  scenario: string;
  opsPerSecond: number;
  unit: string;
}

/** Calls `op` in `parallel` loops for `seconds`; returns completed operations per second. */
async function rate(op: (i: number) => Promise<void>, parallel = 1): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end) await op(done++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, loop));
  return done / ((performance.now() - started) / 1000);
}

function batch(size: number, pipes: number, i: number): HistoryEntry[] {
  const time = Math.floor(Date.now() / 1000);
  return Array.from({ length: size }, (_, k) => ({
    id: crypto.randomUUID(),
    devId: 1,
    pipe: `pipe_${(i * size + k) % pipes}`,
    event: "message",
    message: MESSAGE,
    userId: 0,
    time,
  }));
}

/** The i-th private message: 100 users take turns. */
function privateMessage(i: number): QueuedMessage {
  return {
    id: crypto.randomUUID(),
    devId: 1,
    userId: i % 100,
    event: "private",
    message: MESSAGE,
    time: Math.floor(Date.now() / 1000),
  };
}

async function measure(driver: string, storage: Storage, parallel: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  const add = (scenario: string, opsPerSecond: number, unit: string) =>
    figures.push({ driver, scenario, opsPerSecond, unit });
  const keep50 = () => 50;

  add(
    "appendHistory, batches of 1",
    await rate((i) => storage.appendHistory(batch(1, 10, i), keep50)),
    "batches/s",
  );
  const batches = await rate((i) => storage.appendHistory(batch(100, 10, i), keep50));
  add("appendHistory, batches of 100 (10 pipes, keep 50)", batches * 100, "messages/s");
  const enqueue = (i: number) => storage.enqueuePrivate(privateMessage(i));
  add("enqueuePrivate, one at a time", await rate(enqueue), "messages/s");
  if (parallel > 1) {
    add(`enqueuePrivate, ${parallel} in flight`, await rate(enqueue, parallel), "messages/s");
  }
  add(
    "readHistory, 99 rows",
    await rate((i) => storage.readHistory(1, `pipe_${i % 10}`, 99).then(() => {})),
    "reads/s",
  );
  return figures;
}

const figures: Figure[] = [];

const dir = await Deno.makeTempDir({ prefix: "comet-storage-bench-" });
const sqlite = new SqliteStorage({
  file: `${dir}/bench.sqlite`,
  limits: LIMITS,
  busyTimeoutMs: 5000,
});
await sqlite.open();
figures.push(...await measure("sqlite", sqlite, 1));
await sqlite.close();
await Deno.remove(dir, { recursive: true });

if (!Deno.args.includes("--sqlite-only")) {
  const mariadb = await startMariadb();
  const config: DbConfig = {
    host: mariadb.host,
    port: mariadb.port,
    user: mariadb.user,
    password: mariadb.password,
    name: mariadb.database,
    file: "",
    poolSize: 8,
    queryTimeoutMs: 5000,
    connectTimeoutMs: 3000,
  };
  const mysql = new MysqlStorage(config, LIMITS, () => {});
  await mysql.open();
  figures.push(...await measure("mysql", mysql, 8));
  await mysql.close(); // the server stops by itself when this process exits
}

console.log(`storage throughput, ${seconds} s per scenario, durable writes\n`);
for (const f of figures) {
  const value = Math.round(f.opsPerSecond).toLocaleString("en-US").padStart(9);
  console.log(`${f.driver.padEnd(7)} ${f.scenario.padEnd(52)} ${value} ${f.unit}`);
}
