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
    const started = performance.now();
    return this.timed(started, this.storage.open());
  }

  close(): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.close());
  }

  getAuthHash(devId: number, userId: number): Promise<string | null> {
    const started = performance.now();
    return this.timed(started, this.storage.getAuthHash(devId, userId));
  }

  setAuthHash(devId: number, userId: number, hash: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.setAuthHash(devId, userId, hash));
  }

  deleteAuthHash(devId: number, userId: number): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.deleteAuthHash(devId, userId));
  }

  getUserData(devId: number, userId: number): Promise<string | null> {
    const started = performance.now();
    return this.timed(started, this.storage.getUserData(devId, userId));
  }

  setUserData(devId: number, userId: number, data: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.setUserData(devId, userId, data));
  }

  deleteUserData(devId: number, userId: number): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.deleteUserData(devId, userId));
  }

  getUserTime(devId: number, userId: number): Promise<number | null> {
    const started = performance.now();
    return this.timed(started, this.storage.getUserTime(devId, userId));
  }

  setUserTime(devId: number, userId: number, time: number): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.setUserTime(devId, userId, time));
  }

  listPipeSettings(): Promise<PipeSetting[]> {
    const started = performance.now();
    return this.timed(started, this.storage.listPipeSettings());
  }

  setPipeLength(devId: number, pipe: string, length: number): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.setPipeLength(devId, pipe, length));
  }

  deletePipeSettings(devId: number, pipe: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.deletePipeSettings(devId, pipe));
  }

  appendHistory(
    entries: HistoryEntry[],
    keepOf: (devId: number, pipe: string) => number,
  ): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.appendHistory(entries, keepOf));
  }

  readHistory(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]> {
    const started = performance.now();
    return this.timed(started, this.storage.readHistory(devId, pipe, limit));
  }

  deleteHistory(devId: number, pipe: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.deleteHistory(devId, pipe));
  }

  deleteHistoryMessage(devId: number, id: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.deleteHistoryMessage(devId, id));
  }

  enqueuePrivate(message: QueuedMessage): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.enqueuePrivate(message));
  }

  readQueue(devId: number, userId: number, limit: number): Promise<QueuedMessage[]> {
    const started = performance.now();
    return this.timed(started, this.storage.readQueue(devId, userId, limit));
  }

  deleteQueued(devId: number, ids: string[]): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.deleteQueued(devId, ids));
  }

  clearQueue(devId: number, userId: number): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.clearQueue(devId, userId));
  }

  revokeToken(devId: number, token: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.revokeToken(devId, token));
  }

  unrevokeToken(devId: number, token: string): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.unrevokeToken(devId, token));
  }

  isTokenRevoked(devId: number, token: string): Promise<boolean> {
    const started = performance.now();
    return this.timed(started, this.storage.isTokenRevoked(devId, token));
  }

  listRevokedTokens(devId: number): Promise<string[]> {
    const started = performance.now();
    return this.timed(started, this.storage.listRevokedTokens(devId));
  }

  purgeExpired(now: number): Promise<void> {
    const started = performance.now();
    return this.timed(started, this.storage.purgeExpired(now));
  }

  /** Records the operation's duration and outcome once it settles; the result is unchanged. */
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
