/**
 * The rule that splits the tests into the unit set (`deno task test:unit`, seconds, only Deno) and
 * the integration set (tools/test_sets.ts): by what a file calls, so new files need no listing.
 */
import { INTEGRATION_MARKERS, testFiles, testSetOf } from "../tools/test_sets.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const TESTS = new URL(".", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("a file that starts the server or a program is an integration test", () => {
  for (const marker of INTEGRATION_MARKERS) {
    assertEquals(testSetOf(`const x = await ${marker}foo();`), "integration", marker);
  }
  assertEquals(testSetOf(`import { fakeSubscriber } from "./helpers/fake_subscriber.ts";`), "unit");
});

Deno.test("every test file is in exactly one set; the core tests are unit tests", async () => {
  const unit = await testFiles(TESTS, "unit");
  const integration = await testFiles(TESTS, "integration");
  const all: string[] = [];
  for await (const e of Deno.readDir(TESTS)) {
    if (e.isFile && e.name.endsWith("_test.ts")) all.push(`${TESTS}/${e.name}`);
  }
  assertEquals([...unit, ...integration].sort(), all.sort());
  const names = (files: string[]) => files.map((f) => f.slice(TESTS.length + 1));
  for (const core of names(all).filter((n) => n.startsWith("core_"))) {
    assert(names(unit).includes(core), `${core} must not need a server`);
  }
  for (const n of ["browser_client_test.ts", "storage_mysql_test.ts", "tutorial_php_test.ts"]) {
    assert(names(integration).includes(n), n);
  }
  // They start the server through tests/helpers/cometql_session.ts, not by a marker of their own.
  const cometqlTables = names(all).filter((n) => n.startsWith("cometql_table_"));
  assert(cometqlTables.length >= 7, cometqlTables.join());
  for (const n of [...cometqlTables, "cometql_errors_test.ts"]) {
    assert(names(integration).includes(n), `${n} starts the server: integration`);
  }
});
