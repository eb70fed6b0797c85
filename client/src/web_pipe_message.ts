/// <reference lib="dom" />
/**
 * The arguments of `web_pipe_send` (docs/protocol/websocket.md §3.2, §9.3) turned into one checked
 * publication: `(pipe, event, message)`, `("pipe.event", message)` or `(pipe, message)` with the
 * event `"undefined"`, as the original client sends it.
 */
import { isValidName } from "./wire_commands.ts";

export interface WebPipeMessage {
  /** As written, `@` included (anonymous publishing). */
  pipe: string;
  /** Without the `@`: where the message is delivered. */
  target: string;
  anonymous: boolean;
  event: string;
  /** `JSON.stringify(message)`: receivers get exactly this value back. */
  body: string;
}

export function parseWebPipeArguments(args: unknown[]): WebPipeMessage | { refused: string } {
  let [pipe, event, message] = args;
  if (args.length < 3) {
    message = args[1];
    const text = String(pipe);
    const dot = text.indexOf(".");
    [pipe, event] = dot === -1 ? [text, "undefined"] : [text.slice(0, dot), text.slice(dot + 1)];
  }
  // `@web_` is the anonymous form; the server does not accept `@webauth_`.
  if (typeof pipe !== "string" || !/^(@?web_|webauth_)/.test(pipe)) {
    return { refused: `"${pipe}" must start with web_, webauth_ or @web_` };
  }
  const anonymous = pipe.startsWith("@");
  const target = anonymous ? pipe.slice(1) : pipe;
  const eventName = String(event);
  if (!isValidName(target) || !isValidName(eventName)) {
    return { refused: `names may only contain A-Za-z0-9_- (${pipe}, ${eventName})` };
  }
  const body = JSON.stringify(message) ?? "null";
  return { pipe, target, anonymous, event: eventName, body };
}
