/**
 * The supervisor of `[main] workers` (src/workers/worker_supervisor.ts) with stand-in workers
 * (`sh` scripts speaking the worker's side: the ready line on stdout, SIGTERM to stop): restart
 * backoff, a failed start, relayed and labelled output, exit codes of the stop.
 */
import { Logger } from "../src/log.ts";
import { WORKER_READY_LINE } from "../src/workers/worker_role.ts";
import { WorkerSupervisor } from "../src/workers/worker_supervisor.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { waitFor } from "./helpers/wait_for.ts";

function supervisor(script: string, count: number, more = {}) {
  const lines: string[] = [];
  const log = new Logger(500, {}, (line) => lines.push(line));
  const s = new WorkerSupervisor({
    count,
    command: { command: "sh", args: ["-c", script] },
    log,
    write: (line) => lines.push(line),
    restartDelayMs: 20,
    maxRestartDelayMs: 80,
    stopTimeoutMs: 2000,
    ...more,
  });
  return { s, lines };
}

Deno.test("a worker that keeps dying is restarted with a doubling delay, up to the cap", async () => {
  // Serves for 50 ms, then dies with code 3.
  const { s, lines } = supervisor(`echo ${WORKER_READY_LINE}; sleep 0.05; exit 3`, 1);
  await s.start();
  await waitFor(() => s.restarts >= 5, "five restarts", 10_000);
  await s.stop();
  const delays = lines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
  assertEquals(delays.slice(0, 5), [20, 40, 80, 80, 80]);
  assert.match(lines.join("\n"), /worker 0 \(pid \d+\) exited with code 3; restarting/);
  assert.match(lines.join("\n"), /worker 0 serving again \(pid \d+\)/);
});

Deno.test("a worker that served long enough restarts after the first delay again", async () => {
  const { s, lines } = supervisor(`echo ${WORKER_READY_LINE}; sleep 0.05; exit 3`, 1, {
    stableAfterMs: 0,
  });
  await s.start();
  await waitFor(() => s.restarts >= 3, "three restarts", 10_000);
  await s.stop();
  const delays = lines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
  assertEquals(delays.slice(0, 3), [20, 20, 20]);
});

Deno.test("a worker that exits before it serves fails the start, and the others are stopped", async () => {
  // Worker 0 serves until stopped; worker 1 dies at once.
  const script = `if [ "$COMET_WORKER" = 1 ]; then exit 1; fi
    trap 'exit 0' TERM; echo ${WORKER_READY_LINE}; while :; do sleep 0.01; done`;
  const { s } = supervisor(script, 2);
  await assert.rejects(() => s.start(), /worker 1 \(pid \d+\) exited with code 1 while starting/);
  assertEquals(s.pids(), [0, 0], "no worker left running");
});

Deno.test("output is relayed with the worker's label; a worker that fails its stop makes it 1", async () => {
  const script = `echo "2026-01-01T00:00:00.000Z INFO [ws] hello from $COMET_WORKER"; echo plain
    trap 'exit $((COMET_WORKER + 0))' TERM; echo ${WORKER_READY_LINE}; while :; do sleep 0.01; done`;
  const { s, lines } = supervisor(script, 2);
  await s.start();
  await waitFor(() => lines.filter((l) => l.includes("plain")).length === 2, "relayed", 10_000);
  assert.ok(lines.includes("2026-01-01T00:00:00.000Z INFO w0 [ws] hello from 0"), lines.join("\n"));
  assert.ok(lines.includes("2026-01-01T00:00:00.000Z INFO w1 [ws] hello from 1"));
  assert.ok(lines.includes("w1 plain"));
  assert.ok(!lines.some((l) => l.includes(WORKER_READY_LINE)), "the ready line is not relayed");
  assertEquals(await s.stop(), 1, "worker 1 stopped with code 1");
});

Deno.test("a worker that ignores SIGTERM is killed after the stop timeout", async () => {
  const script = `trap '' TERM; echo ${WORKER_READY_LINE}; while :; do sleep 0.01; done`;
  const { s, lines } = supervisor(script, 1, { stopTimeoutMs: 300 });
  await s.start();
  const started = Date.now();
  assertEquals(await s.stop(), 1);
  assert.ok(Date.now() - started < 2000);
  assert.match(lines.join("\n"), /did not stop within 300 ms; killing it/);
});
