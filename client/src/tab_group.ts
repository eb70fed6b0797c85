/// <reference lib="dom" />
/**
 * One WebSocket per browser, shared by its tabs. The tab holding a Web Lock is the leader: it
 * owns the transport, subscribes the union of every tab's pipes, and relays all server traffic
 * over a BroadcastChannel; followers send their commands through the channel. When the leader tab
 * closes, the browser hands the lock to a waiting follower, which connects and asks the others
 * for their lists. Without Web Locks or BroadcastChannel every instance simply leads itself.
 * (The original's localStorage-based election was disabled in 4.08, docs/protocol/websocket.md
 * §9.8.)
 */
import type { CometTransport, TransportHooks } from "./comet_transport.ts";
import { isServerInfo, type ServerMessage } from "./message_decoder.ts";
import { mergePipeLists } from "./subscription_list.ts";
import type { StreamPositions } from "./stream_positions.ts";
import { log } from "./console_log.ts";

export type TabRole = "leader" | "follower";

export interface TabGroupHooks {
  /** The election ended for this instance (called again when a follower takes over). */
  role(role: TabRole): void;
  /** A server message (or a tab's published message) for this instance's subscribers. */
  message(msg: ServerMessage, fromOtherTab: boolean): void;
  connectionChanged(connected: boolean): void;
  /** A follower called `restart()`: the leader merges these options and reconnects. */
  restartRequested(options: Record<string, unknown>): void;
}

/**
 * What the group needs from the browser; absent members select the one-socket-per-instance mode.
 */
export interface TabGroupEnvironment {
  locks?: LockManager;
  BroadcastChannel?: typeof BroadcastChannel;
}

/** Messages on the group's BroadcastChannel. `from` is the sender's tab uuid. */
type Packet =
  | { t: "join"; from: string; pipes: string[] } // follower → leader, also every REFRESH_MS
  | { t: "leave"; from: string } // a member goes away (the leader too)
  | { t: "cmd"; from: string; cmd: string } // follower → leader: write this command
  | { t: "restart"; from: string; options: Record<string, unknown> }
  | { t: "leader"; from: string } // a new leader asks everyone to join
  | { t: "state"; from: string; connected: boolean; serverInfo?: ServerMessage }
  | { t: "msg"; from: string; msg: ServerMessage } // leader → all: server traffic
  | { t: "echo"; from: string; msg: ServerMessage }; // any → all: a message this tab published

/** Followers re-announce their pipes this often; the leader forgets silent ones after PRUNE_MS. */
const REFRESH_MS = 30_000;
const PRUNE_MS = 75_000;

export class TabGroup {
  private role: TabRole | undefined;
  private channel: BroadcastChannel | undefined;
  private abort: AbortController | undefined;
  private releaseLock: (() => void) | undefined;
  private transport: CometTransport | undefined;
  private ownPipes: readonly string[] = [];
  private readonly members = new Map<string, { pipes: string[]; seen: number }>();
  private leaderId: string | undefined;
  /** Commands issued while no leader is known; they go out once one is. */
  private readonly pending: string[] = [];
  private connected = false;
  private lastServerInfo: ServerMessage | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** The list last given to our transport, to forget the positions of pipes that leave it. */
  private transportPipes: readonly string[] = [];
  private readonly onPageHide = () => this.post({ t: "leave", from: this.tabId });
  private readonly onPageShow = (e: PageTransitionEvent) => {
    if (!e.persisted) return;
    if (this.role === "leader") this.post({ t: "leader", from: this.tabId });
    else this.announce();
  };

  constructor(
    /** Lock and channel name: tabs with the same nodes, dev_id and user_id share a socket. */
    private readonly name: string,
    private readonly tabId: string,
    private readonly createTransport: (hooks: TransportHooks) => CometTransport,
    private readonly hooks: TabGroupHooks,
    private readonly env: TabGroupEnvironment,
    /** Positions seen on each pipe: ours to resume from when this tab holds the connection. */
    private readonly positions: StreamPositions,
  ) {}

  /** Whether this instance shares a socket with others (false: it has its own). */
  get shared(): boolean {
    return this.channel !== undefined;
  }

  start(): void {
    const { locks, BroadcastChannel: Channel } = this.env;
    if (!locks || !Channel) return this.lead();
    this.channel = new Channel(this.name);
    this.channel.onmessage = (e: MessageEvent<Packet>) => this.receive(e.data);
    globalThis.addEventListener?.("pagehide", this.onPageHide);
    globalThis.addEventListener?.("pageshow", this.onPageShow);
    this.abort = new AbortController();
    const signal = this.abort.signal;
    locks.request(this.name, { ifAvailable: true }, (lock) => {
      if (lock) return this.holdLeadership();
      if (this.stopped) return;
      this.follow();
      // Queue for the lock: granted when the leader's tab closes.
      locks.request(this.name, { signal }, () => this.holdLeadership()).catch((err) => {
        if (!signal.aborted) log.error("tab leadership lock failed:", err);
      });
    }).catch((err) => log.error("tab leadership lock failed:", err));
  }

  stop(): void {
    this.stopped = true;
    this.post({ t: "leave", from: this.tabId });
    globalThis.removeEventListener?.("pagehide", this.onPageHide);
    globalThis.removeEventListener?.("pageshow", this.onPageShow);
    this.clearRefresh();
    this.abort?.abort();
    this.transport?.stop();
    this.transport = undefined;
    this.releaseLock?.();
    this.channel?.close();
    this.channel = undefined;
    this.role = undefined;
  }

