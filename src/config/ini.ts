/**
 * Parser for the original `comet.ini` format (spec: cometql.md §10.1), so that an existing
 * CppComet configuration file can be used unchanged.
 *
 * - `[section]` lines; `key = value` lines split at the first `=`, both sides trimmed;
 * - lines starting with `;` or `#` are comments, and in a value everything from the first `;` or
 *   `#` is dropped;
 * - a line whose `=` is its last character is ignored (so `password =` keeps the default);
 * - list values: `key = []item` appends `item` to the key's list, one line per element.
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

/** A config problem that names the file, the line and the key. */
export class ConfigError extends Error {
  constructor(path: string, line: number, key: string, problem: string) {
    super(`${path}:${line}: ${key ? `[${key}] ` : ""}${problem}`);
    this.name = "ConfigError";
  }
}

export function parseIni(text: string, path = "comet.conf"): IniFile {
  const entries: IniEntry[] = [];
  let section = "";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (!line.endsWith("]")) {
        throw new ConfigError(path, i + 1, "", `malformed section header: ${line}`);
      }
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new ConfigError(path, i + 1, "", `expected key = value: ${line}`);
    // spec: a line whose "=" is its last character is ignored entirely.
    if (eq === lines[i].trimStart().length - 1 && lines[i].endsWith("=")) continue;
    const key = line.slice(0, eq).trim();
    let value = lines[i].slice(lines[i].indexOf("=") + 1);
    const cut = value.search(/[;#]/);
    if (cut >= 0) value = value.slice(0, cut);
    value = value.trim();
    if (key === "") throw new ConfigError(path, i + 1, "", "empty key");
    entries.push({ section, key, value, line: i + 1 });
  }
  return new IniFile(path, entries);
}
