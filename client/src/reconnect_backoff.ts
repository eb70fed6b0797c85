/// <reference lib="dom" />
/**
 * Reconnect delays: exponential backoff with full jitter. After a server restart every browser
 * reconnects at once; spreading each attempt uniformly over [0, ceiling] keeps the herd from
 * arriving in waves (the original's fixed 1 s steps did exactly that, docs/protocol/websocket.md
 * §9.7).
 */

export interface BackoffPolicy {
  /** Ceiling of the first attempt's delay, ms. */
  baseMs: number;
  /** The ceiling never grows past this, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000 };

/** No attempt comes sooner than this, so a server that refuses at once is not hammered. */
const MIN_DELAY_MS = 100;

/**
 * Delay before reconnect attempt `attempt` (0 for the first after a drop): uniform in
 * [MIN_DELAY_MS, min(maxMs, baseMs·2^attempt)].
 */
export function reconnectDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(MIN_DELAY_MS, Math.floor(random() * ceiling));
}
