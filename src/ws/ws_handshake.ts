/**
 * The WebSocket opening handshake (docs/protocol/websocket.md §1.3): what the server needs from the
 * upgrade request, and the exact 101 response the original sends.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { headerOf, type HttpRequest } from "./http_request.ts";

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The original accepts keys of at most 50 characters (§1.3). */
const MAX_KEY_LENGTH = 50;
const MAX_USER_AGENT = 250;
const MAX_ORIGIN = 250;
const MAX_LANGUAGE = 64;

export interface UpgradeRequest {
  /** `Sec-WebSocket-Key`; undefined → close without any response (§1.3). */
  key: string | undefined;
  /** `chat` was among the offered subprotocols. */
  chatOffered: boolean;
  userAgent: string;
  origin: string;
  language: string;
}

/**
 * Reads the handshake headers. Header names are matched case-insensitively (RFC 9110); the
 * original wanted the exact spelling `Sec-WebSocket-Key: `, which every browser sends anyway.
 */
export function readUpgradeRequest(request: HttpRequest): UpgradeRequest {
  const key = headerOf(request, "Sec-WebSocket-Key");
  const protocols = headerOf(request, "Sec-WebSocket-Protocol") ?? "";
  return {
    key: key && key.length <= MAX_KEY_LENGTH ? key : undefined,
    chatOffered: protocols.split(",").some((p) => p.trim() === "chat"),
    userAgent: ownCopy(headerOf(request, "User-Agent"), MAX_USER_AGENT),
    origin: ownCopy(headerOf(request, "Origin"), MAX_ORIGIN),
    language: ownCopy(headerOf(request, "Accept-Language"), MAX_LANGUAGE),
  };
}

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
export function acceptValue(key: string): string {
  return createHash("sha1").update(key + WS_GUID).digest("base64");
}

/**
 * The 101 response, byte for byte as the original writes it. `Sec-WebSocket-Protocol: chat` is
 * added only when `chat` was offered (the original added it whenever the header was present,
 * which makes browsers that offered something else fail the connection).
 */
export function switchingProtocols(key: string, chatOffered: boolean): Buffer {
  return Buffer.from(
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptValue(key)}\r\n` +
      "Sec-WebSocket-Version: 13\r\n" +
      (chatOffered ? "Sec-WebSocket-Protocol: chat\r\n" : "") +
      "\r\n",
    "latin1",
  );
}

/**
 * A truncated copy that does not keep the whole request text alive: V8 substrings point into
 * their parent, and an idle connection should hold only its own few bytes.
 */
export function ownCopy(value: string | undefined, max = Infinity): string {
  if (!value) return "";
  return Buffer.from(value.slice(0, max), "utf8").toString("utf8");
}
