/**
 * The seam between transports and the core (style.md "Data should flow one way"): the browser
 * port and CometQL reach storage and the cluster engines only through `CometNode`'s narrowed
 * views (`ws/browser_node.ts`, `cometql/cometql_node.ts`), never by importing them. The core
 * knows no transport, and `CometNode` is its top: the parts it is made of (user connections,
 * subscriptions, private messages, …) get what they use passed in and never import it back.
 */
import assert from "node:assert/strict";

const SRC = new URL("../src/", import.meta.url);
const TRANSPORTS = ["ws", "cometql"];
const FORBIDDEN = /from\s+"(\.\.\/)+(storage|cluster)\//;

async function* tsFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* tsFiles(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("no transport module imports storage or cluster code", async () => {
  const offenders: string[] = [];
  let checked = 0;
  for (const transport of TRANSPORTS) {
    for await (const file of tsFiles(new URL(`${transport}/`, SRC))) {
      checked++;
      const text = await Deno.readTextFile(file);
      for (const line of text.split("\n")) {
        if (FORBIDDEN.test(line)) offenders.push(`${file.pathname}: ${line.trim()}`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} transport files found`);
  assert.deepEqual(offenders, []);
});

Deno.test("the transports' views of the core expose neither storage nor the engines", async () => {
  for (const view of ["ws/browser_node.ts", "cometql/cometql_node.ts"]) {
    const text = await Deno.readTextFile(new URL(view, SRC));
    assert.doesNotMatch(text, /"(storage|broker|presence)"/, view);
  }
});

Deno.test("the core imports no transport, and none of its parts imports the CometNode facade", async () => {
  const offenders: string[] = [];
  let checked = 0;
  for await (const file of tsFiles(new URL("core/", SRC))) {
    checked++;
    const text = await Deno.readTextFile(file);
    const facade = file.pathname.endsWith("/core/comet_node.ts");
    for (const line of text.split("\n")) {
      if (/from\s+"(\.\.\/)+(ws|cometql|admin|net|workers)\//.test(line)) {
        offenders.push(`${file.pathname}: ${line.trim()}`);
      }
      if (!facade && /from\s+"\.\/comet_node\.ts"/.test(line)) {
        offenders.push(`${file.pathname}: ${line.trim()}`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} core files found`);
  assert.deepEqual(offenders, []);
});
