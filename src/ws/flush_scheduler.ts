/**
 * Writes the connections' queued frames (the fan-out hot path): one scheduler for all connections,
 * no per-connection timers, at most one write per connection per pass.
 *
 * A socket write costs ~10 µs on this machine class whatever its size (kernel loopback path,
 * measured with `perf` in Deno 2.9: 80 % of it in `sendto`), so frames/s is set by how many
 * frames share a write. A pass therefore runs in slices of SLICE_MS: between slices the event loop
 * reads more INSERTs, and their frames join the batches of connections still waiting in this pass
 * (a connection with a backlog gets several frames per write). A message to 1 000 subscribers is
 * still written within one pass; its publisher is answered once the fan-out has been queued.
 *
 * Past MAX_PASS_MESSAGES waiting messages the scheduler raises the delivery backlog
 * (core/delivery_pressure.ts) so publishers wait for the pass to finish: memory and latency stay
 * bounded under any publish rate.
 *
 * It also feeds the publish → written latency histogram once per message (not per frame), when
 * the pass that wrote it is done.
 *
 * The state is module-global on purpose: a pass is a turn of the one event loop, and every
 * listener in the process (tests run several servers) must share it, or their writes would not
 * be packed together nor the backlog measured as a whole. Nothing node-specific is kept here:
 * each waiting message carries its own NodeStats.
 */
import dgram from "node:dgram";
import { clearDeliveryBacklog, raiseDeliveryBacklog } from "../core/delivery_pressure.ts";
import type { NodeStats } from "../core/node_stats.ts";
import type { Outbound } from "../core/outbound.ts";

export interface Flushable {
  flush(): void;
}

/** Longest run of writes before the event loop gets a turn (reads, INSERTs, timers). */
const SLICE_MS = 1;
/** Messages waiting in one pass before publishers are held back. */
const MAX_PASS_MESSAGES = 32;

let queue: Flushable[] = [];
let next = 0;
let messages: Outbound[] = [];
let messageStats: NodeStats[] = [];
let scheduled = false;

/** `target.flush()` runs in the current or next pass (once; its frames are batched till then). */
export function scheduleFlush(target: Flushable): void {
  queue.push(target);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushSlice);
  }
}

/** Records `message`'s publish → written latency when its pass is done. */
export function observeWhenWritten(message: Outbound, stats: NodeStats): void {
  messages.push(message);
  messageStats.push(stats);
  if (messages.length >= MAX_PASS_MESSAGES) raiseDeliveryBacklog();
}

/**
 * The next slice runs after the event loop has polled its sockets. setImmediate runs first
 * (Deno runs an immediate queued by an immediate before it polls sockets again), setTimeout(0)
 * costs ~2 ms per hop, a MessageChannel hop does not make the runtime poll sockets. A datagram
 * to ourselves does: the runtime learns of it from the same epoll that reports the publishers'
 * INSERTs (~20 µs per hop). The socket exists only while a pass runs, so an idle server holds
 * no pending I/O.
 */
let sliceSocket: dgram.Socket | null = null;
let slicePort = 0;
const HOP = new Uint8Array(1);

/** In case a hop datagram is lost: the pass continues after this long anyway. */
const HOP_FALLBACK_MS = 20;
let hopFallback: ReturnType<typeof setTimeout> | undefined;

function nextSlice(): void {
  clearTimeout(hopFallback);
  hopFallback = setTimeout(flushSlice, HOP_FALLBACK_MS);
  if (sliceSocket === null) {
    const socket = dgram.createSocket("udp4");
    sliceSocket = socket;
    socket.on("message", flushSlice);
    socket.bind(0, "127.0.0.1", () => {
      slicePort = socket.address().port;
      socket.send(HOP, slicePort, "127.0.0.1");
    });
    return;
  }
  if (slicePort !== 0) sliceSocket.send(HOP, slicePort, "127.0.0.1");
}

function closeSliceSocket(): void {
  clearTimeout(hopFallback);
  hopFallback = undefined;
  if (sliceSocket === null) return;
  sliceSocket.close();
  sliceSocket = null;
  slicePort = 0;
}

function flushSlice(): void {
  if (!scheduled) return; // a late hop datagram after its pass was finished
  scheduled = false;
  const deadline = performance.now() + SLICE_MS;
  const targets = queue;
  let i = next;
  while (i < targets.length) {
    targets[i++].flush();
    if ((i & 15) === 0 && performance.now() > deadline) break;
  }
  if (i < targets.length) {
    next = i;
    scheduled = true;
    nextSlice();
    return;
  }
  closeSliceSocket();
  queue = [];
  next = 0;
  const written = messages;
  const stats = messageStats;
  messages = [];
  messageStats = [];
  if (written.length > 0) {
    const now = performance.now();
    for (let k = 0; k < written.length; k++) {
      stats[k].observeDeliveryLatency(now - written[k].createdAt);
    }
  }
  clearDeliveryBacklog();
}
