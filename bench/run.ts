/**
 * `deno task bench`: the user benchmark, sized for a laptop. Starts the server (a child process,
 * fresh temp storage, loopback only), opens N WebSocket subscribers on one pipe, publishes over
 * CometQL for a few seconds and prints delivered frames/s, publish → delivery latency
 * percentiles, server CPU per frame and server RSS per idle connection. Bounded in count and
 * time; pins server and clients to CPUs 0 and 1 when `taskset` exists.
 *
 *   deno run -A bench/run.ts [--subs=1000] [--seconds=5] [--publishers=4] [--rate=0] [--size=100]
 *       [--no-pin]
 *
 * `--rate=0` publishes as fast as the server answers (throughput); a fixed `--rate` (messages/s
 * in total) shows latency below saturation. The work is done by bench/ws_fanout_bench.ts; the
 * reference figures for this server are measured with `wsload` (docs/benchmarks.md §2) (README,
 * Performance).
 */
import "./ws_fanout_bench.ts";
