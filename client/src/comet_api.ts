/// <reference lib="dom" />
/**
 * The `cometApi` object: the public API of docs/protocol/websocket.md §9.3 on top of the tab group
 * (connection sharing), the transport (sockets) and the dispatcher (delivery). It owns the
 * options and the instance's subscriptions; everything about sockets lives below it.
 */
import type {
  CometCallback,
  CometOptions,
  CometServerApi,
  RecoveryCallback,
  RecoveryEvent,
  SignalCallback,
  TrackPipeUser,
  UserCountData,
  UserDataReply,
} from "./public_types.ts";
import { browserEnvironment, type CometEnvironment } from "./browser_environment.ts";
import {
  backoffPolicyOf,
  DEFAULT_OPTIONS,
  definedOnly,
  groupNameFor,
  mergeOptions,
  realUserKeyStateName,
  roundRobinNode,
  socketUrlsFor,
  statisticsOf,
} from "./client_settings.ts";
import { CometTransport, type TransportHooks } from "./comet_transport.ts";
import { getLogLevel, log, setLogLevel } from "./console_log.ts";
import {
  isServerInfo,
  normalizeUserCount,
  serverInfoAuthorized,
  serverInfoRealUserKey,
  type ServerMessage,
} from "./message_decoder.ts";
import { MessageDispatcher } from "./message_dispatcher.ts";
import { browserUuid, newMarker, newUuid, randomString, sanitizeUuid } from "./random_ids.ts";
import { ReplyRequests } from "./reply_requests.ts";
import { SignalBus } from "./signal_bus.ts";
import { RECOVERY_PIPE, StreamPositions } from "./stream_positions.ts";
import { type CometNode, nodesOf, useSecure } from "./socket_url.ts";
import {
  parseSubscriptionId,
  parseSubscriptionName,
  subscriptionId,
  SubscriptionList,
} from "./subscription_list.ts";
import { TabGroup, type TabGroupHooks, type TabRole } from "./tab_group.ts";
import { parseWebPipeArguments } from "./web_pipe_message.ts";
import * as commands from "./wire_commands.ts";

const AUTH_SUCCESS = "__comet_auth_success";
const AUTH_FAIL = "__comet_auth_fail";
const RECOVERY = "__comet_recovery";
/** The original sends statistics 5 s after connecting (docs/protocol/websocket.md §3.8). */
const STATISTICS_DELAY_MS = 5000;

export class CometApi implements CometServerApi {
  /**
   * Nodes used when the options name none: the comet server that served the script (set by the
   * entry points), so `start({dev_id: 0})` connects back to it.
   */
  static defaultNodes: string[] = [];

  private options: CometOptions = { ...DEFAULT_OPTIONS };
  private readonly bus = new SignalBus();
  private readonly subscriptions = new SubscriptionList();
  private readonly dispatcher = new MessageDispatcher(this.bus);
  /** Kept across restarts and user changes, so every reconnect resumes where the page was. */
  private readonly positions = new StreamPositions();
  private readonly requests = new ReplyRequests(
    this.bus,
    this.dispatcher,
    (c) => this.sendCommand(c),
  );
  private readonly tabUuid = newUuid();
  private group: TabGroup | undefined;
  private groupName = "";
  private chosenNode: number | undefined;
  private started = false;
  private role: TabRole | undefined;
  private authorized: boolean | undefined;
  private connected = false;
  private readyCallbacks: (() => void)[] = [];
  /** Commands issued before `start()`; sent once there is a connection to send them on. */
  private readonly beforeStart: string[] = [];
  private statisticsScheduled = false;

  constructor(private readonly env: CometEnvironment = browserEnvironment()) {}

  // ---- lifecycle (§9.3) ------------------------------------------------------------------

  /** Connects (or joins the tab that holds the connection); `onReady` runs once that is decided. */
  start(options?: CometOptions, onReady?: () => void): boolean {
    if (typeof onReady === "function") {
      if (this.role !== undefined) onReady();
      else this.readyCallbacks.push(onReady);
    }
    if (this.started) return this.restart(options);
    if (options) this.options = mergeOptions(this.options, options);
    this.started = true;
    this.openGroup();
    return true;
  }

