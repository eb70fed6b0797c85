/**
 * Typed access to the values of a parsed comet.conf, each checked where it is read: a key's
 * default when absent, else its value if it fits its type and range, else a ConfigError naming
 * file, line and key. config.ts reads every section of ours through it.
 */
import { ConfigError, type IniEntry, type IniFile } from "./ini.ts";

export class IniReader {
  constructor(private ini: IniFile) {}

  str(section: string, key: string, def: string): string {
    return this.ini.get(section, key)?.value ?? def;
  }

  /**
   * docs/protocol/cometql.md §10.1: the original reads only `true`/`True`/`TRUE` as true and
   * anything else as false; we accept the usual spellings and reject the rest rather than guess.
   */
  bool(section: string, key: string, def: boolean): boolean {
    const e = this.ini.get(section, key);
    if (!e) return def;
    const v = e.value.toLowerCase();
    if (v === "true" || v === "1" || v === "yes" || v === "on") return true;
    if (v === "false" || v === "0" || v === "no" || v === "off") return false;
    throw new ConfigError(
      this.ini.path,
      e.line,
      `[${section}] ${key}`,
      `not a boolean: "${e.value}" (use true or false)`,
    );
  }

  int(section: string, key: string, def: number, min: number, max: number): number {
    const e = this.ini.get(section, key);
    return e ? intOf(e, this.ini.path, min, max) : def;
  }

  /** Comma-separated non-negative integers (`15, 20`); absent or empty → none. */
  intList(section: string, key: string): number[] {
    const e = this.ini.get(section, key);
    if (!e || e.value.trim() === "") return [];
    return e.value.split(",").map((part) =>
      intOf({ ...e, value: part.trim() }, this.ini.path, 0, 2 ** 31 - 1)
    );
  }

  /** `[main] workers`: a count, or `auto` for one per core. */
  workers(): number {
    const e = this.ini.get("main", "workers");
    if (e?.value.toLowerCase() === "auto") return Math.max(1, navigator.hardwareConcurrency);
    return e ? intOf(e, this.ini.path, 1, 1024) : 1;
  }

  /** A listen or connect address: IPv4, IPv6 or a host name (the original accepted garbage). */
  address(section: string, key: string, def: string, emptyAllowed = false): string {
    const e = this.ini.get(section, key);
    if (!e) return def;
    if (e.value === "" && emptyAllowed) return "";
    if (!isAddress(e.value)) {
      throw new ConfigError(
        this.ini.path,
        e.line,
        `[${section}] ${key}`,
        `not an IP address or host name: "${e.value}"`,
      );
    }
    return e.value;
  }
}

/** The integer value of `e`, within `min`…`max`; otherwise a ConfigError naming its line. */
export function intOf(e: IniEntry, path: string, min: number, max: number): number {
  const where = `[${e.section}] ${e.key}`;
  if (!/^-?\d+$/.test(e.value)) {
    throw new ConfigError(path, e.line, where, `not an integer: "${e.value}"`);
  }
  const n = Number(e.value);
  if (n < min || n > max) {
    throw new ConfigError(path, e.line, where, `${n} is out of range ${min}…${max}`);
  }
  return n;
}

function isAddress(s: string): boolean {
  const v4 = s.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  if (s.includes(":")) return /^[0-9A-Fa-f:.]+$/.test(s);
  if (/^[\d.]+$/.test(s)) return false; // looks numeric but is not dotted-quad
  // Underscores are not DNS but Docker service names (`comet_db`) resolve with them.
  return /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/.test(s);
}
