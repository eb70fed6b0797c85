/// <reference lib="dom" />
/**
 * The admin dashboard (served at `/` by the admin port, built into client/dist/dashboard.js):
 * asks for the API key once (kept in sessionStorage, i.e. for this tab only), then polls
 * `/api/dashboard` every second and renders the figures, a uPlot chart of messages in/out per
 * second, and the busiest pipes. No framework: a few elements updated in place.
 */
import uPlot from "uplot";
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import type { DashboardSnapshot } from "./snapshot.ts";

const KEY_STORAGE = "comet.dashboard.key";
const POLL_MS = 1000;
/** The chart's time window: the server keeps this many one-second samples. */
const RATE_WINDOW_S = 300;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`dashboard page lacks #${id}`);
  return el as T;
};

function setText(id: string, value: string | number): void {
  const el = $(id);
  const text = typeof value === "number" ? formatNumber(value) : value;
  if (el.textContent !== text) el.textContent = text;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toFixed(1);
}

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
}

/** Replaces a table body's rows (few rows: rebuilding is simpler than diffing). */
function fillRows(id: string, rows: (string | number)[][], empty: string): void {
  const body = $(id);
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.appendChild(document.createElement("tr"));
    const td = tr.appendChild(document.createElement("td"));
    td.colSpan = 9;
    td.className = "empty";
    td.textContent = empty;
    return;
  }
  for (const row of rows) {
    const tr = body.appendChild(document.createElement("tr"));
    for (const cell of row) {
      const td = tr.appendChild(document.createElement("td"));
      td.textContent = typeof cell === "number" ? formatNumber(cell) : cell;
    }
  }
}

/** `HH:MM:SS` of a Unix time in seconds, in the viewer's time zone. */
const clockTime = (seconds: number) =>
  new Date(seconds * 1000).toLocaleTimeString("en-GB", { hour12: false });

const pipeLabel = (devId: number, pipe: string) => devId === 0 ? pipe : `${devId}: ${pipe}`;

/** A node's name, with its id where two nodes share a name (the default node_name is shared). */
function nodeLabel(n: DashboardSnapshot["nodes"][number], all: DashboardSnapshot["nodes"]): string {
  const shared = all.some((o) => o !== n && o.name === n.name);
  const name = shared ? `${n.name} [${n.id}]` : n.name;
  return n.self ? `${name} (this node)` : name;
}

class Dashboard {
  private chart: uPlot | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private key: string) {}

  start(): void {
    $("login").hidden = true;
    $("board").hidden = false;
    this.poll();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      const res = await fetch("/api/dashboard", {
        headers: { authorization: `Bearer ${this.key}` },
        cache: "no-store",
      });
      if (res.status === 401) {
        sessionStorage.removeItem(KEY_STORAGE);
        showLogin("Wrong API key");
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.render(await res.json() as DashboardSnapshot);
      setText("status", "live");
      $("status").className = "ok";
    } catch (e) {
      setText("status", `not reachable (${(e as Error).message}); retrying`);
      $("status").className = "bad";
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  private render(d: DashboardSnapshot): void {
    setText("node", d.node);
    setText("uptime", formatUptime(d.uptime));
    setText("connections", d.connections);
    setText("authorized", d.authorized);
    setText("users", d.users);
    setText("cometqlConnections", d.cometqlConnections);
    setText("pipes", d.pipes);
    setText("subscriptions", d.subscriptions);
    setText("messagesIn", d.messagesIn);
    setText("messagesOut", d.messagesOut);
    const last = d.rates.at(-1);
    setText("inRate", last ? last.in : 0);
    setText("outRate", last ? last.out : 0);
    setText("slowConsumerDrops", d.slowConsumerDrops);
    setText("storageDriver", d.storage.driver);
    setText("storageUp", d.storage.up ? "up" : "DOWN");
    $("storageUp").className = d.storage.up ? "ok" : "bad";
    setText("pendingHistoryWrites", d.storage.pendingHistoryWrites);
    setText("storageErrors", d.storage.errors);
    fillRows(
      "topBySubscribers",
      d.topBySubscribers.map((p) => [pipeLabel(p.devId, p.pipe), p.subscribers]),
      "no subscribers",
    );
    fillRows(
      "topByMessages",
      d.topByMessages.map((p) => [pipeLabel(p.devId, p.pipe), p.perSecond]),
      "no messages in the last 10 s",
    );
    fillRows(
      "nodes",
      d.nodes.map((n) => [
        nodeLabel(n, d.nodes),
        n.connections,
        n.authorized,
        n.users,
        formatUptime(n.uptime),
        n.self ? "now" : `${Math.max(0, (d.time - n.heartbeat) / 1000).toFixed(1)} s ago`,
      ]),
      "",
    );
    this.plot(d);
  }

  private plot(d: DashboardSnapshot): void {
    const data: uPlot.AlignedData = [
      d.rates.map((r) => r.time / 1000),
      d.rates.map((r) => r.in),
      d.rates.map((r) => r.out),
    ];
    const box = $("chart");
    if (this.chart === undefined) {
      this.chart = new uPlot(
        {
          width: box.clientWidth || 800,
          height: 260,
          scales: {
            // Always the last RATE_WINDOW seconds, so a young server's line starts at the right.
            x: { time: true, range: (_u, _min, max) => [max - RATE_WINDOW_S, max] },
            // Fan-out makes "out" many times "in": each has its own axis (in left, out right).
            in: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
            out: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
          },
          series: [
            {},
            { label: "in /s", scale: "in", stroke: "#2563eb", width: 2 },
            { label: "out /s", scale: "out", stroke: "#16a34a", width: 2 },
          ],
          axes: [
            { space: 70, values: (_u, ticks) => ticks.map(clockTime) },
            { scale: "in", size: 60, stroke: "#2563eb" },
            { scale: "out", side: 1, size: 70, stroke: "#16a34a", grid: { show: false } },
          ],
        },
        data,
        box,
      );
      addEventListener(
        "resize",
        () => this.chart?.setSize({ width: box.clientWidth, height: 260 }),
      );
    } else {
      this.chart.setData(data);
    }
  }
}

let running: Dashboard | undefined;

function showLogin(message: string): void {
  running?.stop();
  running = undefined;
  $("board").hidden = true;
  $("login").hidden = false;
  setText("loginError", message);
  $<HTMLInputElement>("key").focus();
}

function startWith(key: string): void {
  running?.stop();
  running = new Dashboard(key);
  running.start();
}

function main(): void {
  const style = document.createElement("style");
  style.textContent = uplotCss;
  document.head.append(style);
  $<HTMLFormElement>("loginForm").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $<HTMLInputElement>("key").value;
    sessionStorage.setItem(KEY_STORAGE, key);
    startWith(key);
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORAGE);
    showLogin("");
  });
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved !== null) startWith(saved);
  else showLogin("");
}

main();
