/**
 * Times every storage operation for `/metrics` without the drivers knowing about metrics: the
 * server hands the core this decorator instead of the driver itself. Each operation calls the
 * driver's method at call time (tests may replace one on the driver) and on the driver, so
 * drivers with #private fields keep working. Synchronous members (`isAvailable`, `description`)
 * pass through untimed.
 */
import type { HistoryEntry, PipeSetting, QueuedMessage, Storage } from "../storage/storage.ts";

/** `record(ms, failed)` is called once per settled storage promise. */
export type StorageTiming = (ms: number, failed: boolean) => void;

export function measureStorage(storage: Storage, record: StorageTiming): Storage {
  return new MeasuredStorage(storage, record);
}

export class MeasuredStorage implements Storage {
  constructor(private readonly storage: Storage, private readonly record: StorageTiming) {}

  get description(): string {
    return this.storage.description;
  }

  isAvailable(): boolean {
    return this.storage.isAvailable();
  }

  open(): Promise<void> {
    return this.timed(performance.now(), this.storage.open());
  }

  close(): Promise<void> {
    return this.timed(performance.now(), this.storage.close());
  }

  getAuthHash(devId: number, userId: number): Promise<string | null> {
    return this.timed(performance.now(), this.storage.getAuthHash(devId, userId));
  }

  setAuthHash(devId: number, userId: number, hash: string): Promise<void> {
    return this.timed(performance.now(), this.storage.setAuthHash(devId, userId, hash));
  }

  deleteAuthHash(devId: number, userId: number): Promise<void> {
    return this.timed(performance.now(), this.storage.deleteAuthHash(devId, userId));
  }

  getUserData(devId: number, userId: number): Promise<string | null> {
    return this.timed(performance.now(), this.storage.getUserData(devId, userId));
  }

  setUserData(devId: number, userId: number, data: string): Promise<void> {
    return this.timed(performance.now(), this.storage.setUserData(devId, userId, data));
  }

  deleteUserData(devId: number, userId: number): Promise<void> {
    return this.timed(performance.now(), this.storage.deleteUserData(devId, userId));
  }

  getUserTime(devId: number, userId: number): Promise<number | null> {
    return this.timed(performance.now(), this.storage.getUserTime(devId, userId));
  }

  setUserTime(devId: number, userId: number, time: number): Promise<void> {
    return this.timed(performance.now(), this.storage.setUserTime(devId, userId, time));
  }

  listPipeSettings(): Promise<PipeSetting[]> {
    return this.timed(performance.now(), this.storage.listPipeSettings());
  }

  setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    return this.timed(performance.now(), this.storage.setPipeLength(devId, pipe, length));
  }

  deletePipeSettings(devId: number, pipe: string): Promise<void> {
    return this.timed(performance.now(), this.storage.deletePipeSettings(devId, pipe));
  }

  appendHistory(
    entries: HistoryEntry[],
    keepOf: (devId: number, pipe: string) => number,
  ): Promise<void> {
    return this.timed(performance.now(), this.storage.appendHistory(entries, keepOf));
  }

  readHistory(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]> {
    return this.timed(performance.now(), this.storage.readHistory(devId, pipe, limit));
  }

  deleteHistory(devId: number, pipe: string): Promise<void> {
    return this.timed(performance.now(), this.storage.deleteHistory(devId, pipe));
  }

  deleteHistoryMessage(devId: number, id: string): Promise<void> {
    return this.timed(performance.now(), this.storage.deleteHistoryMessage(devId, id));
  }

  enqueuePrivate(message: QueuedMessage): Promise<void> {
    return this.timed(performance.now(), this.storage.enqueuePrivate(message));
  }

  readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]> {
    return this.timed(performance.now(), this.storage.readQueue(devId, userId, limit));
  }

  deleteQueued(devId: number, ids: string[]): Promise<void> {
    return this.timed(performance.now(), this.storage.deleteQueued(devId, ids));
  }

  clearQueue(devId: number, userId: number): Promise<void> {
    return this.timed(performance.now(), this.storage.clearQueue(devId, userId));
  }

  revokeToken(devId: number, token: string): Promise<void> {
    return this.timed(performance.now(), this.storage.revokeToken(devId, token));
  }

  unrevokeToken(devId: number, token: string): Promise<void> {
    return this.timed(performance.now(), this.storage.unrevokeToken(devId, token));
  }

  isTokenRevoked(devId: number, token: string): Promise<boolean> {
    return this.timed(performance.now(), this.storage.isTokenRevoked(devId, token));
  }

  listRevokedTokens(devId: number): Promise<string[]> {
    return this.timed(performance.now(), this.storage.listRevokedTokens(devId));
  }

  purgeExpired(now: number): Promise<void> {
    return this.timed(performance.now(), this.storage.purgeExpired(now));
  }

  /**
   * Records the operation's duration and outcome once it settles; the result is unchanged.
   * Callers pass `performance.now()` first: arguments are evaluated left to right, so `started`
   * is read before the driver is called.
   */
  private timed<T>(started: number, operation: Promise<T>): Promise<T> {
    return operation.then(
      (value) => {
        this.record(performance.now() - started, false);
        return value;
      },
      (error) => {
        this.record(performance.now() - started, true);
        throw error;
      },
    );
  }
}
