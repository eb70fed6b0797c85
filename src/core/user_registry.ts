/**
 * Live connections per user and tenant, for private messages, presence and kicks
 * (docs/protocol/websocket.md §5.5, §5.6, §6).
 */
import type { Subscriber } from "./subscriber.ts";

/**
 * At most this many connections per user and node receive private messages
 * (docs/protocol/websocket.md §5.5).
 */
export const MAX_DEVICES_PER_USER = 16;

/**
 * Offline users whose last disconnect time this node remembers, by default (`[limits]
 * last_seen_users_max`). An entry costs ~100 bytes; past the bound the longest-offline user is
 * forgotten, and its status comes from storage (`users_time`) again, or is unknown when
 * `save_users_last_online_time` is off.
 */
export const DEFAULT_LAST_SEEN_MAX = 100_000;

export class UserRegistry {
  private users = new Map<string, Set<Subscriber>>();
  /**
   * Last disconnect time (Unix seconds) of users who left this node and are offline here, oldest
   * first (a user who leaves again moves to the end); at most `maxLastSeen` entries.
   */
  private lastSeen = new Map<string, number>();
  /**
   * Authorized connections per tenant (`SHOW STATUS` user_online, docs/protocol/cometql.md §12.1).
   */
  private perTenant = new Map<number, number>();

  constructor(private readonly maxLastSeen = DEFAULT_LAST_SEEN_MAX) {}

  /** Adds an authorized connection; true when it is the user's first one here (→ online). */
  add(sub: Subscriber): boolean {
    const key = `${sub.devId}:${sub.userId}`;
    let set = this.users.get(key);
    if (!set) {
      set = new Set();
      this.users.set(key, set);
    }
    if (!set.has(sub)) {
      if (set.size === 0) this.lastSeen.delete(key); // online again: isOnline answers for it
      set.add(sub);
      this.perTenant.set(sub.devId, (this.perTenant.get(sub.devId) ?? 0) + 1);
    }
    return set.size === 1;
  }

  /** Removes a connection; true when it was the user's last one here (→ offline). */
  remove(sub: Subscriber, now: number): boolean {
    const key = `${sub.devId}:${sub.userId}`;
    const set = this.users.get(key);
    if (!set?.delete(sub)) return false;
    this.perTenant.set(sub.devId, (this.perTenant.get(sub.devId) ?? 1) - 1);
    if (set.size > 0) return false;
    this.users.delete(key);
    this.lastSeen.delete(key); // re-inserted last, so the map stays in order of leaving
    this.lastSeen.set(key, now);
    if (this.lastSeen.size > this.maxLastSeen) {
      this.lastSeen.delete(this.lastSeen.keys().next().value!);
    }
    return true;
  }

  /** Every live connection of the user (for kicks). */
  connectionsOf(devId: number, userId: number): Subscriber[] {
    const set = this.users.get(`${devId}:${userId}`);
    return set ? [...set] : [];
  }

  /**
   * The connections that receive private messages: the first 16 (docs/protocol/websocket.md §5.5).
   */
  *deliverableOf(devId: number, userId: number): Generator<Subscriber> {
    const set = this.users.get(`${devId}:${userId}`);
    if (!set) return;
    let n = 0;
    for (const sub of set) {
      if (n++ >= MAX_DEVICES_PER_USER) return;
      yield sub;
    }
  }

  has(sub: Subscriber): boolean {
    return this.users.get(`${sub.devId}:${sub.userId}`)?.has(sub) ?? false;
  }

  /** The user's connections here. */
  countOf(devId: number, userId: number): number {
    return this.users.get(`${devId}:${userId}`)?.size ?? 0;
  }

  forEachConnection(fn: (sub: Subscriber) => void): void {
    for (const set of this.users.values()) for (const sub of set) fn(sub);
  }

  isOnline(devId: number, userId: number): boolean {
    return this.users.has(`${devId}:${userId}`);
  }

  /** When the user last left this node; undefined if online, never seen, or forgotten. */
  lastSeenOf(devId: number, userId: number): number | undefined {
    return this.lastSeen.get(`${devId}:${userId}`);
  }

  /** Authorized connections of the tenant on this node. */
  connectionCount(devId: number): number {
    return this.perTenant.get(devId) ?? 0;
  }

  /** Authorized connections of every tenant on this node. */
  get connectionTotal(): number {
    let total = 0;
    for (const n of this.perTenant.values()) total += n;
    return total;
  }

  get onlineUsers(): number {
    return this.users.size;
  }

  /** Offline users whose last-seen time is remembered (at most `maxLastSeen`). */
  get lastSeenUsers(): number {
    return this.lastSeen.size;
  }
}
