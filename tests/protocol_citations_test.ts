/**
 * Every `§` citation in code and tests resolves to a numbered heading inside the repository
 * (docs/protocol/README.md §2). The repository is checked as the lead's `--rewrite` leaves it: a
 * copy is rewritten and then checked, so this passes before and after the real rewrite runs.
 * protocol-citations: ignore-file (the fixtures below contain unresolvable citations on purpose)
 */
import assert from "node:assert/strict";
import {
  checkText,
  type DocIndex,
  headingsOf,
  IGNORE_FILE_MARKER,
  indexDocs,
  policyPointsOf,
  rewriteText,
  SCANNED,
  scannedFiles,
} from "../tools/protocol_citations.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name === "dist" || e.name === "node_modules") continue;
    await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** A small index standing in for docs/, so the fixtures do not depend on the real documents. */
const FIXTURE_DOCS: DocIndex = {
  sections: new Map([
    ["docs/protocol/websocket.md", new Set(["1", "1.2", "3", "3.2", "5", "5.5"])],
    ["docs/protocol/cometql.md", new Set(["2", "2.6", "7", "7.1", "12", "12.3"])],
    ["docs/protocol/tutorial.md", new Set(["1"])],
    ["docs/compatibility.md", new Set()],
    ["docs/cometql.md", new Set()],
  ]),
  points: new Set([1, 2, 3, 4]),
};

