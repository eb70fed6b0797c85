/**
 * The per-user lock of `Presence.withUserLock` within one process: a promise chain per user, so
 * one function at a time runs under a user's lock here (the Redis driver takes its lock across
 * nodes inside it). A chain is dropped once it has nothing left to run.
 */
export class UserLockChains {
  #chains = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every function run earlier under `key` has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.#chains.get(key) ?? Promise.resolve()).then(fn, fn);
    const settled = next.then(() => {}, () => {});
    this.#chains.set(key, settled);
    settled.then(() => {
      if (this.#chains.get(key) === settled) this.#chains.delete(key);
    });
    return next;
  }
}
