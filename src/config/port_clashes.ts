/** Checks that the listeners of one config do not share a port. */
import { ConfigError, type IniFile } from "./ini.ts";

/** A listener's address as the check needs it (config.ts's ListenerConfig). */
interface ListenerAddress {
  ip: string;
  port: number;
}

/** Two of our listeners on the same port would make the second fail at bind time. */
export function checkPortClashes(
  ini: IniFile,
  config: Record<"ws" | "cometql" | "admin", ListenerAddress>,
): void {
  const listeners: [string, ListenerAddress][] = [
    ["ws", config.ws],
    ["cometql", config.cometql],
    ["admin", config.admin],
  ];
  const wildcard = (ip: string) => ip === "0.0.0.0" || ip === "::";
  for (let i = 0; i < listeners.length; i++) {
    for (let j = 0; j < i; j++) {
      const [name, a] = listeners[i];
      const [otherName, b] = listeners[j];
      if (a.port === 0 || a.port !== b.port) continue;
      if (a.ip !== b.ip && !wildcard(a.ip) && !wildcard(b.ip)) continue;
      // Blame the port written last in the file (the other may be a default).
      const [blamed, other] = (ini.get(name, "port")?.line ?? 0) >=
          (ini.get(otherName, "port")?.line ?? 0)
        ? [name, otherName]
        : [otherName, name];
      throw new ConfigError(
        ini.path,
        ini.get(blamed, "port")?.line ?? 0,
        `[${blamed}] port`,
        `${a.port} is also the port of [${other}]`,
      );
    }
  }
}
