/// <reference lib="dom" />
/**
 * The pub/sub helper behind `tabSignal` and every instance's private dispatch
 * (docs/protocol/websocket.md §9.1). Signals are plain strings (a pipe, `pipe.event`, a marker,
 * `comet_server_msg`); slots are named so a subscription id can find its slot again.
 */
import type { SignalCallback, TabSignal } from "./public_types.ts";
import { callSafely } from "./console_log.ts";
import { readShared, writeShared } from "./browser_storage.ts";

/** Channel that carries `emitAll` to the other tabs of the browser. */
const CROSS_TAB_CHANNEL = "tabSignal";

interface CrossTabEmit {
  signal: string;
  param: unknown;
}

export class SignalBus implements TabSignal {
  private readonly slots = new Map<string, Map<string, SignalCallback>>();
  private nextSlot = 0;
  private channel: BroadcastChannel | undefined;

  /**
   * @param crossTab whether `emitAll` reaches other tabs (only the global `tabSignal` does; the
   * instances' private buses are per tab by design).
   */
  constructor(private readonly crossTab = false) {}

  connect(signal: string, callback: SignalCallback): string;
  connect(slotName: string, signal: string, callback: SignalCallback): string;
  connect(a: string, b: string | SignalCallback, c?: SignalCallback): string {
    const [slotName, signal, callback] = typeof b === "function"
      ? [`slot${++this.nextSlot}`, a, b]
      : [a, b, c];
    if (typeof callback !== "function") throw new TypeError("tabSignal.connect needs a function");
    let bySlot = this.slots.get(signal);
    if (!bySlot) this.slots.set(signal, bySlot = new Map());
    bySlot.set(slotName, callback);
    if (this.crossTab) this.openChannel();
    return slotName;
  }

  disconnect(slotName: string, signal: string): boolean {
    const bySlot = this.slots.get(signal);
    if (!bySlot?.delete(slotName)) return false;
    if (bySlot.size === 0) this.slots.delete(signal);
    return true;
  }

  /** True when at least one slot listens to `signal`. */
  has(signal: string): boolean {
    return this.slots.has(signal);
  }

  emit(signal: string, param?: unknown, fromOtherTab = false): void {
    const bySlot = this.slots.get(signal);
    if (!bySlot) return;
    // A slot may disconnect itself or others (one-shot replies): iterate over a snapshot.
    for (const callback of [...bySlot.values()]) {
      callSafely(() => callback(param, signal, fromOtherTab));
    }
  }

  emitAll(signal: string, param?: unknown): void {
    this.emit(signal, param, false);
    if (!this.crossTab) return;
    this.openChannel()?.postMessage({ signal, param } satisfies CrossTabEmit);
  }

  setState(name: string, value: unknown): void {
    writeShared(`tabSignal_${name}`, JSON.stringify(value ?? null));
  }

  getState<T = unknown>(name: string, fallback?: T): T {
    const text = readShared(`tabSignal_${name}`);
    if (text === null) return fallback as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      // Written by something else than setState: hand back the raw text.
      return text as T;
    }
  }

  /** Stops listening to other tabs (tests; pages simply unload). */
  close(): void {
    this.channel?.close();
    this.channel = undefined;
  }

  private openChannel(): BroadcastChannel | undefined {
    if (this.channel || typeof BroadcastChannel !== "function") return this.channel;
    this.channel = new BroadcastChannel(CROSS_TAB_CHANNEL);
    this.channel.onmessage = (e: MessageEvent<CrossTabEmit>) => {
      if (typeof e.data?.signal === "string") this.emit(e.data.signal, e.data.param, true);
    };
    return this.channel;
  }
}
