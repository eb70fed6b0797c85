/// <reference lib="dom" />
/**
 * The sockets of one client: one per node (or one chosen node with `roundrobin`), the outgoing
 * queue, and the server-side pipe list (docs/protocol/websocket.md §1.6, §3.1, §9.7).
 */
import { NodeSocket, type WebSocketFactory } from "./node_socket.ts";
import type { BackoffPolicy } from "./reconnect_backoff.ts";
import { isServerInfo, parseFrame, type ServerMessage } from "./message_decoder.ts";
import { resumeCommand } from "./wire_commands.ts";
import type { StreamPosition } from "./stream_positions.ts";
import { log } from "./console_log.ts";

export interface TransportSettings {
  /** Current URL of every node, recomputed at each attempt (restart picks up new options). */
  urls: () => string[];
  /** Index of the only node to use, or undefined for all of them. */
  chosenNode: () => number | undefined;
  createSocket: WebSocketFactory;
  backoff: () => BackoffPolicy;
  isOnline?: () => boolean;
  /** The last position seen on a pipe, sent with the list so the server replays what was missed. */
  positionOf: (pipe: string) => StreamPosition | undefined;
}

export interface TransportHooks {
  message(msg: ServerMessage): void;
  connectionChanged(connected: boolean): void;
}

/** Bound on commands kept while disconnected; beyond it the oldest are dropped (and logged). */
const MAX_QUEUED = 1000;
/** Subscription changes within this window go out as one list. */
const SUBSCRIPTION_DEBOUNCE_MS = 20;

export class CometTransport {
  private nodes: NodeSocket[] = [];
  private readonly queue: string[] = [];
  private pipes: readonly string[] = [];
  /** Last list written to each node, so an unchanged list is not resent. */
  private readonly sentPipes = new Map<NodeSocket, string>();
  private subscriptionTimer: ReturnType<typeof setTimeout> | undefined;
  private connected = false;

  constructor(
    private readonly settings: TransportSettings,
    private readonly hooks: TransportHooks,
  ) {}

  start(): void {
    this.stopNodes();
    const urls = this.settings.urls();
    const chosen = this.settings.chosenNode();
    const indexes = chosen === undefined ? urls.map((_, i) => i) : [chosen];
    this.nodes = indexes.map((i) =>
      new NodeSocket(i, {
        url: () => this.settings.urls()[i],
        createSocket: this.settings.createSocket,
        backoff: this.settings.backoff,
        isOnline: this.settings.isOnline,
      }, {
        open: (node) => this.onOpen(node),
        text: (node, text) => this.onText(node, text),
        closed: () => this.updateConnected(),
      })
    );
    for (const node of this.nodes) node.start();
  }

  /** Reconnects every socket now with the current URLs (new key, user, nodes…). */
  restart(): void {
    const count = this.settings.chosenNode() === undefined ? this.settings.urls().length : 1;
    if (count !== this.nodes.length) return this.start();
    for (const node of this.nodes) node.reconnectNow();
  }

  stop(): void {
    this.stopNodes();
    this.clearSubscriptionTimer();
  }

  /**
   * Sends one command to every open socket (§1.6); queues it when none is open. Returns true when
   * written now, false when queued.
   */
  send(command: string): boolean {
    this.flushSubscriptions(); // A command may depend on a subscription made just before it.
    const open = this.nodes.filter((n) => n.isOpen);
    if (open.length === 0) {
      this.queue.push(command);
      if (this.queue.length > MAX_QUEUED) {
        log.warn("not connected: dropping the oldest queued command", this.queue.shift());
      }
      return false;
    }
    log.debug("send", command);
    for (const node of open) node.write(command);
    return true;
  }

  /** Sets the full server-side pipe list; sent shortly after (and on every (re)connect). */
  setPipes(pipes: readonly string[]): void {
    this.pipes = [...pipes];
    if (this.subscriptionTimer === undefined) {
      this.subscriptionTimer = setTimeout(
        () => this.flushSubscriptions(),
        SUBSCRIPTION_DEBOUNCE_MS,
      );
    }
  }

  private flushSubscriptions(): void {
    this.clearSubscriptionTimer();
    for (const node of this.nodes) if (node.isOpen) this.sendPipes(node);
  }

  /**
   * Writes the list to a node unless it already has exactly this list. It goes as `resume` with
   * the positions seen (docs/protocol/recovery.md §3): on a new connection the server replays
   * what each pipe missed; pipes the connection already has ignore their position.
   */
  private sendPipes(node: NodeSocket): void {
    const list = this.pipes.join("\n");
    const last = this.sentPipes.get(node);
    // A fresh connection has no subscriptions: an empty list needs no command then.
    if (list === last || (last === undefined && this.pipes.length === 0)) return;
    const command = resumeCommand(this.pipes, this.settings.positionOf);
    log.debug("send", command);
    if (node.write(command)) this.sentPipes.set(node, list);
  }

  private onOpen(node: NodeSocket): void {
    this.sentPipes.delete(node);
    this.sendPipes(node); // Resubscribe first: the server forgot everything with the old socket.
    const queued = this.queue.splice(0);
    for (const command of queued) {
      log.debug("send (queued)", command);
      node.write(command);
    }
    this.updateConnected();
  }

  private onText(node: NodeSocket, text: string): void {
    log.debug("recv", text);
    for (const msg of parseFrame(text)) {
      if (isServerInfo(msg)) node.resetBackoff();
      this.hooks.message(msg);
    }
  }

  private updateConnected(): void {
    for (const node of this.nodes) if (!node.isOpen) this.sentPipes.delete(node);
    const connected = this.nodes.some((n) => n.isOpen);
    if (connected === this.connected) return;
    this.connected = connected;
    this.hooks.connectionChanged(connected);
  }

  private stopNodes(): void {
    const nodes = this.nodes;
    this.nodes = [];
    for (const node of nodes) node.stop();
    this.sentPipes.clear();
    this.updateConnected();
  }

  private clearSubscriptionTimer(): void {
    if (this.subscriptionTimer !== undefined) clearTimeout(this.subscriptionTimer);
    this.subscriptionTimer = undefined;
  }
}
