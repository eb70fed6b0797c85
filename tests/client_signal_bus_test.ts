/**
 * The pub/sub helper behind `tabSignal` (docs/protocol/websocket.md §9.1).
 */
import assert from "node:assert/strict";
import { SignalBus } from "../client/src/signal_bus.ts";

Deno.test("signal bus: connect, emit with (param, signal, fromOtherTab), disconnect", () => {
  const bus = new SignalBus();
  const got: unknown[] = [];
  const slot = bus.connect("news", (param, signal, other) => got.push([param, signal, other]));
  bus.emit("news", 1);
  bus.emit("news", 2, true);
  bus.emit("other", 3);
  assert.deepEqual(got, [[1, "news", false], [2, "news", true]]);
  assert.equal(bus.disconnect(slot, "news"), true);
  assert.equal(bus.disconnect(slot, "news"), false);
  bus.emit("news", 4);
  assert.equal(got.length, 2);
  assert.equal(bus.has("news"), false);
});

Deno.test("signal bus: named slots replace each other; a slot may disconnect itself", () => {
  const bus = new SignalBus();
  const got: string[] = [];
  bus.connect("mine", "s", () => got.push("first"));
  bus.connect("mine", "s", () => got.push("second"));
  bus.connect("once", "s", () => {
    got.push("once");
    bus.disconnect("once", "s");
  });
  bus.emit("s");
  bus.emit("s");
  assert.deepEqual(got, ["second", "once", "second"]);
});

Deno.test("signal bus: a throwing slot does not stop the others", () => {
  const bus = new SignalBus();
  const got: string[] = [];
  const reported: unknown[] = [];
  const original = globalThis.reportError;
  globalThis.reportError = (e: unknown) => reported.push(e);
  try {
    bus.connect("s", () => {
      throw new Error("boom");
    });
    bus.connect("s", () => got.push("ok"));
    bus.emit("s");
  } finally {
    globalThis.reportError = original;
  }
  assert.deepEqual(got, ["ok"]);
  assert.equal((reported[0] as Error).message, "boom");
});

Deno.test("signal bus: state survives as JSON, with a fallback when unset", () => {
  const bus = new SignalBus();
  const key = "client_signal_bus_test";
  assert.equal(bus.getState("client_signal_bus_test_never_set", "none"), "none");
  bus.setState(key, { a: 0 });
  bus.setState(key, { a: 1 });
  assert.deepEqual(bus.getState(key), { a: 1 });
  assert.deepEqual(new SignalBus().getState(key), { a: 1 }); // shared, not per instance
});

Deno.test("signal bus: emitAll reaches another tab's bus over BroadcastChannel", async () => {
  const here = new SignalBus(true);
  const there = new SignalBus(true);
  try {
    const received = new Promise<unknown[]>((resolve) =>
      there.connect("hello", (param, signal, other) => resolve([param, signal, other]))
    );
    const local: unknown[] = [];
    here.connect("hello", (param, _signal, other) => local.push([param, other]));
    here.emitAll("hello", { n: 1 });
    assert.deepEqual(local, [[{ n: 1 }, false]]);
    assert.deepEqual(await received, [{ n: 1 }, "hello", true]);
  } finally {
    here.close();
    there.close();
  }
});
