/**
 * The in-memory Presence: one node is the whole cluster, so every answer comes from the node's
 * own registries (no copy of them is kept) and changes need no bookkeeping here.
 */
import {
  entryOf,
  type LocalState,
  type NodeSummary,
  type Presence,
  type PresenceConnection,
  type PresenceEntry,
  type PresenceSize,
} from "./presence.ts";
import { UserLockChains } from "./user_lock_chains.ts";

export class LocalPresence implements Presence {
  /** `local` may be given up front, so a node answers before (or without) `start`. */
  constructor(private local?: LocalState) {}

  /** The lock of `withUserLock`: one node is the whole cluster, so this process's is enough. */
  private chains = new UserLockChains();

  start(local: LocalState): Promise<void> {
    this.local ??= local;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  subscribed(): void {}

  unsubscribed(): void {}

  connected(sub: PresenceConnection): Promise<number> {
    return Promise.resolve(this.userConnections(sub.devId, sub.userId));
  }

  disconnected(sub: PresenceConnection): Promise<number> {
    return Promise.resolve(this.userConnections(sub.devId, sub.userId));
  }

  subscriberCount(devId: number, pipe: string): Promise<number> {
    return Promise.resolve(this.state.countSubscribers(devId, pipe));
  }

  subscribers(devId: number, pipe: string): Promise<PresenceEntry[]> {
    return Promise.resolve(this.state.subscribersOf(devId, pipe).map(entryOf));
  }

  isOnline(devId: number, userId: number): Promise<boolean> {
    return Promise.resolve(this.state.isOnline(devId, userId));
  }

  lastSeen(devId: number, userId: number): Promise<number | undefined> {
    return Promise.resolve(this.state.lastSeenOf(devId, userId));
  }

  connectionCount(devId: number): Promise<number> {
    return Promise.resolve(this.state.connectionCount(devId));
  }

  cometqlConnections(): Promise<number> {
    return Promise.resolve(this.state.cometqlConnections());
  }

  withUserLock<T>(devId: number, userId: number, fn: () => Promise<T>): Promise<T> {
    return this.chains.run(`${devId}:${userId}`, fn);
  }

  size(): PresenceSize {
    return { entries: 0, nodes: 1 };
  }

  nodes(): NodeSummary[] {
    return [{ ...this.state.nodeFigures(), id: "local", self: true, heartbeat: Date.now() }];
  }

  private get state(): LocalState {
    if (this.local === undefined) throw new Error("LocalPresence used before start()");
    return this.local;
  }

  private userConnections(devId: number, userId: number): number {
    return this.state.userConnectionCount(devId, userId);
  }
}
