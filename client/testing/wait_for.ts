/**
 * Polls a condition for the client's unit tests: debounced subscription lists, reconnect timers and
 * BroadcastChannel hops all settle a few milliseconds after the call that caused them.
 */
export async function waitFor(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