  /** This instance's own server-side pipe list. */
  setPipes(pipes: readonly string[]): void {
    this.ownPipes = [...pipes];
    if (this.role === "leader") this.updateTransportPipes();
    else if (this.role === "follower") this.announce();
  }

  /**
   * Sends a command. true: written to a socket now; false: queued until connected (or until a
   * leader is known); undefined: handed to the leader tab.
   */
  send(command: string): boolean | undefined {
    if (this.role === "leader" && this.transport) return this.transport.send(command);
    if (this.role === "follower" && this.leaderId !== undefined) {
      this.post({ t: "cmd", from: this.tabId, cmd: command });
      return undefined;
    }
    this.pending.push(command);
    return false;
  }

  /**
   * Shows a message this instance published to the other members. They share our socket, which
   * the server leaves out of the delivery (docs/protocol/websocket.md §3.2), but with one socket
   * per tab they would have received it.
   */
  echo(msg: ServerMessage): void {
    this.post({ t: "echo", from: this.tabId, msg });
  }

  /** Reconnects with the current options (the leader's; a follower asks the leader). */
  restart(options: Record<string, unknown>): void {
    if (this.role === "leader") this.transport?.restart();
    else this.post({ t: "restart", from: this.tabId, options });
  }

  private holdLeadership(): Promise<void> | undefined {
    if (this.stopped) return undefined;
    this.lead();
    return new Promise<void>((resolve) => this.releaseLock = resolve);
  }

  private lead(): void {
    this.clearRefresh();
    this.role = "leader";
    this.leaderId = this.tabId;
    this.setConnected(false); // Our own transport starts closed, whatever the old leader had.
    this.transport = this.createTransport({
      message: (msg) => {
        if (!this.stopped) this.fromServer(msg);
      },
      connectionChanged: (connected) => {
        // Closing our own transport in stop() must not make the followers think we still lead.
        if (this.stopped) return;
        this.post({ t: "state", from: this.tabId, connected, serverInfo: this.lastServerInfo });
        this.setConnected(connected);
      },
    });
    this.updateTransportPipes();
    this.transport.start();
    for (const command of this.pending.splice(0)) this.transport.send(command);
    this.post({ t: "leader", from: this.tabId });
    log.info("this tab holds the connection");
    this.hooks.role("leader");
  }

  private follow(): void {
    this.role = "follower";
    this.announce();
    this.refreshTimer = setInterval(() => this.announce(), REFRESH_MS);
    this.hooks.role("follower");
  }

  private fromServer(msg: ServerMessage): void {
    if (!this.positions.observe(msg)) return; // Seen already (docs/protocol/recovery.md §3).
    if (isServerInfo(msg)) this.lastServerInfo = msg;
    this.post({ t: "msg", from: this.tabId, msg });
    this.hooks.message(msg, false);
  }

  private receive(p: Packet): void {
    if (this.stopped || !p || typeof p.t !== "string") return;
    if (p.t === "echo") return this.hooks.message(p.msg, true);
    if (this.role === "leader") this.receiveAsLeader(p);
    else this.receiveAsFollower(p);
  }

  private receiveAsLeader(p: Packet): void {
    switch (p.t) {
      case "join":
        this.members.set(p.from, { pipes: p.pipes, seen: Date.now() });
        this.updateTransportPipes();
        // The newcomer learns the connection and auth state (everyone else ignores repeats).
        this.post({
          t: "state",
          from: this.tabId,
          connected: this.connected,
          serverInfo: this.lastServerInfo,
        });
        break;
      case "leave":
        if (this.members.delete(p.from)) this.updateTransportPipes();
        break;
      case "cmd":
        this.transport?.send(p.cmd);
        break;
      case "restart":
        this.hooks.restartRequested(p.options);
        break;
    }
  }

  private receiveAsFollower(p: Packet): void {
    switch (p.t) {
      case "leader":
        this.leaderId = p.from;
        this.announce();
        this.flushPending();
        break;
      case "state":
        this.leaderId = p.from;
        if (p.serverInfo) this.hooks.message(p.serverInfo, true);
        this.setConnected(p.connected);
        this.flushPending();
        break;
      case "msg":
        this.leaderId = p.from;
        // Followers track positions too: whoever leads next resumes from them.
        if (this.positions.observe(p.msg)) this.hooks.message(p.msg, true);
        break;
      case "leave":
        if (p.from !== this.leaderId) break;
        // Until the next leader announces itself, commands wait here.
        this.leaderId = undefined;
        this.setConnected(false);
        break;
    }
  }

  /** Tells the leader which pipes this follower needs. */
  private announce(): void {
    if (this.role === "follower") {
      this.post({ t: "join", from: this.tabId, pipes: [...this.ownPipes] });
    }
  }

  private flushPending(): void {
    if (this.role !== "follower" || this.leaderId === undefined) return;
    for (const cmd of this.pending.splice(0)) this.post({ t: "cmd", from: this.tabId, cmd });
  }

  private updateTransportPipes(): void {
    const now = Date.now();
    for (const [id, member] of this.members) {
      if (now - member.seen > PRUNE_MS) this.members.delete(id); // A tab that died silently.
    }
    const lists = [this.ownPipes, ...[...this.members.values()].map((m) => m.pipes)];
    const merged = mergePipeLists(lists);
    const kept = new Set(merged);
    this.positions.forget(this.transportPipes.filter((pipe) => !kept.has(pipe)));
    this.transportPipes = merged;
    this.transport?.setPipes(merged);
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.hooks.connectionChanged(connected);
  }

  private post(packet: Packet): void {
    this.channel?.postMessage(packet);
  }

  private clearRefresh(): void {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}
