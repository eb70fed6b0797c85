/**
 * Parser for the original `comet.ini` format (docs/protocol/cometql.md §10.1), so that an existing
 * CppComet configuration file can be used unchanged.
 *
 * - `[section]` lines; `key = value` lines split at the first `=`, both sides trimmed;
 * - lines starting with `;` or `#` are comments, and in a value everything from the first `;` or
 *   `#` is dropped;
 * - a line whose `=` is its last character is ignored (so `password =` keeps the default);
 * - list values: `key = []item` appends `item` to the key's list, one line per element.
 *
 * Where we are stricter than the original: a line that is neither a section nor `key = value` is
 * an error naming its line (the original skipped it silently, hiding typos).
 */

/** One `key = value` occurrence, with where it came from (for error messages). */
export interface IniEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** A parsed ini file: every entry in file order, plus lookups by section and key. */
export class IniFile {
  constructor(readonly path: string, readonly entries: IniEntry[]) {}

  /** The last plain (non-list) value of `section.key`, if present. */
  get(section: string, key: string): IniEntry | undefined {
    let found: IniEntry | undefined;
    for (const e of this.entries) {
      if (e.section === section && e.key === key && !e.value.startsWith("[]")) found = e;
    }
    return found;
  }

  /** Every `[]`-prefixed value of `section.key`, in file order, without the prefix. */
  list(section: string, key: string): string[] {
    return this.entries
      .filter((e) => e.section === section && e.key === key && e.value.startsWith("[]"))
      .map((e) => e.value.slice(2));
  }

  sections(): Set<string> {
    return new Set(this.entries.map((e) => e.section));
  }
}

/**
 * A config problem that names the file, the line and the key:
 * `comet.conf:12: [ws] port: not an integer: 80a`. Line 0 means the file as a whole. Messages
 * never quote string values, so a password cannot end up in a log.
 */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    /** `[section] key`, or "" when the problem is not about one key. */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${line > 0 ? `${path}:${line}` : path}: ${where ? `${where}: ` : ""}${problem}`);
    this.name = "ConfigError";
  }
}

export function parseIni(text: string, path = "comet.conf"): IniFile {
  const entries: IniEntry[] = [];
  let section = "";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (!line.endsWith("]") || line.length < 3) {
        throw new ConfigError(path, i + 1, "", "malformed section header (expected [name])");
      }
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf("=");
    // The line's text is not quoted: it may be a password someone forgot the "=" in.
    if (eq < 0) {
      throw new ConfigError(path, i + 1, "", "malformed line (expected key = value or [section])");
    }
    const key = line.slice(0, eq).trim();
    if (key === "") throw new ConfigError(path, i + 1, "", "malformed line (empty key before =)");
    // docs/protocol/cometql.md §10.1: a line whose "=" is its last character is ignored entirely; a
    // trailing blank after "=" gives an empty value instead.
    if (raw.indexOf("=") === raw.length - 1) continue;
    let value = raw.slice(raw.indexOf("=") + 1);
    const cut = value.search(/[;#]/);
    if (cut >= 0) value = value.slice(0, cut);
    entries.push({ section, key, value: value.trim(), line: i + 1 });
  }
  return new IniFile(path, entries);
}
