/**
 * `[main] workers = N` (issue 12): the main process starts N copies of itself that share the
 * WebSocket and CometQL ports (SO_REUSEPORT) and one Redis, restarts a worker that dies (with
 * backoff), forwards SIGHUP, and on stop sends SIGTERM to every worker and waits for each to
 * finish its graceful stop. It serves no client itself.
 *
 * Each worker's stdout is relayed line by line with the worker's label inserted after the
 * level (`… INFO w1 [ws] …`); stderr is inherited as is. See worker_role.ts for the worker's side.
 */
import type { Logger } from "../log.ts";
import type { WorkerCommand } from "./worker_command.ts";
import { WORKER_ENV, WORKER_READY_LINE } from "./worker_role.ts";

export interface SupervisorOptions {
  count: number;
  command: WorkerCommand;
  log: Logger;
  /** Where relayed worker lines go (stdout by default). */
  write?: (line: string) => void;
  /** First restart delay; doubled on each failure in a row, up to `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A worker that served this long before it died is restarted after the first delay again. */
  stableAfterMs?: number;
  /** How long the workers get for their graceful stop before they are killed. */
  stopTimeoutMs?: number;
}

interface Slot {
  index: number;
  child?: Deno.ChildProcess;
  /** Holds the worker's stdin open: closing it tells the worker the supervisor is gone. */
  lifeline?: WritableStreamDefaultWriter<Uint8Array>;
  readyAt?: number;
  failures: number;
  restartTimer?: ReturnType<typeof setTimeout>;
}

export class WorkerSupervisor {
  readonly #slots: Slot[];
  readonly #write: (line: string) => void;
  #stopping: Promise<number> | undefined;
  /** Settles the initial start: all ready, or one failed before it served. */
  #initial: { resolve(): void; reject(e: Error): void } | undefined;
  #restarts = 0;
  #started = false;

  constructor(private readonly options: SupervisorOptions) {
    this.#slots = Array.from({ length: options.count }, (_, index) => ({ index, failures: 0 }));
    this.#write = options.write ?? ((line) => console.log(line));
  }

  /**
   * Starts every worker; resolves once all serve, rejects (after stopping the rest) if one fails.
   */
  start(): Promise<void> {
    const started = new Promise<void>((resolve, reject) => {
      this.#initial = { resolve, reject };
    });
    for (const slot of this.#slots) this.#spawn(slot);
    return started.catch(async (e) => {
      await this.stop();
      throw e;
    });
  }

  /** The live workers' pids, by index (0 while one is being restarted). */
  pids(): number[] {
    return this.#slots.map((s) => s.child?.pid ?? 0);
  }

  /** Workers restarted after dying, since the start. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Sends a signal to every live worker (SIGHUP: each re-reads the config file). */
  signal(signal: Deno.Signal): void {
    for (const slot of this.#slots) {
      try {
        slot.child?.kill(signal);
      } catch {
        // exited a moment ago; its exit handler deals with it
      }
    }
  }

  /**
   * Stops every worker gracefully (SIGTERM) and resolves with the exit code for the supervisor:
   * 0 when every worker stopped with 0, 1 when one failed or had to be killed.
   */
  stop(): Promise<number> {
    return this.#stopping ??= (async () => {
      for (const slot of this.#slots) clearTimeout(slot.restartTimer);
      const timeoutMs = this.options.stopTimeoutMs ?? 12_000;
      const codes = await Promise.all(this.#slots.map(async (slot) => {
        const child = slot.child;
        if (child === undefined) return 0;
        try {
          child.kill("SIGTERM");
        } catch {
          // already exited
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = new Promise<number>((resolve) => {
          timer = setTimeout(() => {
            this.options.log.error(
              "main",
              `worker ${slot.index} (pid ${child.pid}) did not stop within ${timeoutMs} ms; killing it`,
            );
            try {
              child.kill("SIGKILL");
            } catch {
              // exited meanwhile
            }
            resolve(1);
          }, timeoutMs);
        });
        const status = await Promise.race([child.status.then((s) => s.code), killed]);
        clearTimeout(timer);
        await child.status;
        return status;
      }));
      return codes.every((c) => c === 0) ? 0 : 1;
    })();
  }

  /** Kills every worker at once (a second stop signal). */
  kill(): void {
    this.signal("SIGKILL");
  }

  #spawn(slot: Slot): void {
    slot.readyAt = undefined;
    const child = new Deno.Command(this.options.command.command, {
      args: this.options.command.args,
      env: { [WORKER_ENV]: String(slot.index) },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    slot.child = child;
    slot.lifeline = child.stdin.getWriter();
    this.#relay(slot, child);
    child.status.then((status) => this.#exited(slot, child, status));
  }

  async #relay(slot: Slot, child: Deno.ChildProcess): Promise<void> {
    const label = `w${slot.index}`;
    let rest = "";
    const decoder = new TextDecoder();
    const lineOut = (line: string) => {
      if (line === WORKER_READY_LINE) return this.#ready(slot, child);
      // `<time> <LEVEL> [tag] text` → `<time> <LEVEL> w1 [tag] text`; anything else is prefixed.
      const m = /^(\S+ [A-Z]+) (.*)$/.exec(line);
      this.#write(m ? `${m[1]} ${label} ${m[2]}` : `${label} ${line}`);
    };
    try {
      for await (const chunk of child.stdout) {
        const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
        rest = lines.pop()!;
        for (const line of lines) lineOut(line);
      }
    } catch {
      // the pipe broke with the worker; its exit is handled in #exited
    }
    if (rest !== "") lineOut(rest);
  }

  #ready(slot: Slot, child: Deno.ChildProcess): void {
    slot.readyAt = Date.now();
    if (this.#started) {
      this.options.log.info("main", `worker ${slot.index} serving again (pid ${child.pid})`);
    }
    if (this.#initial && this.#slots.every((s) => s.readyAt !== undefined)) {
      this.#started = true;
      this.#initial.resolve();
      this.#initial = undefined;
    }
  }

  #exited(slot: Slot, child: Deno.ChildProcess, status: Deno.CommandStatus): void {
    if (slot.child !== child) return;
    slot.child = undefined;
    slot.lifeline?.close().catch(() => {}); // the reader is gone: nothing to flush
    slot.lifeline = undefined;
    if (this.#stopping) return;
    const how = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
    if (this.#initial) {
      // Like a single server that cannot start: stop, report, let the service manager decide.
      this.#initial.reject(
        new Error(`worker ${slot.index} (pid ${child.pid}) exited with ${how} while starting`),
      );
      this.#initial = undefined;
      return;
    }
    const servedMs = slot.readyAt === undefined ? 0 : Date.now() - slot.readyAt;
    if (servedMs >= (this.options.stableAfterMs ?? 30_000)) slot.failures = 0;
    const first = this.options.restartDelayMs ?? 250;
    const delay = Math.min(this.options.maxRestartDelayMs ?? 10_000, first * 2 ** slot.failures);
    slot.failures++;
    this.options.log.error(
      "main",
      `worker ${slot.index} (pid ${child.pid}) exited with ${how}; restarting in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      this.#restarts++;
      this.#spawn(slot);
    }, delay);
  }
}
