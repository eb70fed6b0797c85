/**
 * SHOW [flag] STATUS and SHOW PROCESSLIST (docs/protocol/cometql.md §12): live figures from the
 * node's counters and the operating system, rows named and ordered as the original's.
 */
import type { NodeStats } from "../../core/node_stats.ts";
import { type CometqlError, Errors } from "../cometql_error.ts";
import type { SessionContext } from "../session_context.ts";
import type { StatusFlag } from "../sql/statement.ts";

type Pair = [string, string];

const fixed2 = (n: number) => n.toFixed(2);

/**
 * Counter snapshots for the `*_ps` rates ("per second over the last interval",
 * docs/protocol/cometql.md §12.2).
 */
interface Sample {
  at: number;
  counters: number[];
  rates: number[];
}
const samples = new WeakMap<NodeStats, Sample>();

function rateCounters(s: NodeStats): number[] {
  return [
    s.wsFramesIn,
    s.qlQueries,
    s.wsConnectsTotal,
    s.qlConnectsTotal,
    s.wsDisconnectsTotal,
    s.qlDisconnectsTotal,
  ];
}

/** Rates since the previous sample at least one second old; averages since start at first. */
function rates(stats: NodeStats): number[] {
  const now = Date.now();
  const counters = rateCounters(stats);
  let sample = samples.get(stats);
  if (sample === undefined) {
    const elapsed = Math.max(1, (now - stats.startedAt) / 1000);
    sample = { at: now, counters, rates: counters.map((c) => c / elapsed) };
    samples.set(stats, sample);
  } else if (now - sample.at >= 1000) {
    const elapsed = (now - sample.at) / 1000;
    const previous = sample.counters;
    sample = { at: now, counters, rates: counters.map((c, i) => (c - previous[i]) / elapsed) };
    samples.set(stats, sample);
  }
  return sample.rates;
}

async function sessionStatus(session: SessionContext): Promise<Pair[]> {
  const s = session.node.stats;
  const online = await session.node.authorizedConnectionsEverywhere(session.devId);
  const backends = await session.node.cometqlConnectionsEverywhere();
  return [
    ["flag", "session"],
    ["id", String(session.devId)],
    ["user_online", String(online)],
    ["server_online", String(backends)],
    ["messages", String(s.messagesPublished)],
  ];
}

function globalStatus(stats: NodeStats): Pair[] {
  const uptime = (Date.now() - stats.startedAt) / 1000;
  const [wsPs, qlPs, wsAddPs, qlAddPs, wsDelPs, qlDelPs] = rates(stats);
  return [
    ["flag", "global"],
    ["uptime", String(Math.floor(uptime))],
    ["uptime_in_hours", fixed2(uptime / 3600)],
    ["uptime_in_days", fixed2(uptime / 86400)],
    ["frontend_name", "ws"],
    ["backend_name", "cometql"],
    ["frontend_stat_interval", "1"],
    ["backend_stat_interval", "1"],
    ["frontend_online", String(stats.wsOnline)],
    ["backend_online", String(stats.qlOnline)],
    ["frontend_messages", String(stats.wsFramesIn)],
    ["backend_messages", String(stats.qlQueries)],
    ["frontend_add_client", String(stats.wsConnectsTotal)],
    ["backend_add_client", String(stats.qlConnectsTotal)],
    ["frontend_delete_client", String(stats.wsDisconnectsTotal)],
    ["backend_delete_client", String(stats.qlDisconnectsTotal)],
    ["frontend_messages_ps", fixed2(wsPs)],
    ["backend_messages_ps", fixed2(qlPs)],
    ["frontend_add_client_ps", fixed2(wsAddPs)],
    ["backend_add_client_ps", fixed2(qlAddPs)],
    ["frontend_delete_client_ps", fixed2(wsDelPs)],
    ["backend_delete_client_ps", fixed2(qlDelPs)],
    ["network_events", (stats.wsFramesIn + stats.qlQueries).toFixed(6)],
  ];
}

/**
 * docs/protocol/cometql.md §12.3 RAM: `/proc/meminfo` names without the colon, numbers without the
 * unit.
 */
async function ramStatus(): Promise<Pair[]> {
  const text = await Deno.readTextFile("/proc/meminfo");
  const pairs: Pair[] = []; // no `flag` row: only FILESYSTEM has one (docs/protocol/cometql.md §12.3)
  for (const line of text.split("\n").slice(0, 34)) {
    const m = /^([^:]+):\s+(\d+)/.exec(line);
    if (m) pairs.push([m[1], m[2]]);
  }
  return pairs;
}

/** docs/protocol/cometql.md §12.3 AVG: `/proc/loadavg`. */
async function avgStatus(): Promise<Pair[]> {
  const [l1, l5, l15, procs] = (await Deno.readTextFile("/proc/loadavg")).trim().split(/\s+/);
  const [running, total] = procs.split("/");
  return [
    ["load_avg_1", fixed2(Number(l1))],
    ["load_avg_2", fixed2(Number(l5))],
    ["load_avg_3", fixed2(Number(l15))],
    ["running_processes", running],
    ["total_processes", total],
  ];
}

/** docs/protocol/cometql.md §12.3 UPTIME: `/proc/uptime`. */
async function uptimeStatus(): Promise<Pair[]> {
  const [up, idle] = (await Deno.readTextFile("/proc/uptime")).trim().split(/\s+/);
  return [
    ["os_uptime", Number(up).toFixed(6)],
    ["os_idle", Number(idle).toFixed(6)],
  ];
}

/**
 * docs/protocol/cometql.md §12.3 FILESYSTEM: `df -h` of the root filesystem (needs the run
 * permission).
 */
async function filesystemStatus(): Promise<Pair[]> {
  const out = await new Deno.Command("df", { args: ["-h", "/"], stdout: "piped", stderr: "null" })
    .output();
  const line = new TextDecoder().decode(out.stdout).split("\n")[1] ?? "";
  const [filesystem, size, used, available, use] = line.trim().split(/\s+/);
  if (!out.success || use === undefined) throw new Error("df gave no root filesystem line");
  return [
    ["flag", "filesystem"],
    ["filesystem", filesystem],
    ["size", size],
    ["used", used],
    ["available", available],
    ["use", use],
  ];
}

/** Asking for a permission the process lacks would prompt on a terminal: refuse instead. */
function assertPermitted(descriptor: Deno.PermissionDescriptor): void {
  if (Deno.permissions.querySync(descriptor).state !== "granted") {
    throw new Error(`permission ${descriptor.name} not granted`);
  }
}

export async function statusRows(
  session: SessionContext,
  flag: StatusFlag,
): Promise<Pair[] | CometqlError> {
  if (flag === "session") return sessionStatus(session);
  if (flag === "global") return globalStatus(session.node.stats);
  try {
    if (flag === "filesystem") assertPermitted({ name: "run", command: "df" });
    else assertPermitted({ name: "read", path: "/proc" });
    if (flag === "ram") return await ramStatus();
    if (flag === "avg") return await avgStatus();
    if (flag === "uptime") return await uptimeStatus();
    return await filesystemStatus();
  } catch (e) {
    session.node.log.debug("cometql", `SHOW ${flag.toUpperCase()} STATUS failed: ${e}`);
    return Errors.execFailed;
  }
}

/**
 * docs/protocol/cometql.md §12.4: one row per service thread; we serve each protocol from one event
 * loop.
 */
export function processlistRows(stats: NodeStats): string[][] {
  return [
    ["cometql", "0", "-", String(stats.qlQueries)],
    ["ws", "0", "-", String(stats.wsFramesIn)],
  ];
}
