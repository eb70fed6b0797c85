/** The Broker conformance suite against the in-process hub (several nodes in this process). */
import assert from "node:assert/strict";
import { LocalBroker, LocalBrokerHub } from "../src/cluster/local_broker.ts";
import { brokerConformance } from "./broker_conformance.ts";

brokerConformance("local", () => {
  const hub = new LocalBrokerHub();
  return Promise.resolve({ node: () => new LocalBroker(hub), destroy: () => Promise.resolve() });
});

Deno.test("a local broker alone on its own hub is not shared (single node: no publishing)", () => {
  assert.equal(new LocalBroker().shared, false);
});
