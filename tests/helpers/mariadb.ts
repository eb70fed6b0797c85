/**
 * A private MariaDB server for tests and benchmarks, started from the Debian package
 * (`mariadb-server`) without touching the system's own service or config: its own data directory
 * in /tmp, its own socket, a free port on 127.0.0.1, a real user with a password.
 *
 * mariadbd runs under a small shell watchdog that stops it and deletes its directory when this
 * Deno process goes away, however it ends, so no server outlives the tests.
 *
 *   const db = await startMariadb();      // shared by every test module of this process
 *   const db = await createMariadb();     // private and stopped: db.start(), db.stop() for outages
 */
import { isAlive } from "./process_alive.ts";

export interface Mariadb {
  host: string;
  port: number;
  user: string;
  password: string;
  /** A database the user owns; `sql()` as root can create more. */
  database: string;
  /** Unix socket, for the `mariadb` command-line client. */
  socket: string;
  isRunning(): boolean;
  /** Starts mariadbd (again) on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops mariadbd and keeps its data, like an outage; `start()` brings it back. */
  stop(): Promise<void>;
  /** Freezes mariadbd (SIGSTOP): connections open but nothing answers, like a hung server. */
  freeze(): Promise<void>;
  /** Lets a frozen mariadbd go on (SIGCONT). */
  thaw(): void;
  /** Runs SQL as root through the command-line client; returns its tab-separated output. */
  sql(statement: string): Promise<string>;
}

/** The `[db]` section of a comet.conf that stores in database `name` on this server. */
export function dbIni(db: Mariadb, name = db.database, extra = ""): string {
  return `[db]\nhost = ${db.host}\nport = ${db.port}\nuser = ${db.user}\n` +
    `password = ${db.password}\nname = ${name}\n${extra}`;
}

const USER = "comet";
const PASSWORD = "comet-test-password";
const DATABASE = "comet_test";
const READY_TIMEOUT_MS = 30_000;

/**
 * `sh -c` body: runs mariadbd, forwards SIGTERM (stop, keep data) and SIGUSR1 (stop, delete),
 * and does the latter itself once the watched process (this Deno) has exited.
 */
const WATCHDOG = `
watched=$1; dir=$2; shift 2
"$@" &
db=$!
stop_db() { kill -TERM "$db" 2>/dev/null; wait "$db"; }
trap 'stop_db; exit 0' TERM
trap 'stop_db; rm -rf "$dir"; exit 0' USR1
while kill -0 "$watched" 2>/dev/null && kill -0 "$db" 2>/dev/null; do sleep 1 & wait $!; done
kill -0 "$watched" 2>/dev/null || { stop_db; rm -rf "$dir"; }
`;

let shared: Promise<MariadbServer> | undefined;
let sharedServer: MariadbServer | undefined;
const privates: MariadbServer[] = [];

/**
 * The process-wide server, started on first use. Test modules run in separate isolates of one
 * process, so the server is found again through a directory named after the process id.
 */
