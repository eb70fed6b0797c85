/**
 * Backpressure from delivery to publishing. A transport that writes fan-outs in the background
 * (the WebSocket flush scheduler) raises it while more messages wait for their writes than it
 * wants to pack into one pass; publishers (CometQL connections) then take no new command until it
 * is lowered. Without it a publisher that is answered before delivery finishes could queue
 * messages faster than they can be written (see src/ws/flush_scheduler.ts).
 *
 * One per process, like the event loop it describes.
 */

let high = false;
let waiters: (() => void)[] = [];

/** True while publishers should wait. */
export function deliveryBacklogged(): boolean {
  return high;
}

/** Resolves once the backlog is cleared (at once when there is none). */
export function whenDeliveryCleared(): Promise<void> {
  if (!high) return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}

/** Raised by a transport when its pending deliveries pass its limit. */
export function raiseDeliveryBacklog(): void {
  high = true;
}

/** Lowered by the transport when the pending deliveries are written; wakes the publishers. */
export function clearDeliveryBacklog(): void {
  if (!high) return;
  high = false;
  const woken = waiters;
  waiters = [];
  for (const wake of woken) wake();
}
