/** The Presence conformance suite against the local driver (one node is the whole cluster). */
import { LocalPresence } from "../src/cluster/local_presence.ts";
import { presenceConformance } from "./presence_conformance.ts";

presenceConformance("local", () =>
  Promise.resolve({
    presence: () => new LocalPresence(),
    shared: false,
    destroy: () => Promise.resolve(),
  }));