export function startMariadb(): Promise<Mariadb> {
  shared ??= (async () => {
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/comet-mariadb-${Deno.pid}`;
    sharedServer = await MariadbServer.find(dir) ?? undefined;
    if (sharedServer) return sharedServer;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
    sharedServer = await MariadbServer.install(dir, freePort());
    await sharedServer.start();
    return sharedServer;
  })();
  return shared;
}

/** A server of the caller's own, installed but not running; deleted when the process exits. */
export async function createMariadb(): Promise<Mariadb> {
  const dir = await Deno.makeTempDir({ prefix: "comet-mariadb-" });
  const server = await MariadbServer.install(dir, freePort());
  privates.push(server);
  await server.start();
  await server.stop();
  return server;
}

globalThis.addEventListener("unload", () => {
  // Unload handlers cannot wait: a running server's watchdog deletes its directory itself. The
  // shared server stays for later test modules unless a test left it stopped.
  for (const server of privates) server.discard();
  sharedServer?.discardIfStopped();
});

class MariadbServer implements Mariadb {
  readonly host = "127.0.0.1";
  readonly user = USER;
  readonly password = PASSWORD;
  readonly database = DATABASE;
  readonly socket: string;

  private constructor(private readonly dir: string, readonly port: number) {
    this.socket = `${dir}/mariadbd.sock`;
  }

  /** Creates the data directory, then (once started) the user and database. */
  static async install(dir: string, port: number): Promise<MariadbServer> {
    await run("mariadb-install-db", [
      "--no-defaults",
      `--datadir=${dir}/data`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      ...asRoot(),
    ]);
    await Deno.writeTextFile(`${dir}/port`, String(port));
    const server = new MariadbServer(dir, port);
    server.#needsUser = true;
    return server;
  }

  /** The running server of an earlier test module of this process, if any. */
  static async find(dir: string): Promise<MariadbServer | null> {
    const port = Number(await Deno.readTextFile(`${dir}/port`).catch(() => ""));
    if (!port) return null;
    const server = new MariadbServer(dir, port);
    return (await server.#ping()) ? server : null;
  }

  #needsUser = false;

  isRunning(): boolean {
    const pid = this.#watchdogPid();
    return pid !== null && isAlive(pid);
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    const mariadbd = existsSync("/usr/sbin/mariadbd") ? "/usr/sbin/mariadbd" : "mariadbd";
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        WATCHDOG,
        "watchdog",
        String(Deno.pid),
        this.dir,
        mariadbd,
        "--no-defaults",
        ...asRoot(),
        `--datadir=${this.dir}/data`,
        `--socket=${this.socket}`,
        `--port=${this.port}`,
        "--bind-address=127.0.0.1",
        `--pid-file=${this.dir}/mariadbd.pid`,
        `--log-error=${this.dir}/error.log`,
        `--tmpdir=${this.dir}`,
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=64M",
        "--max-connections=500",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref(); // the tests' process may exit while the server runs; the watchdog cleans up
    Deno.writeTextFileSync(`${this.dir}/watchdog.pid`, String(child.pid));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await this.#ping())) {
      if (!this.isRunning() || Date.now() > deadline) {
        const log = await Deno.readTextFile(`${this.dir}/error.log`).catch(() => "");
        throw new Error(`mariadbd did not start:\n${log.split("\n").slice(-20).join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.#needsUser) {
      await this.sql(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4;
        CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
        CREATE USER '${USER}'@'localhost' IDENTIFIED BY '${PASSWORD}';
        GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'127.0.0.1';
        GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'localhost';`);
      this.#needsUser = false;
    }
  }

  async stop(): Promise<void> {
    const pid = this.#watchdogPid();
    if (pid === null || !this.isRunning()) return;
    Deno.kill(pid, "SIGTERM");
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  async freeze(): Promise<void> {
    const pid = this.#serverPid();
    Deno.kill(pid, "SIGSTOP");
    // The stop reaches the threads one after another; until then a thread can still answer.
    while (!allThreadsStopped(pid)) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  thaw(): void {
    Deno.kill(this.#serverPid(), "SIGCONT");
  }

  sql(statement: string): Promise<string> {
    return run("mariadb", [
      "--no-defaults",
      `--socket=${this.socket}`,
      "--user=root",
      "--batch",
      "--skip-column-names",
      "--execute",
      statement,
    ]);
  }

  /** Synchronous teardown for the unload event. */
  discard(): void {
    const pid = this.#watchdogPid();
    if (pid !== null && this.isRunning()) Deno.kill(pid, "SIGUSR1");
    else Deno.removeSync(this.dir, { recursive: true });
  }

  discardIfStopped(): void {
    if (!this.isRunning()) Deno.removeSync(this.dir, { recursive: true });
  }

  async #ping(): Promise<boolean> {
    const ping = await new Deno.Command("mariadb-admin", {
      args: ["--no-defaults", `--socket=${this.socket}`, "--user=root", "ping"],
      stdout: "null",
      stderr: "null",
    }).output();
    return ping.success;
  }

  #serverPid(): number {
    return Number(Deno.readTextFileSync(`${this.dir}/mariadbd.pid`));
  }

  #watchdogPid(): number | null {
    try {
      return Number(Deno.readTextFileSync(`${this.dir}/watchdog.pid`));
    } catch {
      return null; // never started
    }
  }
}

/** mariadbd refuses to run as root unless told to, and then needs to be told which user. */
function asRoot(): string[] {
  return Deno.uid() === 0 ? ["--user=root"] : [];
}

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${command} failed (${out.code}): ${text.decode(out.stderr).trim()}`);
  }
  return text.decode(out.stdout);
}

/** A port nothing listens on now (the kernel's pick for port 0). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function allThreadsStopped(pid: number): boolean {
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
    if (stat.slice(stat.lastIndexOf(")") + 2)[0] !== "T") return false;
  }
  return true;
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
