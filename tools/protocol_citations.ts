/**
 * Protocol citations in code and tests: checks that every `§` a comment or test name cites resolves
 * to a numbered heading of a document inside the repository, and rewrites the older citations that
 * pointed outside it (the clean-room specification `spec/websocket.md`, `spec/cometql.md`, the
 * `compat.md` policy, `shared/…` notes and tools) to their in-repo equivalents.
 *
 *   deno run --allow-read tools/protocol_citations.ts [--check] [ROOT]
 *   deno run --allow-read --allow-write tools/protocol_citations.ts --rewrite [--dry-run] [ROOT]
 *
 * `--check` (the default) lists every citation that does not resolve and exits 1 if there is one.
 * `--rewrite` changes the files in place (or only reports with `--dry-run`), then lists what it
 * could not decide; run `deno fmt` afterwards, since a longer test name may re-wrap a call.
 *
 * The citation convention (docs/protocol/README.md §2):
 * - `docs/protocol/websocket.md §3.2` (any repository `.md` path) cites heading `§3.2` of that
 *   file; `§3.2–§3.4` and `§3.2–3.4` cite both ends.
 * - A bare `§3.2` cites the document named most recently before it in the same file (a path as
 *   above, with or without a `§`); after an `RFC NNNN` it belongs to that RFC and is not checked.
 * - `docs/compatibility.md point 2` cites item 2 of the numbered policy list in that file.
 */

/** Folders and files whose citations are checked, relative to the root. */
export const SCANNED = [
  "src",
  "tests",
  "client",
  "bench",
  "examples",
  "main.ts",
  "db.sql",
  "README.md",
];
const SKIPPED_DIRS = new Set(["dist", "node_modules", "vendor", ".git"]);
const SCANNED_EXTENSIONS = /\.(ts|js|mjs|tsx|sql|sh|c|h|md|html|php)$/;
/** A file containing this text is not checked (fixtures of the citation test itself). */
export const IGNORE_FILE_MARKER = "protocol-citations: ignore-file";

const WEBSOCKET = "docs/protocol/websocket.md";
const COMETQL = "docs/protocol/cometql.md";
const COMPATIBILITY = "docs/compatibility.md";

/** In-repo replacements of paths outside the repository. */
const OUTSIDE_PATHS: [RegExp, string][] = [
  [/`?(?:\.\.\/|\/work\/)?shared\/tools\/wsload`?/g, "`wsload` (docs/benchmarks.md §2)"],
  [/(?:\.\.\/|\/work\/)?shared\/notes\/ws-transport\.md/g, "docs/benchmarks.md §4"],
  [/(?:\.\.\/|\/work\/)?shared\/seed\/tutorial\.txt/g, "docs/protocol/tutorial.md"],
  [/\bshared seed tutorial\b/g, "docs/protocol/tutorial.md"],
  [/(?:\.\.\/|\/work\/)?shared\/spec\/websocket\.md/g, WEBSOCKET],
  [/(?:\.\.\/|\/work\/)?shared\/spec\/cometql\.md/g, COMETQL],
  [/(?:\.\.\/|\/work\/)?shared\/compat\.md/g, COMPATIBILITY],
  [/(?:\.\.\/|\/work\/)?shared\/spec\/?/g, "docs/protocol/"],
];

/** Numbered headings (`## §3.2 …`) of every document, and the policy points of compatibility.md. */
export interface DocIndex {
  /** Repository-relative path → section numbers ("3.2"). */
  sections: Map<string, Set<string>>;
  /** Numbers of the policy points in docs/compatibility.md. */
  points: Set<number>;
}

export interface Finding {
  file: string;
  line: number;
  text: string;
  problem: string;
}

export interface RewriteReport {
  text: string;
  /** Citations changed. */
  rewritten: number;
  /** Bare citations whose document was decided other than by the nearest preceding reference. */
  notes: Finding[];
}

const HEADING = /^#{1,6}\s+§(\d+(?:\.\d+)*)(?=[\s.:—–-]|$)/;

