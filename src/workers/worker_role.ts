/**
 * The worker's side of `[main] workers = N` (issue 12): how a process knows it is worker i, how
 * it tells the supervisor it is serving, and how it notices the supervisor is gone.
 *
 * The supervisor (worker_supervisor.ts) starts each worker with `COMET_WORKER=i` in its
 * environment, its stdout on a pipe (log lines are relayed, labelled `w<i>`) and its stdin on a
 * pipe it never writes: when the supervisor dies, even by SIGKILL, the kernel closes that pipe
 * and the worker stops gracefully instead of holding the shared ports as an orphan.
 */

/** The environment variable that makes a process worker i. */
export const WORKER_ENV = "COMET_WORKER";

/** Written on stdout by a worker once its ports accept connections; never relayed. */
export const WORKER_READY_LINE = "comet-worker-ready";

/** This process's worker index, or undefined when it is not a worker of a supervisor. */
export function workerIndex(workers: number): number | undefined {
  if (workers <= 1) return undefined;
  const value = Deno.env.get(WORKER_ENV);
  if (value === undefined || !/^\d+$/.test(value) || Number(value) >= workers) return undefined;
  return Number(value);
}

/** Tells the supervisor this worker serves (its line on the stdout pipe). */
export function announceReady(): void {
  console.log(WORKER_READY_LINE);
}

/** Calls `onGone` once stdin reaches its end: the supervisor has exited. */
export function watchSupervisor(onGone: () => void): void {
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) {
        // the supervisor never writes; only the end matters
      }
    } catch {
      // a read error means the pipe is unusable: the same as gone
    }
    onGone();
  })();
}
