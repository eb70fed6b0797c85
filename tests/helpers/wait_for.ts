/**
 * Waiting on a condition instead of a fixed sleep: polls `condition` until it holds (or returns a
 * value other than undefined/false) and fails with `what` when `timeoutMs` passes first. Fast
 * when the machine is fast, patient when it is loaded.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
  pollMs = 5,
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== false && value !== undefined && value !== null) {
      return value as Exclude<T, false | undefined | null>;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
