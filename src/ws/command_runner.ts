/**
 * Runs one browser command (docs/protocol/websocket.md §3) for one connection against the core.
 * Replies go back through the connection's `send`; commands that read storage return a promise, and
 * the connection runs its next command only after it settles, so replies keep the request order.
 */
import type { BrowserNode } from "./browser_node.ts";
import { errorMessage } from "../core/messages.ts";
import {
  historyMessage,
  pipeCountMessage,
  trackUsersMessage,
  userDataMessage,
  userStatusMessage,
  webPipeAnswer,
} from "./command_replies.ts";
import type { Subscriber } from "../core/subscriber.ts";
import { parseCommand } from "./browser_commands.ts";
import type { ErrorData } from "./checked_name.ts";

/** What a command needs from its connection besides the Subscriber side. */
export interface CommandConnection extends Subscriber {
  /** Writes what is queued, then closes TCP (no Close frame, docs/protocol/websocket.md §2.3). */
  closeAfterWrite(): void;
}

/** §3.3: at most this many history entries per `pipe_log`. */
export const HISTORY_PER_REQUEST = 99;

export function runCommand(
  node: BrowserNode,
  conn: CommandConnection,
  payload: string,
): Promise<void> | undefined {
  const cmd = parseCommand(payload, conn.userId > 0);
  switch (cmd.kind) {
    case "subscription": {
      // §3.1: a list that closes the connection subscribes nothing (the close leaves all pipes).
      // With other nodes, the next command waits until their publishes to the new pipes arrive.
      const listening = cmd.close ? undefined : node.setSubscriptions(conn, cmd.pipes);
      sendErrors(conn, cmd.errors);
      if (cmd.close) conn.closeAfterWrite();
      return listening ?? undefined;
    }
    case "resume":
      // Subscribes, replays what each pipe missed, then says how it went (recovery.md §3).
      sendErrors(conn, cmd.errors);
      return node.resumeSubscriptions(conn, cmd.pipes) ?? undefined;
    case "webPipe": {
      // §3.2: S3 to the pipe's other subscribers, then S4 to the sender with the count.
      const sent = node.publishFromBrowser(conn, cmd.pipe, cmd.event, cmd.body, cmd.anonymous);
      if (!(sent instanceof Promise)) {
        conn.send(webPipeAnswer(cmd.pipe, cmd.body, sent.delivered, sent.at));
        return;
      }
      // Several nodes: the report waits for the count of every node's subscribers.
      return sent.then((s) => {
        conn.send(webPipeAnswer(cmd.pipe, cmd.body, s.delivered, s.at));
      }, failed(node, `web_pipe2 ${cmd.pipe}`));
    }
    case "pipeLog":
      return node.readHistory(conn.devId, cmd.pipe, HISTORY_PER_REQUEST).then((entries) => {
        for (const e of entries) {
          conn.send(historyMessage(cmd.pipe, e.event, e.message, e.userId, e.time, cmd.marker));
        }
      }, failed(node, `pipe_log ${cmd.pipe}`));
    case "pipeCount":
      return node.countSubscribersEverywhere(conn.devId, cmd.pipe).then((count) => {
        conn.send(pipeCountMessage(count, cmd.marker));
      }, failed(node, `pipe_count ${cmd.pipe}`));
    case "trackPipeUsers":
      return node.subscribersEverywhere(conn.devId, cmd.pipe).then((subscribers) => {
        const users = subscribers.map((s) => ({ user_id: s.userId, uuid: s.uuid }));
        conn.send(trackUsersMessage(users, cmd.marker));
      }, failed(node, `track_pipe_users ${cmd.pipe}`));
    case "userData":
      return node.userData(conn.devId, cmd.userId).then((data) => {
        conn.send(userDataMessage(cmd.userId, data, cmd.marker));
      }, failed(node, `user_data ${cmd.userId}`));
    case "userStatus":
      return node.lastOnline(conn.devId, cmd.userId).then((time) => {
        conn.send(userStatusMessage(cmd.userId, time));
      }, failed(node, `user_status ${cmd.userId}`));
    case "cometqlCall":
      // §3.8: an unfinished feature of the original; the token is verified and nothing is sent.
      return node.verifyJwt(conn.devId, cmd.token, conn.userId).then(
        () => {},
        failed(node, "CometQL_call"),
      );
    case "ignored":
      return;
    case "invalid":
      sendErrors(conn, cmd.errors);
      return;
    case "unknown":
      // §3.0: any other payload closes the connection.
      conn.drop();
      return;
  }
}

function sendErrors(conn: Subscriber, errors: ErrorData[]): void {
  for (const data of errors) conn.send(errorMessage(data));
}

/**
 * A storage failure while answering: logged, and the browser gets no reply, as when the original
 * lost its MySQL connection. The connection stays usable.
 */
function failed(node: BrowserNode, what: string): (e: unknown) => void {
  return (e) => {
    node.stats.storageErrors++;
    node.log.warn("ws", `${what} not answered: ${e}`);
  };
}
