/// <reference lib="dom" />
/**
 * Requests whose replies come back carrying our marker (docs/protocol/websocket.md §3.3–§3.6). The
 * dispatcher is told which markers are ours, since the tabs sharing a socket all see every reply.
 */
import type { CometCallback, CometEvent } from "./public_types.ts";
import type { MessageDispatcher } from "./message_dispatcher.ts";
import type { SignalBus } from "./signal_bus.ts";
import { newMarker } from "./random_ids.ts";
import { log } from "./console_log.ts";

/** How long replies are accepted (a request may wait in the queue while offline). */
const REPLY_TTL_MS = 5 * 60_000;

export class ReplyRequests {
  constructor(
    private readonly bus: SignalBus,
    private readonly dispatcher: MessageDispatcher,
    private readonly send: (command: string) => void,
  ) {}

  /**
   * Sends `build(marker)`; `callback` gets exactly one reply, its data passed through `transform`.
   * False (and nothing sent) without a callback: the reply would have nowhere to go.
   */
  once<T>(
    build: (marker: string) => string,
    callback: CometCallback<T>,
    transform: (data: unknown) => unknown = (d) => d,
  ): boolean {
    if (typeof callback !== "function") {
      log.error("a callback is required");
      return false;
    }
    const marker = newMarker();
    this.dispatcher.expectReplies(marker, REPLY_TTL_MS);
    const expire = setTimeout(() => this.bus.disconnect(slot, marker), REPLY_TTL_MS);
    const slot = this.bus.connect(marker, (param, signal, fromOtherTab) => {
      clearTimeout(expire);
      this.bus.disconnect(slot, marker);
      this.dispatcher.forgetMarker(marker); // Copies from other nodes are dropped.
      const event = param as CometEvent;
      callback({ ...event, data: transform(event.data) } as CometEvent<T>, signal, fromOtherTab);
    });
    this.send(build(marker));
    return true;
  }

  /**
   * Sends `build(marker)` and accepts every reply with that marker for a while: history comes as
   * any number of frames, delivered to the pipe's subscribers.
   */
  many(build: (marker: string) => string): void {
    const marker = newMarker();
    this.dispatcher.expectReplies(marker, REPLY_TTL_MS);
    this.send(build(marker));
  }
}