Deno.test("the repository's citations all resolve once rewritten (on a copy)", async () => {
  await withTempDir(async (dir) => {
    for (const entry of [...SCANNED, "docs", "README.md"]) {
      try {
        await copyTree(`${ROOT}/${entry}`, `${dir}/${entry}`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    const docs = await indexDocs(dir);
    const files = await scannedFiles(dir);
    assert.ok(files.length > 100, `only ${files.length} files scanned`);
    const undecided = [];
    for (const file of files) {
      const text = await Deno.readTextFile(`${dir}/${file}`);
      if (text.includes(IGNORE_FILE_MARKER)) continue;
      const r = rewriteText(file, text, docs);
      undecided.push(...r.notes.filter((n) => n.problem.startsWith("unresolved")));
      const again = rewriteText(file, r.text, docs);
      assert.equal(again.text, r.text, `${file}: a second rewrite changed it again`);
      await Deno.writeTextFile(`${dir}/${file}`, r.text);
    }
    assert.deepEqual(undecided, []);
    const unresolved = [];
    for (const file of files) {
      unresolved.push(...checkText(file, await Deno.readTextFile(`${dir}/${file}`), docs));
    }
    assert.deepEqual(unresolved.map((f) => `${f.file}:${f.line}: ${f.problem}`), []);
  });
});

Deno.test("the protocol documents keep the specification's section numbers", async () => {
  const docs = await indexDocs(ROOT);
  const ws = docs.sections.get("docs/protocol/websocket.md")!;
  const ql = docs.sections.get("docs/protocol/cometql.md")!;
  for (let n = 1; n <= 10; n++) assert.ok(ws.has(String(n)), `websocket.md §${n}`);
  for (let n = 1; n <= 13; n++) assert.ok(ql.has(String(n)), `cometql.md §${n}`);
  for (const s of ["1.6", "2.4", "3.0", "3.8", "4.3", "5.7", "9.8"]) assert.ok(ws.has(s), s);
  for (
    const s of ["2.7", "3.1", "4.3", "5.4", "6.9", "7.11", "9.4", "10.3", "11.2", "12.6", "13.1"]
  ) {
    assert.ok(ql.has(s), s);
  }
  assert.deepEqual([...docs.points].sort(), [1, 2, 3, 4]);
});

Deno.test("check: unresolvable citations are reported, resolvable ones are not", () => {
  const text = [
    "/** Good: docs/protocol/websocket.md §1.2 and §3.2, then a range §3–§5. */",
    "// docs/protocol/cometql.md §2.6; bare §7.1 now means cometql; §12.3 too",
    "// RFC 6455 §5.2 and a bare §5.7.3 after it belong to the RFC",
    "// docs/compatibility.md point 2 is a policy point",
    "/** Bad: docs/protocol/websocket.md §9.9 */",
    "// a bare §99 after the websocket reference above",
    "// docs/compatibility.md point 7",
    "// docs/protocol/nowhere.md §1",
    "// spec §1.2 (old form)",
    "// see websocket.md §1.2 and compat.md point 2 and shared/spec/cometql.md",
    "// a range that ends outside the document: docs/protocol/cometql.md §7–7.9",
  ].join("\n");
  const found = checkText("src/x.ts", text, FIXTURE_DOCS).map((f) => `${f.line}: ${f.problem}`);
  assert.deepEqual(found, [
    "5: docs/protocol/websocket.md has no heading §9.9",
    "6: docs/protocol/websocket.md has no heading §99",
    "7: docs/compatibility.md has no policy point 7",
    "8: no such document: docs/protocol/nowhere.md",
    "9: old-style citation `spec §`: name the document (docs/protocol/…)",
    "10: old-style document name: use docs/protocol/…",
    "10: old policy file name: use docs/compatibility.md point N",
    "10: reference outside the repository",
    "11: docs/protocol/cometql.md has no heading §7.9",
  ]);
});

Deno.test("check: a bare § with no document named before it is reported", () => {
  const found = checkText("src/core/x.ts", "// §3.2: what?\n", FIXTURE_DOCS);
  assert.equal(found.length, 1);
  assert.match(found[0].problem, /names no document/);
});

Deno.test("rewrite: old forms become in-repo paths; bare ones follow the convention", () => {
  const input = [
    "/** The URL (spec: websocket.md §1.2); errors of §1.2 too. */",
    "// spec §3.2: publish",
    "// (spec cometql.md §7.1, §12.3; compat.md point 2)",
    "// now a bare §5.5 that means the browser protocol",
    "// RFC 6455 §5.2 stays, and docs/cometql.md (the user guide) is not a spec name",
    "// the tutorial (shared/seed/tutorial.txt)",
  ].join("\n");
  const docs = FIXTURE_DOCS;
  const r = rewriteText("src/ws/x.ts", input, docs);
  assert.equal(
    r.text,
    [
      "/** The URL (docs/protocol/websocket.md §1.2); errors of §1.2 too. */",
      "// docs/protocol/websocket.md §3.2: publish",
      "// (docs/protocol/cometql.md §7.1, §12.3; docs/compatibility.md point 2)",
      "// now a bare docs/protocol/websocket.md §5.5 that means the browser protocol",
      "// RFC 6455 §5.2 stays, and docs/cometql.md (the user guide) is not a spec name",
      "// the tutorial (docs/protocol/tutorial.md)",
    ].join("\n"),
  );
  assert.deepEqual(r.notes.map((n) => [n.line, n.problem.split(":")[0]]), [
    [
      4,
      "section not in docs/protocol/cometql.md (named before it); took docs/protocol/websocket.md by folder",
    ],
  ]);
  assert.deepEqual(checkText("src/ws/x.ts", r.text, docs), []);
});

Deno.test("rewrite: a bare spec § is resolved by folder when nothing names a document", () => {
  const ws = rewriteText("client/src/x.ts", "// spec §1.2\n", FIXTURE_DOCS);
  assert.equal(ws.text, "// docs/protocol/websocket.md §1.2\n");
  const ql = rewriteText("src/cometql/x.ts", "// spec §2.6\n", FIXTURE_DOCS);
  assert.equal(ql.text, "// docs/protocol/cometql.md §2.6\n");
  const none = rewriteText("src/core/x.ts", "// spec §1.2 and §2.6\n", FIXTURE_DOCS);
  assert.equal(none.text, "// docs/protocol/websocket.md §1.2 and docs/protocol/cometql.md §2.6\n");
  const unknown = rewriteText("src/core/x.ts", "// spec §42\n", FIXTURE_DOCS);
  assert.equal(unknown.text, "// spec §42\n");
  assert.match(unknown.notes[0].problem, /^unresolved/);
});

Deno.test("headings and policy points are read from markdown", () => {
  const md = [
    "# Title",
    "## §1 One",
    "### §1.2 Two",
    "```",
    "## §9 in a code block",
    "```",
    "## Policy",
    "1. first",
    "2. second",
    "## Other",
    "3. not a policy point",
  ].join("\n");
  assert.deepEqual([...headingsOf(md)], ["1", "1.2"]);
  assert.deepEqual([...policyPointsOf(md)], [1, 2]);
});
