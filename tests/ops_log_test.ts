/**
 * Log lines (docs/protocol/cometql.md §10.2 `[log]`): one line per event with a timestamp, level
 * and tag; an event is written when both the global and its tag's level allow it; 600 ignores tags.
 */
import { Logger } from "../src/log.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

function capture(level: number, tags: Record<string, number> = {}) {
  const lines: string[] = [];
  return { log: new Logger(level, tags, (l) => lines.push(l)), lines };
}

Deno.test("one timestamped line per event, even when the text has newlines", () => {
  const { log, lines } = capture(400);
  log.warn("cometql", "first\nsecond\r\nthird");
  assertEquals(lines.length, 1);
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN \[cometql\] first \| second \| third$/,
  );
});

Deno.test("global and per-tag levels both filter; global 600 ignores tags", () => {
  const { log, lines } = capture(400, { ws: 200 });
  log.info("ws", "hidden by the ws tag level");
  log.error("ws", "shown");
  log.info("core", "shown: no tag level for core");
  log.debug("core", "hidden by the global level");
  assertEquals(lines.map((l) => l.replace(/^\S+ /, "")), [
    "ERROR [ws] shown",
    "INFO [core] shown: no tag level for core",
  ]);
  const all = capture(600, { ws: 0 });
  all.log.debug("ws", "everything");
  assertEquals(all.lines.length, 1);
});

Deno.test("levels change at run time (SIGHUP reload)", () => {
  const { log, lines } = capture(200);
  log.info("main", "before");
  log.setLevels(400, { main: 300 });
  log.info("main", "still hidden by the tag");
  log.info("config", "after");
  assertEquals(lines.length, 1);
  assert.match(lines[0], /INFO \[config\] after$/);
});