  /**
   * Merges options and reconnects with them (a new user or key takes effect this way,
   * docs/protocol/websocket.md §5.1).
   */
  restart(options?: CometOptions): boolean {
    if (!this.started) return this.start(options);
    if (options) this.options = mergeOptions(this.options, options);
    const name = groupNameFor(this.options, CometApi.defaultNodes);
    if (name !== this.groupName || this.wantsSharing() !== this.group?.shared) {
      this.closeGroup(); // Different user or nodes: a different connection group.
      this.openGroup();
    } else {
      const { user_key, wss, uuid } = this.options;
      this.chosenNode = this.pickNode();
      this.group?.restart({ user_key, wss, uuid });
    }
    return true;
  }

  /** Disconnects for good (until the next `start`). */
  stop(): void {
    this.started = false;
    this.closeGroup();
  }

  // ---- subscriptions (§9.4) -------------------------------------------------------------

  subscription(callback: CometCallback): string;
  subscription(name: string, callback: CometCallback): string | false;
  subscription(nameOrCallback: string | CometCallback, callback?: CometCallback): string | false {
    const [name, cb] = typeof nameOrCallback === "function"
      ? ["", nameOrCallback]
      : [nameOrCallback, callback];
    if (typeof name !== "string" || typeof cb !== "function") {
      log.error("subscription(name, callback) needs a name and a function");
      return false;
    }
    if (name.includes("\n")) {
      const ids = name.split("\n").filter((n) => n !== "").map((n) => this.subscription(n, cb));
      return ids.filter((id) => id !== false).join("\n") || false;
    }
    const target = parseSubscriptionName(name);
    if ("refused" in target) {
      log.error(`subscription refused: ${target.refused}`);
      return false;
    }
    const slot = this.bus.connect(target.signal, cb as SignalCallback);
    const id = subscriptionId(target.signal, slot);
    if (this.subscriptions.add(id, target.pipe)) this.group?.setPipes(this.subscriptions.pipes());
    return id;
  }

  /** Removes a subscription; its pipe leaves the server-side list when nothing else needs it. */
  unsubscription(id: string): boolean {
    if (typeof id === "string" && id.includes("\n")) {
      return id.split("\n").map((one) => this.unsubscription(one)).some(Boolean);
    }
    const parsed = parseSubscriptionId(id);
    if (!parsed || !this.subscriptions.has(id)) return false;
    this.bus.disconnect(parsed.slot, parsed.signal);
    if (this.subscriptions.remove(id)) this.group?.setPipes(this.subscriptions.pipes());
    return true;
  }

  unsubscriptionAll(): void {
    for (const id of this.subscriptions.ids()) this.unsubscription(id);
  }

  // ---- publishing and requests (§3) ------------------------------------------------------

  web_pipe_send(pipe: string, event: string, message: unknown): boolean | undefined;
  web_pipe_send(pipeAndEvent: string, message: unknown): boolean | undefined;
  web_pipe_send(...args: unknown[]): boolean | undefined {
    const message = parseWebPipeArguments(args);
    if ("refused" in message) {
      log.error(`web_pipe_send: ${message.refused}`);
      return undefined;
    }
    const { pipe, target, event, body } = message;
    const result = this.sendCommand(commands.webPipeCommand(pipe, event, body));
    const sender = message.anonymous || !this.authorized ? 0 : Number(this.options.user_id);
    this.group?.echo({ data: body, event, pipe: target, user_id: sender });
    return result;
  }

  /**
   * Sends the message `count` times, `interval` ms apart, tagged so receivers keep only the first
   * copy (docs/protocol/websocket.md §9.6): for unreliable paths such as several nodes without a
   * cluster.
   */
  multi_web_pipe_send(pipe: string, event: string, message: unknown, count = 3, interval = 1000) {
    const tagged = message !== null && typeof message === "object" && !Array.isArray(message)
      ? { ...message, _cometApi_uuid: `jsapi${randomString(11)}` }
      : message;
    this.web_pipe_send(pipe, event, tagged);
    for (let i = 1; i < count; i++) {
      setTimeout(() => this.web_pipe_send(pipe, event, tagged), interval * i);
    }
  }

  /**
   * Requests the pipe's stored history. With a callback, it is also subscribed to the pipe (as in
   * the original); history entries carry `server_info.history === true`.
   */
  get_pipe_log(pipe: string, callback?: CometCallback): boolean {
    if (typeof pipe !== "string" || !commands.isValidName(pipe, 65) || pipe.length < 2) {
      log.error(`get_pipe_log: invalid pipe name "${pipe}"`);
      return false;
    }
    if (typeof callback === "function" && this.subscription(pipe, callback) === false) return false;
    this.requests.many((marker) => commands.pipeLogCommand(pipe, marker));
    return true;
  }

