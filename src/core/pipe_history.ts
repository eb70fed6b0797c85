/**
 * Pipe history (docs/protocol/websocket.md §7, docs/protocol/cometql.md §7.1, §7.4): which pipes
 * keep messages, and the batched writer that stores them off the delivery path. A publish only
 * appends to an in-memory batch; the batch is written within `historyFlushMs`, and `flush()`
 * (graceful shutdown, reads) waits for everything pending.
 *
 * With `[retention] history_sync` a CometQL publish also calls `storeSoon`: the entry is written
 * at the end of the current event-loop turn (together with whatever else was recorded in it) and
 * the publisher is answered once it is stored (issue 13, point 2).
 */
import { newMessageId } from "./message_id.ts";
import type { Logger } from "../log.ts";
import type { HistoryEntry, Storage } from "../storage/storage.ts";

/** Largest history length a pipe can be given (docs/protocol/cometql.md §7.4). */
export const MAX_PIPE_LENGTH = 1000;
const SETTINGS_RETRY_MS = 2000;

export class PipeHistory {
  /** `${devId}:${pipe}` → length from pipes_settings. */
  private settings = new Map<string, number>();
  private pending: HistoryEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The write that `storeSoon` callers of this turn wait for, until it starts. */
  private turnWrite: Promise<void> | undefined;
  /** Entries handed to storage whose write has not settled yet. */
  private inFlight = 0;
  private settingsRetry: ReturnType<typeof setInterval> | undefined;

  constructor(
    private storage: Storage,
    private log: Logger,
    private flushMs: number,
    private trustLength: number,
    private onError: () => void,
  ) {}

  /** Loads every pipe setting into memory; publishes then never read settings from storage. */
  async load(): Promise<void> {
    const settings = new Map<string, number>();
    for (const s of await this.storage.listPipeSettings()) {
      settings.set(`${s.devId}:${s.pipe}`, s.length);
    }
    this.settings = settings;
  }

  /**
   * `load` at start. With the backend unavailable (MySQL down at start) it retries in the
   * background until the load succeeds (or `stopRetrying`); live delivery works meanwhile.
   */
  async loadOrRetry(): Promise<void> {
    try {
      await this.load();
    } catch (e) {
      this.log.error("core", `pipe settings not loaded yet (retrying every 2 s): ${e}`);
      this.settingsRetry = setInterval(() => {
        this.load().then(() => {
          clearInterval(this.settingsRetry);
          this.settingsRetry = undefined;
          this.log.info("core", "pipe settings loaded");
        }, () => {/* still unavailable: the next tick tries again */});
      }, SETTINGS_RETRY_MS);
    }
  }

  /** Ends the background retry of `loadOrRetry` (shutdown). */
  stopRetrying(): void {
    clearInterval(this.settingsRetry);
  }

  /** Another node changed the pipe's settings (null: deleted); storage is already up to date. */
  applyLength(devId: number, pipe: string, length: number | null): void {
    if (length === null) this.settings.delete(`${devId}:${pipe}`);
    else this.settings.set(`${devId}:${pipe}`, length);
  }

  /** The pipes_settings length, or undefined when the pipe has no settings row. */
  length(devId: number, pipe: string): number | undefined {
    return this.settings.get(`${devId}:${pipe}`);
  }

  /** How many messages the pipe keeps: `trust_*` always (bounded by retention), else settings. */
  keep = (devId: number, pipe: string): number => {
    if (pipe.startsWith("trust_")) return this.trustLength;
    return this.settings.get(`${devId}:${pipe}`) ?? 0;
  };

  async setLength(devId: number, pipe: string, length: number): Promise<void> {
    await this.storage.setPipeLength(devId, pipe, length);
    this.settings.set(`${devId}:${pipe}`, length);
  }

  async deleteSettings(devId: number, pipe: string): Promise<void> {
    await this.flush();
    await this.storage.deletePipeSettings(devId, pipe);
    this.settings.delete(`${devId}:${pipe}`);
  }

  /** Called on every publish; stores nothing for pipes without history. */
  record(devId: number, pipe: string, event: string, message: string, userId: number): void {
    if (this.keep(devId, pipe) <= 0) return;
    this.pending.push({
      id: newMessageId(),
      devId,
      pipe,
      event: event === "" ? "undefined" : event,
      message,
      userId,
      time: Math.floor(Date.now() / 1000),
    });
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, this.flushMs);
    }
  }

  /**
   * Writes what is recorded so far at the end of the current turn (with whatever else is recorded
   * in it) and resolves once it is stored; rejects with the storage error (`history_sync`).
   */
  storeSoon(): Promise<void> {
    this.turnWrite ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
      this.turnWrite = undefined;
      return this.write();
    });
    return this.turnWrite;
  }

  /** History entries accepted but not yet written (waiting for the batch, or being written). */
  get pendingWrites(): number {
    return this.pending.length + this.inFlight;
  }

  /** Waits until everything recorded so far is stored. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.write();
    await this.writing;
  }

  async read(devId: number, pipe: string, limit: number): Promise<HistoryEntry[]> {
    await this.flush();
    return this.storage.readHistory(devId, pipe, limit);
  }

  /**
   * Chains one storage write of the current batch after the previous one (keeps order); returns
   * that write (rejecting on failure, which is also counted and logged here).
   */
  private write(): Promise<void> {
    if (this.pending.length === 0) return this.writing;
    const batch = this.pending;
    this.pending = [];
    this.inFlight += batch.length;
    const stored = this.writing.then(() => this.storage.appendHistory(batch, this.keep))
      .finally(() => this.inFlight -= batch.length);
    this.writing = stored.catch((e) => {
      this.onError();
      this.log.error("storage", `history write of ${batch.length} messages failed: ${e}`);
    });
    return stored;
  }
}
