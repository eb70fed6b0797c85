/**
 * A private `redis-server` (Debian package) for one test: a free loopback port, its own temp
 * directory, no persistence unless asked. It can be stopped and started again on the same port
 * (a Redis outage), or frozen with SIGSTOP (connections stay open, nothing answers), for the
 * fault tests of issue 12.
 *
 * redis-server runs under a small shell watchdog that kills it and deletes its directory when
 * this Deno process goes away, however it ends, so no server outlives the tests.
 *
 *   const redis = await startRedis();            // running; redis.url for [redis] url
 *   await redis.stop(); ...; await redis.start(); // an outage of a few seconds, same port
 *   await redis.close();                          // or leave it to the process exit
 */
import { freePort } from "./comet_process.ts";
import { isAlive } from "./process_alive.ts";

export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:PORT`, for `[redis] url`. */
  url: string;
  /** The server's directory (its log, and its data when persistent). */
  dir: string;
  isRunning(): boolean;
  /**
   * Kills the server (SIGKILL, as a crash). Without persistence its data is gone: a restarted
   * Redis is empty, as after a real restart of a cache-only Redis.
   */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered. */
  freeze(): void;
  thaw(): void;
  /** Stops the server and deletes its directory. */
  close(): Promise<void>;
}

export interface RedisOptions {
  /** Append-only file with fsync on every write, so data survives `stop()`/`start()`. */
  persistent?: boolean;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * `sh -c` body: runs redis-server, records its pid, kills it on SIGTERM (stop, keep the
 * directory) or SIGUSR1 (stop, delete), and does the latter itself once the watched process (this
 * Deno) has exited.
 */
const WATCHDOG = `
watched=$1; dir=$2; shift 2
"$@" &
db=$!
echo "$db" > "$dir/redis.pid"
stop_db() { kill -CONT "$db" 2>/dev/null; kill -KILL "$db" 2>/dev/null; wait "$db"; }
trap 'stop_db; exit 0' TERM
trap 'stop_db; rm -rf "$dir"; exit 0' USR1
while kill -0 "$watched" 2>/dev/null && kill -0 "$db" 2>/dev/null; do sleep 1 & wait $!; done
kill -0 "$watched" 2>/dev/null || { stop_db; rm -rf "$dir"; }
`;

const servers = new Set<RedisServer>();

globalThis.addEventListener("unload", () => {
  // Unload handlers cannot wait: a running server's watchdog deletes the directory itself.
  for (const server of servers) server.discard();
});

/** A new private Redis, running. */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const dir = await Deno.makeTempDir({ prefix: "comet-redis-" });
  const server = new RedisServer(dir, freePort(), options.persistent ?? false);
  servers.add(server);
  await server.start();
  return server;
}

class RedisServer implements TestRedis {
  readonly url: string;
  #watchdog: Deno.ChildProcess | undefined;

  constructor(readonly dir: string, readonly port: number, private readonly persistent: boolean) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  isRunning(): boolean {
    const pid = this.#serverPid();
    return this.#watchdog !== undefined && pid !== null && isAlive(pid);
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    await Deno.remove(`${this.dir}/redis.pid`).catch(() => {});
    const persistence = this.persistent
      ? ["--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"];
    this.#watchdog = new Deno.Command("sh", {
      args: [
        "-c",
        WATCHDOG,
        "watchdog",
        String(Deno.pid),
        this.dir,
        "redis-server",
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        ...persistence,
        "--logfile",
        `${this.dir}/redis.log`,
        "--daemonize",
        "no",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#watchdog.unref(); // the tests' process may exit while Redis runs; the watchdog cleans up
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await ping(this.port))) {
      if (Date.now() > deadline) {
        const log = await Deno.readTextFile(`${this.dir}/redis.log`).catch(() => "");
        throw new Error(`redis-server on ${this.port} did not start:\n${log.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    const watchdog = this.#watchdog;
    if (watchdog === undefined) return;
    this.#watchdog = undefined;
    try {
      watchdog.kill("SIGTERM");
    } catch {
      // already gone
    }
    watchdog.ref(); // an unref'd child's exit would not keep the event loop waiting for it
    await watchdog.status;
  }

  freeze(): void {
    const pid = this.#serverPid();
    if (pid !== null) Deno.kill(pid, "SIGSTOP");
  }

  thaw(): void {
    const pid = this.#serverPid();
    if (pid !== null) Deno.kill(pid, "SIGCONT");
  }

  async close(): Promise<void> {
    await this.stop();
    servers.delete(this);
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** Synchronous teardown for the unload event. */
  discard(): void {
    if (this.#watchdog !== undefined) {
      try {
        this.#watchdog.kill("SIGUSR1");
        return;
      } catch {
        // the watchdog is gone; delete the directory ourselves
      }
    }
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // already gone
    }
  }

  #serverPid(): number | null {
    try {
      return Number(Deno.readTextFileSync(`${this.dir}/redis.pid`)) || null;
    } catch {
      return null;
    }
  }
}

/** True once the server answers PING with PONG (RESP: `+PONG\r\n`). */
async function ping(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}