/** Reads the numbered headings of every `.md` under `docs/` and the scanned folders of `root`. */
export async function indexDocs(root: string): Promise<DocIndex> {
  const sections = new Map<string, Set<string>>();
  let points = new Set<number>();
  for (const dir of ["docs", ...SCANNED]) {
    for await (const path of walk(root, dir)) {
      if (!path.endsWith(".md")) continue;
      const text = await Deno.readTextFile(`${root}/${path}`);
      sections.set(path, headingsOf(text));
      if (path === COMPATIBILITY) points = policyPointsOf(text);
    }
  }
  for (const top of ["README.md"]) {
    try {
      sections.set(top, headingsOf(await Deno.readTextFile(`${root}/${top}`)));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return { sections, points };
}

export function headingsOf(markdown: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = fenced ? null : line.match(HEADING);
    if (m) found.add(m[1]);
  }
  return found;
}

/** The numbered list under the heading that contains "Policy" (`1. **Match** …`). */
export function policyPointsOf(markdown: string): Set<number> {
  const found = new Set<number>();
  let inPolicy = false;
  for (const line of markdown.split("\n")) {
    if (/^#{1,6}\s/.test(line)) inPolicy = /policy/i.test(line);
    const m = inPolicy ? line.match(/^(\d+)\.\s/) : null;
    if (m) found.add(Number(m[1]));
  }
  return found;
}

/** Every scanned file under `root`, repository-relative. */
export async function scannedFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of SCANNED) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(`${root}/${entry}`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    if (info.isFile) files.push(entry);
    else for await (const f of walk(root, entry)) if (SCANNED_EXTENSIONS.test(f)) files.push(f);
  }
  return files.sort();
}

