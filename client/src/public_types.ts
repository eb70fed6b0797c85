/// <reference lib="dom" />
/**
 * The public shape of the browser client (docs/protocol/websocket.md §9). Kept free of imports so
 * the build can turn it into the one self-contained `dist/comet_api.d.ts`.
 */

/**
 * Options of `start()` / `restart()` (docs/protocol/websocket.md §9.2); they are merged into the
 * current options.
 */
export interface CometOptions {
  /** Tenant number; 0 on a self-hosted server. */
  dev_id?: number | string;
  /** User id for authorization; 0 or unset means anonymous. */
  user_id?: number | string;
  /** Auth hash or JWT for `user_id` (docs/protocol/websocket.md §5). */
  user_key?: string;
  /** `host`, `host:port` or `host/prefix`, or several of them (docs/protocol/websocket.md §1.6). */
  node?: string | string[];
  /** Same as an array `node`. */
  nodes?: string[];
  /** Connect to one node only, chosen by `user_id % nodes.length`. */
  roundrobin?: boolean;
  /** true forces `wss://`, false forces `ws://`; unset follows the page (or the node's scheme). */
  wss?: boolean;
  /** true disables the (ignored by the server) statistics command. */
  nostat?: boolean;
  /** Browser identity (32 chars of `A-Za-z0-9_-`); default: generated once per browser. */
  uuid?: string;
  /**
   * false gives every instance its own socket; by default one socket per browser is shared by
   * all tabs with the same nodes, dev_id and user_id.
   */
  share_connection?: boolean;
  /** Upper bound of the first reconnect delay in ms (doubled per failed attempt). Default 1000. */
  reconnect_delay?: number;
  /** Cap of the reconnect delay in ms. Default 30000. */
  reconnect_max_delay?: number;
}

/** `server_info` of a delivered message (docs/protocol/websocket.md §9.5). */
export interface CometServerInfo {
  /** Sender's user id; 0 when anonymous or published by the backend. */
  user_id: number;
  pipe: string | undefined;
  event: string | undefined;
  /** true for entries replayed by `get_pipe_log`. */
  history: boolean;
  /** true for messages missed during a disconnection and delivered on the reconnect. */
  recovered: boolean;
  /** The message's position in its pipe's stream (undefined for other messages). */
  offset: number | undefined;
  marker: string | undefined;
  uuid: string | undefined;
}

/**
 * What a subscriber receives. `data` is the published body: parsed when it is JSON text, otherwise
 * the string exactly as published.
 */
// deno-lint-ignore no-explicit-any
export interface CometEvent<T = any> {
  data: T;
  server_info: CometServerInfo;
}

/** Subscriber callback: the event, the signal name that matched, and whether another tab got it. */
// deno-lint-ignore no-explicit-any
export type CometCallback<T = any> = (
  event: CometEvent<T>,
  signal: string,
  fromOtherTab: boolean,
) => void;

/** A slot of the pub/sub helper; `param` is whatever was emitted. */
export type SignalCallback = (param: unknown, signal: string, fromOtherTab: boolean) => void;

/** How resuming one pipe after a reconnect went (`onRecovery`). */
export interface RecoveryEvent {
  pipe: string;
  /**
   * true: every message published meanwhile was delivered (`replayed` of them, flagged
   * `server_info.recovered`), in order, before the live ones. false: some may be lost (the gap
   * outlived the server's recovery window, or the server restarted after a crash); reload the
   * pipe's state, live messages follow.
   */
  recovered: boolean;
  replayed: number;
}

export type RecoveryCallback = (event: RecoveryEvent) => void;

/** The `tabSignal` pub/sub helper (docs/protocol/websocket.md §9.1). */
export interface TabSignal {
  /** Adds a slot; returns its name (generated when only signal and callback are given). */
  connect(signal: string, callback: SignalCallback): string;
  connect(slotName: string, signal: string, callback: SignalCallback): string;
  /** Removes a slot; true when it existed. */
  disconnect(slotName: string, signal: string): boolean;
  /** Calls the signal's slots in this tab. */
  emit(signal: string, param?: unknown, fromOtherTab?: boolean): void;
  /** Calls the signal's slots in this tab and in the other tabs of this browser. */
  emitAll(signal: string, param?: unknown): void;
  /** Stores a value shared by all tabs (localStorage `tabSignal_<name>`). */
  setState(name: string, value: unknown): void;
  getState<T = unknown>(name: string, fallback?: T): T;
}

/** The `cometApi` object (docs/protocol/websocket.md §9.3). */
export interface CometServerApi {
  start(options?: CometOptions, onReady?: () => void): boolean;
  restart(options?: CometOptions): boolean;
  stop(): void;
  subscription(callback: CometCallback): string;
  subscription(name: string, callback: CometCallback): string | false;
  unsubscription(id: string): boolean;
  unsubscriptionAll(): void;
  web_pipe_send(pipe: string, event: string, message: unknown): boolean | undefined;
  web_pipe_send(pipeAndEvent: string, message: unknown): boolean | undefined;
  multi_web_pipe_send(
    pipe: string,
    event: string,
    message: unknown,
    count?: number,
    interval?: number,
  ): void;
  get_pipe_log(pipe: string, callback?: CometCallback): boolean;
  count_users_in_pipe(pipe: string, callback: CometCallback<UserCountData>): boolean;
  getTrackPipeUsers(pipe: string, callback: CometCallback<TrackPipeUser[]>): boolean;
  getUserData(userId: number | string, callback: CometCallback<UserDataReply>): boolean;
  sendStatistics(name: string, version: string, data?: unknown): boolean | undefined;
  onAuthSuccess(callback: () => void): string;
  /** Original spelling kept for compatibility; same as `onAuthFail`. */
  onAuthFalill(callback: () => void): string;
  onAuthFail(callback: () => void): string;
  /** Called per pipe after each reconnect: recovered or not (see RecoveryEvent). */
  onRecovery(callback: RecoveryCallback): string;
  isAuthorized(): boolean | undefined;
  isMaster(): boolean | undefined;
  getUserId(): number | string | undefined;
  getUserKey(): string | undefined;
  getDevId(): number | string;
  getUUID(): string;
  getTabUUID(): string;
  getRealUserKey(): string | undefined;
  setRealUserKey(value: string): void;
  getCustomString(): string;
  UseWebSocket(use?: boolean): boolean;
  UseWss(use?: boolean): boolean;
  isUseWss(): boolean;
  isConnected(): boolean;
  getLogLevel(): number;
  setLogLevel(level: number): void;
  send_msg(command: string): boolean | undefined;
}

/** `new cometServerApi()` gives an independent instance. */
export interface CometServerApiConstructor {
  new (): CometServerApi;
}

/**
 * `count_users_in_pipe` reply data: the server's array `["user_in_pipe", N]`, which also carries
 * `user_in_pipe: N` so code written for either documented form works.
 */
export type UserCountData = [string, number] & { user_in_pipe: number };

/** One entry of a `getTrackPipeUsers` reply: one per subscribed connection. */
export interface TrackPipeUser {
  user_id: number;
  uuid: string;
}

/** `getUserData` reply data. */
export interface UserDataReply {
  user_data: string;
  user_id: number;
}