  count_users_in_pipe(pipe: string, callback: CometCallback<UserCountData>): boolean {
    if (typeof pipe !== "string" || !/^(web_|track_)/.test(pipe)) {
      log.error(`count_users_in_pipe: "${pipe}" must start with web_ or track_`);
      return false;
    }
    return this.requests.once(
      (m) => commands.pipeCountCommand(pipe, m),
      callback,
      normalizeUserCount,
    );
  }

  getTrackPipeUsers(pipe: string, callback: CometCallback<TrackPipeUser[]>): boolean {
    if (typeof pipe !== "string" || !pipe.startsWith("track_")) {
      log.error(`getTrackPipeUsers: "${pipe}" must start with track_`);
      return false;
    }
    return this.requests.once((m) => commands.trackPipeUsersCommand(pipe, m), callback);
  }

  getUserData(userId: number | string, callback: CometCallback<UserDataReply>): boolean {
    if (!/^\d+$/.test(String(userId))) {
      log.error(`getUserData: user id "${userId}" must be a number`);
      return false;
    }
    return this.requests.once((m) => commands.userDataCommand(m, String(userId)), callback);
  }

  sendStatistics(name: string, version: string, data?: unknown): boolean | undefined {
    return this.sendCommand(commands.statisticsCommand({
      ...statisticsOf(this.options, this.env.pageUrl),
      plugin: { name, version, data },
    }));
  }

  /** Sends a raw command (docs/protocol/websocket.md §3); queued while not connected. */
  send_msg(command: string): boolean | undefined {
    return this.sendCommand(String(command));
  }

  // ---- state and accessors ---------------------------------------------------------------

  onAuthSuccess(callback: () => void): string {
    return this.bus.connect(AUTH_SUCCESS, () => callback());
  }

  onAuthFail(callback: () => void): string {
    return this.bus.connect(AUTH_FAIL, () => callback());
  }

  /**
   * After each reconnect, once per resumed pipe this instance subscribes: whether every message
   * missed meanwhile was delivered (`recovered`), or some may be lost and the page should reload
   * its state (docs/client.md, _Recovery_).
   */
  onRecovery(callback: RecoveryCallback): string {
    return this.bus.connect(RECOVERY, (event) => callback(event as RecoveryEvent));
  }

  /** The original's misspelling, kept so existing pages work. */
  onAuthFalill(callback: () => void): string {
    return this.onAuthFail(callback);
  }

  /**
   * undefined until the first serverInfo, then what the server said (docs/protocol/websocket.md
   * §5.7).
   */
  isAuthorized(): boolean | undefined {
    return this.authorized;
  }

  /** undefined during the election, true in the tab that holds the connection. */
  isMaster(): boolean | undefined {
    return this.role === undefined ? undefined : this.role === "leader";
  }

  /** Whether a socket (this tab's, or the leader tab's) is open now. */
  isConnected(): boolean {
    return this.connected;
  }

  getUserId(): number | string | undefined {
    return this.options.user_id;
  }

  getUserKey(): string | undefined {
    return this.options.user_key;
  }

  getDevId(): number | string {
    return this.options.dev_id ?? 0;
  }

  getUUID(): string {
    return this.options.uuid ? sanitizeUuid(String(this.options.uuid)) : browserUuid();
  }

  getTabUUID(): string {
    return this.tabUuid;
  }

  getRealUserKey(): string | undefined {
    return this.bus.getState<string | undefined>(this.realUserKeyName(), undefined);
  }

  setRealUserKey(value: string): void {
    this.bus.setState(this.realUserKeyName(), value);
  }

  /** A fresh 10-character marker. */
  getCustomString(): string {
    return newMarker();
  }

  /**
   * Long-polling does not exist any more (docs/protocol/websocket.md §1.1), so WebSocket is always
   * used.
   */
  UseWebSocket(use?: boolean): boolean {
    if (use === false) log.warn("UseWebSocket(false): long-polling is not supported");
    return true;
  }

  UseWss(use?: boolean): boolean {
    if (use !== undefined) this.options.wss = Boolean(use);
    return this.isUseWss();
  }

  isUseWss(): boolean {
    return useSecure(this.options, this.nodes()[0], this.env.pageProtocol);
  }

  getLogLevel(): number {
    return getLogLevel();
  }

