/// <reference lib="dom" />
/**
 * Delivers decoded messages to one instance's subscribers (docs/protocol/websocket.md §9.5, §9.6):
 * duplicate suppression, the marker rule, then the signals of `signalsOf`.
 */
import type { SignalBus } from "./signal_bus.ts";
import { type ServerMessage, signalsOf, toCometEvent } from "./message_decoder.ts";

/** Seen uuids are forgotten after this long, as in the original (§9.6). */
const DEDUP_MEMORY_MS = 180_000;

export class MessageDispatcher {
  private seen = new Set<string>();
  private seenSince: number;
  /** Markers of requests this instance sent → when they stop being accepted (ms). */
  private readonly markers = new Map<string, number>();

  constructor(private readonly bus: SignalBus, private readonly now: () => number = Date.now) {
    this.seenSince = now();
  }

  /**
   * Accepts replies carrying `marker` for `ttlMs`. Replies to requests of other instances (other
   * tabs share our socket and see them too) are not ours to deliver.
   */
  expectReplies(marker: string, ttlMs: number): void {
    this.markers.set(marker, this.now() + ttlMs);
  }

  /**
   * Stops accepting a marker, e.g. after a one-shot reply (other nodes' copies are then dropped).
   */
  forgetMarker(marker: string): void {
    this.markers.delete(marker);
  }

  /**
   * Delivers one message; returns false when it was dropped (duplicate or someone else's reply).
   */
  dispatch(msg: ServerMessage, fromOtherTab: boolean): boolean {
    if (typeof msg.marker === "string" && msg.marker !== "" && !this.ownsMarker(msg.marker)) {
      return false;
    }
    const event = toCometEvent(msg);
    if (!this.isFirstDelivery(event.server_info.uuid, event)) return false;
    for (const signal of signalsOf(msg)) this.bus.emit(signal, event, fromOtherTab);
    return true;
  }

  private ownsMarker(marker: string): boolean {
    const until = this.markers.get(marker);
    if (until === undefined) return false;
    if (until >= this.now()) return true;
    this.markers.delete(marker);
    return false;
  }

  /**
   * Duplicate suppression of §9.6: by top-level `uuid`, and by the `_cometApi_uuid` key that
   * `multi_web_pipe_send` adds to object bodies (removed before delivery, without mutating the
   * message, which may be shared with other tabs).
   */
  private isFirstDelivery(uuid: string | undefined, event: { data: unknown }): boolean {
    const now = this.now();
    if (now - this.seenSince > DEDUP_MEMORY_MS) {
      this.seen = new Set();
      this.seenSince = now;
    }
    if (uuid !== undefined) {
      if (this.seen.has(uuid)) return false;
      this.seen.add(uuid);
    }
    const data = event.data;
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      const { _cometApi_uuid: senderUuid, ...rest } = data as Record<string, unknown>;
      if (typeof senderUuid === "string") {
        if (this.seen.has(senderUuid)) return false;
        this.seen.add(senderUuid);
        event.data = rest;
      }
    }
    return true;
  }
}
