/// <reference lib="dom" />
/**
 * One WebSocket to one node, kept open: it reconnects after every drop it did not ask for, with
 * backoff (docs/protocol/websocket.md §2.3, §9.7). Our server drops TCP whenever a client must
 * reconnect (kick, token revocation, shutdown), so an unclean close always means "come back".
 */
import { type BackoffPolicy, reconnectDelay } from "./reconnect_backoff.ts";
import { log } from "./console_log.ts";

/** The part of the browser's WebSocket this module uses (a fake in unit tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

const OPEN = 1;

export interface NodeSocketHooks {
  open(node: NodeSocket): void;
  text(node: NodeSocket, text: string): void;
  closed(node: NodeSocket): void;
}

export interface NodeSocketSettings {
  /** Computed at every attempt, so `restart()` reconnects with the current options. */
  url: () => string;
  createSocket: WebSocketFactory;
  backoff: () => BackoffPolicy;
  /** Browser's `navigator.onLine`; attempts wait while it is false. */
  isOnline?: () => boolean;
}

/**
 * Close codes after which the server wants us to stay away (docs/protocol/websocket.md §2.3: a
 * server sends a Close frame only then). Any other close — above all 1006, the bare TCP drop — is
 * followed by a reconnect.
 */
function isFinalClose(ev: CloseEvent): boolean {
  return ev.wasClean &&
    (ev.code === 1000 || ev.code === 1008 || (ev.code >= 4000 && ev.code < 4500));
}

export class NodeSocket {
  private socket: WebSocketLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = true;

  constructor(
    readonly index: number,
    private readonly settings: NodeSocketSettings,
    private readonly hooks: NodeSocketHooks,
  ) {}

  get isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Connects now (and keeps reconnecting until `stop`). */
  start(): void {
    this.stopped = false;
    this.clearTimer();
    this.connect();
  }

  /** Drops the current socket and connects again at once, with the URL as it is now. */
  reconnectNow(): void {
    this.attempt = 0;
    this.discard();
    this.start();
  }

  /** Closes for good: no reconnect. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.discard();
  }

  /** Call once the server confirmed the session (serverInfo): the next drop starts from 1 s. */
  resetBackoff(): void {
    this.attempt = 0;
  }

  /** Writes one command; false when the socket is not open. */
  write(text: string): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(text);
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.settings.url();
    let socket: WebSocketLike;
    try {
      socket = this.settings.createSocket(url);
    } catch (err) {
      // E.g. a SecurityError for ws:// from an https page: report it and try again later.
      log.error(`cannot open ${url}:`, err);
      this.scheduleReconnect();
      return;
    }
    log.info("connecting", url);
    this.socket = socket;
    socket.onopen = () => {
      log.info("connected", url);
      this.hooks.open(this);
    };
    socket.onmessage = (ev) => {
      if (typeof ev.data === "string") this.hooks.text(this, ev.data);
    };
    socket.onerror = () => {
      // Always followed by a close event, which decides what to do.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return; // An old socket we already replaced.
      this.socket = undefined;
      this.hooks.closed(this);
      if (this.stopped) return;
      if (isFinalClose(ev)) {
        log.warn(`the server closed the connection (${ev.code} ${ev.reason}); not reconnecting`);
        this.stopped = true;
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt++, this.settings.backoff());
    log.info(`reconnecting in ${delay} ms`);
    this.clearTimer();
    this.timer = setTimeout(() => this.connectWhenOnline(), delay);
  }

  private connectWhenOnline(): void {
    this.timer = undefined;
    if (this.settings.isOnline && !this.settings.isOnline()) {
      this.timer = setTimeout(() => this.connectWhenOnline(), 1000);
      return;
    }
    this.connect();
  }

  /** Forgets the current socket (its late events are ignored) and closes it. */
  private discard(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = null;
    if (socket.readyState <= OPEN) socket.close(1000);
    this.hooks.closed(this);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