  setLogLevel(level: number): void {
    setLogLevel(level);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** The nodes of the current options, or the server that served the script. */
  private nodes(): CometNode[] {
    return nodesOf(this.options, CometApi.defaultNodes);
  }

  private realUserKeyName(): string {
    return realUserKeyStateName(this.options, CometApi.defaultNodes);
  }

  private wantsSharing(): boolean {
    return this.options.share_connection !== false &&
      this.env.locks !== undefined && this.env.BroadcastChannel !== undefined;
  }

  private pickNode(): number | undefined {
    return roundRobinNode(this.options, this.nodes().length);
  }

  private openGroup(): void {
    if (this.nodes().length === 0) {
      log.error('no node to connect to: call start({node: "host:port", dev_id: 0})');
      return;
    }
    this.groupName = groupNameFor(this.options, CometApi.defaultNodes);
    this.chosenNode = this.pickNode();
    const environment = this.wantsSharing() ? this.env : {};
    const hooks: TabGroupHooks = {
      role: (role) => this.onRole(role),
      message: (msg, fromOtherTab) => this.onMessage(msg, fromOtherTab),
      connectionChanged: (connected) => this.connected = connected,
      restartRequested: (options) => this.restart(definedOnly(options) as CometOptions),
    };
    this.group = new TabGroup(
      this.groupName,
      this.tabUuid,
      (transportHooks) => this.createTransport(transportHooks),
      hooks,
      environment,
      this.positions,
    );
    this.group.setPipes(this.subscriptions.pipes());
    this.group.start();
    for (const command of this.beforeStart.splice(0)) this.group.send(command);
  }

  /** The sockets of this instance, when it holds the connection (see TabGroup). */
  private createTransport(hooks: TransportHooks): CometTransport {
    return new CometTransport({
      urls: () =>
        socketUrlsFor(this.options, CometApi.defaultNodes, this.env.pageProtocol, this.getUUID()),
      chosenNode: () => this.chosenNode,
      createSocket: this.env.createSocket,
      backoff: () => backoffPolicyOf(this.options),
      isOnline: this.env.isOnline,
      positionOf: (pipe) => this.positions.get(pipe),
    }, hooks);
  }

  private closeGroup(): void {
    this.group?.stop();
    this.group = undefined;
    this.groupName = "";
    this.role = undefined;
    this.connected = false;
  }

  private onRole(role: TabRole): void {
    this.role = role;
    for (const ready of this.readyCallbacks.splice(0)) ready();
    if (role === "leader" && !this.options.nostat && !this.statisticsScheduled) {
      this.statisticsScheduled = true;
      setTimeout(() => {
        if (this.started && this.role === "leader") {
          this.sendCommand(
            commands.statisticsCommand(statisticsOf(this.options, this.env.pageUrl)),
          );
        }
      }, STATISTICS_DELAY_MS);
    }
  }

  private onMessage(msg: ServerMessage, fromOtherTab: boolean): void {
    if (isServerInfo(msg)) return this.onServerInfo(msg);
    if (msg.pipe === RECOVERY_PIPE) return this.onRecoveryReport(msg);
    if (msg.pipe === "sys" && msg.event === "error") log.warn("server error:", msg.data);
    this.dispatcher.dispatch(msg, fromOtherTab);
  }

  /**
   * serverInfo (docs/protocol/websocket.md §5.7): auth state and real user key; never passed to
   * subscribers.
   */
  private onServerInfo(msg: ServerMessage): void {
    const authorized = serverInfoAuthorized(msg);
    this.setRealUserKey(serverInfoRealUserKey(msg));
    if (authorized === this.authorized) return;
    this.authorized = authorized;
    this.bus.emit(authorized ? AUTH_SUCCESS : AUTH_FAIL);
  }

  /**
   * How resuming a pipe went (docs/protocol/recovery.md §3); `subscribed` (a first subscription,
   * nothing to recover) is not an event. Only pipes this instance subscribes are reported.
   */
  private onRecoveryReport(msg: ServerMessage): void {
    if (msg.event !== "recovered" && msg.event !== "not_recovered") return;
    const data = msg.data as { pipe?: unknown; replayed?: unknown };
    const pipe = typeof data?.pipe === "string" ? data.pipe : "";
    if (!this.subscriptions.pipes().includes(pipe)) return;
    const event: RecoveryEvent = {
      pipe,
      recovered: msg.event === "recovered",
      replayed: typeof data.replayed === "number" ? data.replayed : 0,
    };
    this.bus.emit(RECOVERY, event);
  }

  private sendCommand(command: string): boolean | undefined {
    if (this.group) return this.group.send(command);
    this.beforeStart.push(command);
    return false;
  }
}
