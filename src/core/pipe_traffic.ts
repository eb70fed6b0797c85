/**
 * Messages per pipe over the last few seconds, for the dashboard's "busiest pipes by messages".
 * The fan-out counts into the current one-second window (one Map update per message, on the
 * key string the fan-out already built); `rotate()` is called every second by whoever reads it.
 * Each window holds at most `maxPipes` distinct pipes, so a flood of pipe names cannot grow it
 * without bound (the rest is counted as `uncounted`).
 */

/** One-second windows kept; the busiest list covers this many seconds. */
export const TRAFFIC_WINDOWS = 10;

export interface PipeRate {
  devId: number;
  pipe: string;
  perSecond: number;
}

export class PipeTraffic {
  private current = new Map<string, number>();
  private windows: Map<string, number>[] = [];
  /** Messages to pipes beyond `maxPipes` in their window. */
  uncounted = 0;

  constructor(private readonly maxPipes = 10_000) {}

  /** `key` is the registry's `${devId}:${pipe}`. */
  count(key: string): void {
    const n = this.current.get(key);
    if (n !== undefined) this.current.set(key, n + 1);
    else if (this.current.size < this.maxPipes) this.current.set(key, 1);
    else this.uncounted++;
  }

  /** Closes the current one-second window. */
  rotate(): void {
    this.windows.push(this.current);
    if (this.windows.length > TRAFFIC_WINDOWS) this.windows.shift();
    this.current = new Map();
  }

  /** The `n` pipes with most messages over the closed windows, per second. */
  busiest(n: number): PipeRate[] {
    const sums = new Map<string, number>();
    for (const w of this.windows) {
      for (const [key, count] of w) sums.set(key, (sums.get(key) ?? 0) + count);
    }
    const seconds = Math.max(1, this.windows.length);
    return [...sums].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, count]) => {
      const colon = key.indexOf(":");
      return {
        devId: Number(key.slice(0, colon)),
        pipe: key.slice(colon + 1),
        perSecond: count / seconds,
      };
    });
  }
}
