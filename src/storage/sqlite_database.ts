/**
 * The SQLite file under the embedded storage: opened with the settings every write relies on,
 * migrated (sqlite_schema.ts), its statements prepared once on first use, transactions, and every
 * failure as a StorageError naming the file and the operation. The statements themselves and
 * what their rows mean are sqlite_storage.ts's.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { applyMigrations } from "./sqlite_schema.ts";
import { StorageError } from "./storage.ts";

export type Row = Record<string, SQLInputValue>;

/** A database file whose statements are named by `Name` (the keys of the `sql` table). */
export class SqliteDatabase<Name extends string> {
  readonly description: string;
  #db: DatabaseSync | null = null;
  #statements = new Map<Name, StatementSync>();

  constructor(
    /** Database file; its directory is created if missing. `:memory:` keeps nothing. */
    private readonly file: string,
    /** How long a write waits for another process holding the file's lock. */
    private readonly busyTimeoutMs: number,
    private readonly sql: Readonly<Record<Name, string>>,
  ) {
    this.description = `sqlite:${file}`;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    try {
      const file = this.file;
      if (file !== ":memory:") Deno.mkdirSync(dirname(file), { recursive: true });
      const db = new DatabaseSync(file);
      try {
        // First: processes starting together on one file wait for each other's locks.
        db.exec(`PRAGMA busy_timeout = ${Math.trunc(this.busyTimeoutMs)}`);
        await enableWal(db, this.busyTimeoutMs);
        // FULL: the WAL is synced at every commit, so a resolved write survives a power cut.
        db.exec("PRAGMA synchronous = FULL");
        applyMigrations(db);
      } catch (e) {
        db.close();
        throw e;
      }
      if (this.#db) {
        db.close(); // a concurrent open() finished first
        return;
      }
      this.#db = db;
    } catch (e) {
      throw this.#error("open", e);
    }
  }

  close(): void {
    const db = this.#db;
    this.#db = null;
    this.#statements.clear();
    db?.close();
  }

  get isOpen(): boolean {
    return this.#db !== null;
  }

  /** Runs `work` against the open database; any failure becomes a rejected StorageError. */
  run<T>(what: string, work: () => T): Promise<T> {
    try {
      if (!this.#db) throw new Error("storage is not open");
      return Promise.resolve(work());
    } catch (e) {
      return Promise.reject(this.#error(what, e));
    }
  }

  /** Runs `work` in one transaction; `sync` relaxes the commit's fsync (sqlite_storage.ts appendHistory). */
  transaction(work: () => void, sync: "FULL" | "NORMAL" = "FULL"): void {
    const db = this.#db!;
    if (sync !== "FULL") db.exec(`PRAGMA synchronous = ${sync}`);
    try {
      db.exec("BEGIN IMMEDIATE");
      try {
        work();
        db.exec("COMMIT");
      } catch (e) {
        db.exec("ROLLBACK");
        throw e;
      }
    } finally {
      if (sync !== "FULL") db.exec("PRAGMA synchronous = FULL");
    }
  }

  #statement(name: Name): StatementSync {
    let statement = this.#statements.get(name);
    if (!statement) {
      statement = this.#db!.prepare(this.sql[name]);
      this.#statements.set(name, statement);
    }
    return statement;
  }

  exec(name: Name, ...params: SQLInputValue[]): void {
    this.#statement(name).run(...params);
  }

  get(name: Name, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(name).get(...params) as Row | undefined;
  }

  all(name: Name, ...params: SQLInputValue[]): Row[] {
    return this.#statement(name).all(...params) as Row[];
  }

  #error(what: string, e: unknown): StorageError {
    if (e instanceof StorageError) return e;
    const reason = e instanceof Error ? e.message : String(e);
    return new StorageError(`${this.description}: ${what}: ${reason}`, { cause: e });
  }
}

/**
 * Switches the file to WAL (a no-op once it is). The switch takes an exclusive lock without
 * calling SQLite's busy handler, so `busy_timeout` does not cover it: a process opening a fresh
 * file while another one reads it (workers starting together, README "Scaling out") got
 * "database is locked" and failed to start. Retried with a short jittered pause until the busy
 * timeout; any other error is thrown at once.
 */
async function enableWal(db: DatabaseSync, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (e) {
      // node:sqlite in Deno carries no result code: SQLITE_BUSY is known by its message.
      const busy = e instanceof Error && e.message === "database is locked";
      if (!busy || Date.now() >= deadline) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}