async function* walk(root: string, dir: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${root}/${dir}`)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
    throw e;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory && !SKIPPED_DIRS.has(e.name)) yield* walk(root, `${dir}/${e.name}`);
    else if (e.isFile) yield `${dir}/${e.name}`;
  }
}

// ---- tokens -------------------------------------------------------------------------------------

/**
 * One pass over a file finds, in order: document references (new `docs/…/x.md` paths, and the
 * old `spec: websocket.md` / `cometql.md` names), `compat.md` with an optional point, RFC numbers,
 * and section signs with an optional `spec` in front and an optional range after.
 */
const TOKEN = new RegExp(
  [
    // 1: a repository document path (the new form); a `§` may follow
    String.raw`(?<path>(?<![\w/.-])(?:docs|bench|examples|client|src|tests)/[\w/.-]*\.md)`,
    // 2: the old protocol names, optionally after "spec" / "spec:"
    String.raw`(?<old>(?:\bspec:?\s+)?(?<![\w/.-])(?<oldName>websocket|cometql)\.md)`,
    // 3: the old policy file, optionally with a point
    String.raw`(?<compat>(?<![\w/.-])compat\.md(?:\s+point\s+(?<oldPoint>\d+))?)`,
    // 4: a point of the new policy file is read right after its path (see below)
    // 5: an RFC: bare sections after it belong to it
    String.raw`(?<rfc>\bRFC\s?\d{3,5}\b)`,
    // 6: a section sign, optionally after "spec", optionally a range
    String
      .raw`(?<sec>(?<spec>\bspec:?\s+)?§\s?(?<num>\d+(?:\.\d+)*)(?:(?<dash>\s?[–-]\s?)(?<endSign>§)?(?<end>\d+(?:\.\d+)*))?)`,
  ].join("|"),
  "g",
);

/** The documents a bare citation can mean, when nothing before it in the file names one. */
export function folderDefault(file: string): string | undefined {
  const base = file.split("/").pop() ?? "";
  if (/^(src\/ws|client)\//.test(file)) return WEBSOCKET;
  if (/^(src\/cometql|src\/storage|src\/config)\//.test(file) || file === "main.ts") return COMETQL;
  if (file === "db.sql") return COMETQL;
  if (file.startsWith("tests/") || file.startsWith("bench/")) {
    if (/^(ws_|client_|browser_)/.test(base)) return WEBSOCKET;
    if (/^(cometql_|storage_|config_)/.test(base)) return COMETQL;
  }
  if (/^src\/core\/(messages|outbound|subscriber)\.ts$/.test(file)) return WEBSOCKET;
  return undefined;
}

/** Only the protocol reference sets the document of later bare `§` citations. */
function setsContext(path: string): boolean {
  return path.startsWith("docs/protocol/");
}

type Context = { kind: "doc"; path: string } | { kind: "rfc" } | { kind: "none" };

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function lineText(text: string, index: number): string {
  const start = text.lastIndexOf("\n", index - 1) + 1;
  const end = text.indexOf("\n", index);
  return text.slice(start, end === -1 ? undefined : end).trim();
}

function hasSection(docs: DocIndex, path: string, num: string): boolean {
  return docs.sections.get(path)?.has(num) ?? false;
}

/**
 * Old citations whose document the rules below would get wrong: `file`, a piece of the line, and
 * the document meant. Checked first; a line that no longer contains the piece falls back to the
 * rules (and, if ambiguous, is listed for a human).
 */
const DECIDED: { file: string; line: string; path: string }[] = [
  { file: "src/core/user_auth.ts", line: "spec §5.2: a valid token", path: WEBSOCKET },
  { file: "src/core/comet_node.ts", line: "---- auth (spec §5)", path: WEBSOCKET },
  { file: "src/core/comet_node.ts", line: "so they re-authenticate (§5.4)", path: WEBSOCKET },
  { file: "src/core/comet_node.ts", line: "presence (spec §5.6)", path: WEBSOCKET },
  { file: "src/core/user_registry.ts", line: "the first 16 (spec §5.5)", path: WEBSOCKET },
  { file: "src/core/comet_node.ts", line: "connection's pipe set (spec §3.1)", path: WEBSOCKET },
  { file: "src/core/comet_node.ts", line: "Private message (spec §6)", path: WEBSOCKET },
  { file: "src/core/user_auth.ts", line: "revoked-token column size (spec §5.2)", path: WEBSOCKET },
];

/**
 * Decides which protocol document an old citation without a file name (`spec §5.5`, `§5.5`)
 * means: a DECIDED entry, else the document named most recently before it, else the folder's,
 * else the only protocol document that has the section. Anything but the second rule is noted,
 * and so is the second rule in a file that names both protocol documents when the section
 * exists in both (it may mean either).
 */
function resolveOld(
  file: string,
  line: string,
  context: Context,
  nums: string[],
  docs: DocIndex,
  namesBoth: boolean,
  sameLine: boolean,
): { path: string | undefined; note?: string } {
  const decided = DECIDED.find((d) => d.file === file && line.includes(d.line));
  if (decided) return { path: decided.path };
  const fits = (p: string) => nums.every((n) => hasSection(docs, p, n));
  const protocolDocs = [WEBSOCKET, COMETQL].filter(fits);
  const preceding = context.kind === "doc" ? context.path : undefined;
  if (preceding && fits(preceding)) {
    const ambiguous = namesBoth && protocolDocs.length > 1 && !sameLine;
    return {
      path: preceding,
      note: ambiguous
        ? `ambiguous: the file names both protocol documents; took ${preceding}, named before it`
        : undefined,
    };
  }
  const byFolder = folderDefault(file);
  if (byFolder && fits(byFolder)) {
    return {
      path: byFolder,
      note: preceding
        ? `section not in ${preceding} (named before it); took ${byFolder} by folder`
        : undefined,
    };
  }
  if (protocolDocs.length === 1) {
    return {
      path: protocolDocs[0],
      note: `the only protocol document with this section (named before it: ${
        preceding ?? "none"
      })`,
    };
  }
  return { path: undefined };
}

// ---- rewrite ------------------------------------------------------------------------------------

/**
 * Rewrites one file's old citations to the in-repo form. Bare `§N` are kept bare when the
 * convention already resolves them to the right document, and made explicit otherwise.
 */
export function rewriteText(
  file: string,
  input: string,
  docs: DocIndex,
  explain?: Finding[],
): RewriteReport {
  const notes: Finding[] = [];
  let rewritten = 0;
  let text = input;
  for (const [pattern, replacement] of OUTSIDE_PATHS) {
    text = text.replace(pattern, () => {
      rewritten++;
      return replacement;
    });
  }
  // What the reader of the old text took each bare citation to mean, and what the reader of the
  // new text will: they differ only where the new text must name the file.
  const namesBoth = /websocket\.md/.test(text) && /cometql\.md/.test(text);
  let oldContext: Context = { kind: "none" };
  let contextLine = 0; // line of the document reference that set oldContext
  let newContext: Context = { kind: "none" };
  let out = "";
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const g = m.groups!;
    const at = m.index!;
    out += text.slice(last, at);
    last = at + m[0].length;
    if (g.path) {
      out += m[0];
      if (setsContext(g.path)) {
        oldContext = newContext = { kind: "doc", path: g.path };
        contextLine = lineAt(text, at);
      }
    } else if (g.old) {
      const path = g.oldName === "websocket" ? WEBSOCKET : COMETQL;
      out += path;
      rewritten++;
      oldContext = newContext = { kind: "doc", path };
      contextLine = lineAt(text, at);
    } else if (g.compat) {
      out += g.oldPoint ? `${COMPATIBILITY} point ${g.oldPoint}` : COMPATIBILITY;
      rewritten++;
    } else if (g.rfc) {
      out += m[0];
      oldContext = newContext = { kind: "rfc" };
    } else if (g.sec) {
      const nums = [g.num, ...(g.end ? [g.end] : [])];
      const explicitBefore = /[\w/.-]+\.md\s*$/.test(out);
      if (explicitBefore && !g.spec) {
        out += m[0]; // `websocket.md §3` was rewritten with its name just above
        continue;
      }
      if (!g.spec && oldContext.kind === "rfc") {
        out += m[0];
        continue;
      }
      const line = lineText(text, at);
      const { path, note } = resolveOld(
        file,
        line,
        oldContext,
        nums,
        docs,
        namesBoth,
        contextLine === lineAt(text, at),
      );
      if (explain) {
        explain.push({ file, line: lineAt(text, at), text: line, problem: `→ ${path} ${g.num}` });
      }
      const where = { file, line: lineAt(text, at), text: "" };
      if (!path) {
        notes.push({ ...where, text: line, problem: "unresolved: no document fits" });
        out += m[0];
        continue;
      }
      if (note) notes.push({ ...where, text: line, problem: note });
      const sectionText = m[0].slice(g.spec ? g.spec.length : 0);
      if (oldContext.kind !== "doc" || oldContext.path !== path) {
        oldContext = { kind: "doc", path };
        contextLine = lineAt(text, at);
      }
      if (g.spec || newContext.kind !== "doc" || newContext.path !== path) {
        out += `${path} ${sectionText}`;
        rewritten++;
        newContext = { kind: "doc", path };
      } else {
        out += sectionText;
      }
    }
  }
  out += text.slice(last);
  return { text: out, rewritten, notes };
}

// ---- check --------------------------------------------------------------------------------------

const OLD_FORMS: [RegExp, string][] = [
  [/\bspec:?\s+§/g, "old-style citation `spec §`: name the document (docs/protocol/…)"],
  [/(?<![\w/.-])(?:websocket|cometql)\.md/g, "old-style document name: use docs/protocol/…"],
  [/(?<![\w/.-])compat\.md/g, "old policy file name: use docs/compatibility.md point N"],
  [/\bshared[/ ](?:spec|seed|tools|notes|compat)/g, "reference outside the repository"],
];

/** Every citation of one file that does not resolve inside the repository. */
export function checkText(file: string, text: string, docs: DocIndex): Finding[] {
  if (text.includes(IGNORE_FILE_MARKER)) return [];
  const findings: Finding[] = [];
  const report = (at: number, problem: string) =>
    findings.push({ file, line: lineAt(text, at), text: lineText(text, at), problem });
  for (const [pattern, problem] of OLD_FORMS) {
    for (const m of text.matchAll(pattern)) report(m.index!, problem);
  }
  let context: Context = { kind: "none" };
  for (const m of text.matchAll(TOKEN)) {
    const g = m.groups!;
    const at = m.index!;
    if (g.path) {
      if (!docs.sections.has(g.path)) report(at, `no such document: ${g.path}`);
      const attached = text.slice(at + m[0].length).match(/^\s?§\s?(\d+(?:\.\d+)*)/);
      const known = docs.sections.has(g.path);
      if (attached && known && !setsContext(g.path) && !hasSection(docs, g.path, attached[1])) {
        report(at, `${g.path} has no heading §${attached[1]}`);
      }
      if (setsContext(g.path)) context = { kind: "doc", path: g.path };
      if (g.path === COMPATIBILITY) {
        const point = text.slice(at + m[0].length).match(/^\s+point\s+(\d+)/);
        if (point && !docs.points.has(Number(point[1]))) {
          report(at, `${COMPATIBILITY} has no policy point ${point[1]}`);
        }
      }
    } else if (g.old) {
      context = { kind: "doc", path: g.oldName === "websocket" ? WEBSOCKET : COMETQL };
    } else if (g.rfc) {
      context = { kind: "rfc" };
    } else if (g.sec) {
      if (g.spec) continue; // reported as an old form above
      if (/[\w/.-]+\.md\s?$/.test(text.slice(Math.max(0, at - 200), at))) {
        if (context.kind === "doc" && text.slice(0, at).trimEnd().endsWith(context.path)) {
          // attached to the protocol document just named: checked below like a bare one
        } else continue; // attached to another document: checked with its path above
      }
      if (context.kind === "rfc") continue;
      if (context.kind === "none") {
        report(at, `§${g.num} names no document (nothing before it in the file does)`);
        continue;
      }
      if (!docs.sections.has(context.path)) continue; // reported with its path
      for (const num of [g.num, ...(g.end ? [g.end] : [])]) {
        if (!hasSection(docs, context.path, num)) {
          report(at, `${context.path} has no heading §${num}`);
        }
      }
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

// ---- command line -------------------------------------------------------------------------------

async function main(args: string[]): Promise<number> {
  const rewrite = args.includes("--rewrite");
  const dryRun = args.includes("--dry-run");
  const root = args.find((a) => !a.startsWith("--")) ?? ".";
  const docs = await indexDocs(root);
  const files = await scannedFiles(root);
  if (rewrite) {
    let total = 0;
    let changedFiles = 0;
    const notes: Finding[] = [];
    const explain: Finding[] | undefined = args.includes("--explain") ? [] : undefined;
    for (const file of files) {
      const before = await Deno.readTextFile(`${root}/${file}`);
      if (before.includes(IGNORE_FILE_MARKER)) continue;
      const r = rewriteText(file, before, docs, explain);
      total += r.rewritten;
      notes.push(...r.notes);
      if (r.text !== before) {
        changedFiles++;
        if (!dryRun) await Deno.writeTextFile(`${root}/${file}`, r.text);
      }
    }
    for (const n of explain ?? []) console.log(`${n.file}:${n.line}: ${n.problem}  | ${n.text}`);
    for (const n of notes) console.log(`${n.file}:${n.line}: ${n.problem}\n    ${n.text}`);
    console.log(
      `${dryRun ? "would rewrite" : "rewrote"} ${total} citations in ${changedFiles} files; ` +
        `${notes.length} decided by folder or section (listed above)`,
    );
    if (dryRun) return 0;
  }
  const findings: Finding[] = [];
  for (const file of files) {
    findings.push(...checkText(file, await Deno.readTextFile(`${root}/${file}`), docs));
  }
  for (const f of findings) console.log(`${f.file}:${f.line}: ${f.problem}\n    ${f.text}`);
  console.log(`${findings.length} unresolved citations in ${files.length} files`);
  return findings.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
