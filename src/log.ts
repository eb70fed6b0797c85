/**
 * One line per event, with a timestamp, a level and a subsystem tag:
 * `2025-01-31T12:00:00.000Z WARN [cometql] text`. Levels follow the original
 * (docs/protocol/cometql.md §10.2 `[log]`): 100 critical, 200 error, 300 warning, 400 info, 500
 * debug, 600 everything. A tag may have its own level; an event is written when both the global and
 * the tag level allow it, and global 600 ignores tag levels, as in the original. Levels can change
 * at run time (SIGHUP reload). Never pass passwords or tokens to the logger.
 */

export const LOG_TAGS = [
  "main",
  "config",
  "ws",
  "cometql",
  "storage",
  "core",
  "admin",
  "cluster",
] as const;

export type LogTag = typeof LOG_TAGS[number];

export const LogLevel = {
  critical: 100,
  error: 200,
  warn: 300,
  info: 400,
  debug: 500,
  all: 600,
} as const;

export class Logger {
  constructor(
    public level: number = LogLevel.info,
    public tagLevels: Record<string, number> = {},
    private write: (line: string) => void = (line) => console.log(line),
  ) {}

  enabled(tag: LogTag, level: number): boolean {
    if (level > this.level) return false;
    if (this.level >= LogLevel.all) return true;
    const tagLevel = this.tagLevels[tag];
    return tagLevel === undefined || level <= tagLevel;
  }

  log(tag: LogTag, level: number, text: string): void {
    if (!this.enabled(tag, level)) return;
    // One event, one line: embedded newlines (stack traces, client input) would split it.
    const oneLine = text.includes("\n") ? text.replaceAll("\r", "").replaceAll("\n", " | ") : text;
    this.write(`${new Date().toISOString()} ${levelName(level)} [${tag}] ${oneLine}`);
  }

  /** Applies new levels, e.g. from a reloaded config file. */
  setLevels(level: number, tagLevels: Record<string, number>): void {
    this.level = level;
    this.tagLevels = tagLevels;
  }

  critical(tag: LogTag, text: string): void {
    this.log(tag, LogLevel.critical, text);
  }
  error(tag: LogTag, text: string): void {
    this.log(tag, LogLevel.error, text);
  }
  warn(tag: LogTag, text: string): void {
    this.log(tag, LogLevel.warn, text);
  }
  info(tag: LogTag, text: string): void {
    this.log(tag, LogLevel.info, text);
  }
  debug(tag: LogTag, text: string): void {
    this.log(tag, LogLevel.debug, text);
  }
}

function levelName(level: number): string {
  if (level <= LogLevel.critical) return "CRIT";
  if (level <= LogLevel.error) return "ERROR";
  if (level <= LogLevel.warn) return "WARN";
  if (level <= LogLevel.info) return "INFO";
  return "DEBUG";
}
