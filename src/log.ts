/**
 * One line per event, with a timestamp, a level and a subsystem tag. Levels follow the original
 * (spec: cometql.md §10.2 `[log]`): 100 critical, 200 error, 300 warning, 400 info, 500 debug;
 * a tag may have its own level. Never pass passwords or tokens to the logger.
 */

export type LogTag =
  | "main"
  | "config"
  | "ws"
  | "cometql"
  | "storage"
  | "core"
  | "admin"
  | "cluster";

export const LogLevel = { critical: 100, error: 200, warn: 300, info: 400, debug: 500 } as const;

export class Logger {
  constructor(
    public level: number = LogLevel.info,
    public tagLevels: Record<string, number> = {},
    private write: (line: string) => void = (line) => console.log(line),
  ) {}

  enabled(tag: LogTag, level: number): boolean {
    const tagLevel = this.tagLevels[tag];
    return level <= this.level && (tagLevel === undefined || level <= tagLevel);
  }

  log(tag: LogTag, level: number, text: string): void {
    if (!this.enabled(tag, level)) return;
    const name = level <= 100
      ? "CRIT"
      : level <= 200
      ? "ERROR"
      : level <= 300
      ? "WARN"
      : level <= 400
      ? "INFO"
      : "DEBUG";
    this.write(`${new Date().toISOString()} ${name} [${tag}] ${text}`);
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
