/** Messages per pipe for the dashboard: one-second windows, busiest first, bounded in pipes. */
import { PipeTraffic, TRAFFIC_WINDOWS } from "../src/core/pipe_traffic.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("busiest pipes: per-second rates over the closed windows, busiest first", () => {
  const traffic = new PipeTraffic();
  for (let i = 0; i < 30; i++) traffic.count("0:news");
  for (let i = 0; i < 10; i++) traffic.count("3:chat");
  assertEquals(traffic.busiest(5), [], "the open window is not reported yet");
  traffic.rotate();
  traffic.count("0:news");
  traffic.rotate();
  assertEquals(traffic.busiest(5), [
    { devId: 0, pipe: "news", perSecond: 15.5 },
    { devId: 3, pipe: "chat", perSecond: 5 },
  ]);
  assertEquals(traffic.busiest(1).length, 1);
});

Deno.test("windows older than the kept ones are forgotten", () => {
  const traffic = new PipeTraffic();
  traffic.count("0:old_pipe");
  traffic.rotate();
  for (let i = 0; i < TRAFFIC_WINDOWS; i++) {
    traffic.count("0:new_pipe");
    traffic.rotate();
  }
  assertEquals(traffic.busiest(5), [{ devId: 0, pipe: "new_pipe", perSecond: 1 }]);
});

Deno.test("a window holds at most maxPipes pipes; the rest is counted as uncounted", () => {
  const traffic = new PipeTraffic(2);
  for (const key of ["0:a_pipe", "0:b_pipe", "0:c_pipe", "0:a_pipe", "0:d_pipe"]) {
    traffic.count(key);
  }
  traffic.rotate();
  assertEquals(traffic.uncounted, 2);
  assertEquals(traffic.busiest(5).map((p) => p.pipe), ["a_pipe", "b_pipe"]);
});
