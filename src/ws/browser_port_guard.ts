/**
 * The browser port's bounds (issue 13, points 7 and 9; `[limits]`, README "Limits"): how many
 * connections it holds (in total and per source address), how long a connection may take to
 * send its first request, keep a frame or fragmented message unfinished, or stay silent, how many
 * bytes of unfinished messages all connections hold together, and how many unsent bytes all of
 * them may have queued together.
 *
 * Timeouts are checked by one sweep per second over the connections that have a deadline (those
 * in the handshake, streaming a static file, holding an unfinished message, or all of them when
 * `ws_idle_timeout` is on); connections with none cost nothing. The hot paths (fan-out writes,
 * reads) only update counters here.
 */
import type { LimitsConfig } from "../config/limits.ts";
import { wsConnectionCap } from "../config/limits.ts";
import type { NodeStats } from "../core/node_stats.ts";
import type { Logger } from "../log.ts";
import type { ByteSocket } from "../net/byte_socket.ts";

/** Something the guard can end when its time is up. */
export interface Expirable {
  /** The deadline passed: drop the connection (bare TCP close). */
  expire(): void;
}

/** A connection with unsent bytes, in the server-wide budget. */
export interface Backlogged {
  /** Its unsent bytes now, read from the socket (it also becomes its figure for `before`). */
  pendingBytes(): number;
  /**
   * Dropped to bring the total under the budget (bare TCP close, like a slow consumer); its
   * figure is 0 from now on (the guard has already taken it off the total).
   */
  dropForBudget(): void;
}

const SWEEP_MS = 1000;
/** One line per this long for each repeated warning (refusals, budget drops). */
const WARN_EVERY_MS = 10_000;

export class BrowserPortGuard {
  /** Coarse clock (ms, performance.now()), advanced by the sweep: cheap to read per event. */
  now = performance.now();
  private readonly deadlines = new Map<Expirable, number>();
  private readonly idle = new Map<Expirable, number>();
  private readonly cap: number;
  private open = 0;
  private readonly perIp = new Map<string, number>();
  private unfinished = 0;
  private pending = 0;
  private readonly backlogged = new Set<Backlogged>();
  private readonly lastWarned = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    readonly limits: LimitsConfig,
    private readonly log: Logger,
    private readonly stats: NodeStats,
  ) {
    this.cap = wsConnectionCap(limits);
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    Deno.unrefTimer(this.timer);
  }

  /** The connection cap in force (the automatic one depends on the open-file limit). */
  get connectionCap(): number {
    return this.cap;
  }

  close(): void {
    clearInterval(this.timer);
  }

  // ---- connection caps ----

  /** A new connection: true when it may stay (counted until `release`), false to refuse it. */
  admit(socket: ByteSocket): boolean {
    if (this.open >= this.cap) {
      return this.refuse(`browser port holds ${this.open} connections, its limit`);
    }
    const perIp = this.limits.wsMaxConnectionsPerIp;
    if (perIp > 0) {
      const ip = socket.remoteAddress ?? "";
      const n = this.perIp.get(ip) ?? 0;
      if (n >= perIp) return this.refuse(`${ip} holds ${n} connections, its limit`);
      this.perIp.set(ip, n + 1);
    }
    this.open++;
    return true;
  }

  /** An admitted connection closed. */
  release(socket: ByteSocket): void {
    this.open--;
    if (this.limits.wsMaxConnectionsPerIp > 0) {
      const ip = socket.remoteAddress ?? "";
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    }
  }

  private refuse(why: string): false {
    this.stats.wsRefusedConnections++;
    this.warnAtMostEvery("refused", `refusing browser connections: ${why} ([limits])`);
    return false;
  }

  // ---- deadlines ----

  /** `x` is dropped unless `clearDeadline` comes within `seconds` (replaces an earlier one). */
  setDeadline(x: Expirable, seconds: number): void {
    this.deadlines.set(x, this.now + seconds * 1000 + SWEEP_MS);
  }

  /** Sets a deadline unless `x` already has one (an unfinished message keeps its first). */
  keepDeadline(x: Expirable, seconds: number): void {
    if (!this.deadlines.has(x)) this.setDeadline(x, seconds);
  }

  clearDeadline(x: Expirable): void {
    this.deadlines.delete(x);
  }

  /** With `ws_idle_timeout`: `x` showed life (called on every read); off, it costs a compare. */
  active(x: Expirable): void {
    const seconds = this.limits.wsIdleTimeoutS;
    if (seconds > 0) this.idle.set(x, this.now + seconds * 1000 + SWEEP_MS);
  }

  forget(x: Expirable): void {
    this.deadlines.delete(x);
    if (this.limits.wsIdleTimeoutS > 0) this.idle.delete(x);
  }

  private sweep(): void {
    const now = performance.now();
    this.now = now;
    for (const map of [this.deadlines, this.idle]) {
      for (const [x, deadline] of map) {
        if (deadline > now) continue;
        map.delete(x);
        this.stats.wsTimeouts++;
        x.expire();
      }
    }
  }

  // ---- unfinished messages ----

  /**
   * A connection's unfinished bytes changed from `before` to `after`: false when the total
   * would pass `ws_unfinished_total_max` (the caller then drops the connection, releasing them).
   */
  holdUnfinished(before: number, after: number): boolean {
    const total = this.unfinished + after - before;
    if (after > before && total > this.limits.wsUnfinishedTotalMax) {
      this.unfinished -= before;
      this.warnAtMostEvery(
        "unfinished",
        `unfinished browser messages hold ${this.unfinished} bytes: dropping connections ` +
          "that add more ([limits] ws_unfinished_total_max)",
      );
      return false;
    }
    this.unfinished = total;
    return true;
  }

  // ---- the server-wide budget of unsent bytes ----

  /**
   * A connection's unsent bytes (its figure after its last flush) went from `before` to `after`.
   * Past `ws_pending_total_max` the largest backlogs are dropped until the total is under it.
   */
  pendingChanged(x: Backlogged, before: number, after: number): void {
    if (after > 0) this.backlogged.add(x);
    else this.backlogged.delete(x);
    this.pending += after - before;
    this.stats.wsPendingBytes = this.pending;
    if (this.pending > this.limits.wsPendingTotalMax) this.enforceBudget();
  }

  private enforceBudget(): void {
    // The figures are as of each connection's last flush: refresh them first (some drained).
    const sizes: [Backlogged, number][] = [];
    let total = 0;
    for (const x of this.backlogged) {
      const bytes = x.pendingBytes();
      sizes.push([x, bytes]);
      total += bytes;
    }
    this.pending = total;
    sizes.sort((a, b) => b[1] - a[1]);
    let dropped = 0;
    for (const [x, bytes] of sizes) {
      if (this.pending <= this.limits.wsPendingTotalMax) break;
      this.backlogged.delete(x);
      this.pending -= bytes;
      this.stats.wsBudgetDrops++;
      dropped++;
      x.dropForBudget();
    }
    this.stats.wsPendingBytes = this.pending;
    if (dropped > 0) {
      this.warnAtMostEvery(
        "budget",
        `unsent bytes of all browsers passed ${this.limits.wsPendingTotalMax}: dropped the ` +
          `${dropped} largest backlogs ([limits] ws_pending_total_max)`,
      );
    }
  }

  private warnAtMostEvery(key: string, message: string): void {
    const now = performance.now();
    if (now - (this.lastWarned.get(key) ?? -Infinity) < WARN_EVERY_MS) return;
    this.lastWarned.set(key, now);
    this.log.warn("ws", message);
  }
}
