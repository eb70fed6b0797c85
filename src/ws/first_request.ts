/**
 * The first phase of every connection on the browser port (docs/protocol/websocket.md §1.1–§1.4):
 * the first request is reassembled, its route chosen, and the connection either gets one plain-HTTP
 * response and is closed, or becomes a WebSocket session (`WsConnection`).
 */
import { Buffer } from "node:buffer";
import type { ByteSocket } from "../net/byte_socket.ts";
import type { BrowserNode } from "./browser_node.ts";
import { errorMessage } from "../core/messages.ts";
import type { Logger } from "../log.ts";
import { frameOf } from "./frame_codec.ts";
import { type HttpRequest, HttpRequestReader } from "./http_request.ts";
import {
  CLIENT_SCRIPTS,
  fixedResponse,
  httpResponse,
  notFoundResponse,
  routeOf,
} from "./http_routes.ts";
import type { BrowserPortGuard, Expirable } from "./browser_port_guard.ts";
import { StaticFileStream } from "./static_file_stream.ts";
import { openStaticFile } from "./static_files.ts";
import { ownCopy, readUpgradeRequest, switchingProtocols } from "./ws_handshake.ts";
import { WsConnection } from "./ws_connection.ts";
import { isWsUrlError, parseWsUrl } from "./ws_url.ts";

/** What handles a socket's bytes and its close, phase by phase. */
export interface SocketPhase {
  onData(chunk: Buffer): void;
  onClose(): void;
  /** Everything written so far has been sent (after a write the kernel did not take whole). */
  onDrain?(): void;
}

/** The phase of a connection refused by the guard (destroyed at once): nothing to do. */
export const REFUSED: SocketPhase = { onData() {}, onClose() {} };

export interface StaticFiles {
  /** Bytes of a built client library file, or undefined when it is not available. */
  clientScript(name: string): Uint8Array | undefined;
}

/** Where the listener keeps a socket's current phase (on the socket: no closure per socket). */
export const PHASE = Symbol("phase");

export type PhasedSocket = ByteSocket & { [PHASE]: SocketPhase };

/** What the listener shares with every connection. */
export interface PortContext {
  node: BrowserNode;
  log: Logger;
  staticFiles: StaticFiles;
  guard: BrowserPortGuard;
}

/**
 * The first request must be complete within `[limits] ws_handshake_timeout` seconds of the
 * accept, or the connection is dropped (issue 13, point 7).
 */
export class FirstRequest implements SocketPhase, Expirable {
  /** Null once the request is complete: later bytes of a plain-HTTP client are ignored. */
  private reader: HttpRequestReader | null = new HttpRequestReader();

  constructor(
    private socket: PhasedSocket,
    private port: PortContext,
  ) {
    port.guard.setDeadline(this, port.guard.limits.wsHandshakeTimeoutS);
  }

  expire(): void {
    this.port.log.debug("ws", `no complete request in time from ${this.socket.remoteAddress}`);
    this.socket.destroy();
  }

  onData(chunk: Buffer): void {
    if (this.reader === null) return;
    const result = this.reader.push(chunk);
    if (result.kind === "incomplete") return;
    this.reader = null;
    this.port.guard.clearDeadline(this);
    if (result.kind === "too large") {
      this.socket.destroy();
      return;
    }
    this.route(result.request, result.rest);
  }

  onClose(): void {
    this.port.guard.clearDeadline(this);
  }

  /** §1.1: WebSocket session, or one plain response and close. */
  private route(request: HttpRequest, rest: Buffer): void {
    const route = routeOf(request.method, request.target);
    if (route.kind === "websocket") return this.upgrade(request, rest);
    const { node, staticFiles } = this.port;
    const fixed = fixedResponse(route, node.config.main.nodeName);
    if (fixed !== undefined) return this.respond(fixed);
    if (route.kind === "clientScript") {
      const bytes = staticFiles.clientScript(route.name);
      return this.respond(
        bytes
          ? httpResponse(200, bytes, { contentType: CLIENT_SCRIPTS[route.name] })
          : notFoundResponse(),
      );
    }
    if (route.kind === "static") {
      const { baseDir } = node.config.main;
      // Nothing else bounds the connection while the file opens: the handshake deadline again.
      this.port.guard.setDeadline(this, this.port.guard.limits.wsHandshakeTimeoutS);
      openStaticFile(baseDir, route.path, node.config.contentTypes).then((found) => {
        this.port.guard.clearDeadline(this);
        if (found === undefined) return this.respond(notFoundResponse());
        if (this.socket.destroyed) return found.file.close();
        const stream = new StaticFileStream(this.socket, found.file, this.port.guard);
        this.socket[PHASE] = stream;
        stream.start(httpResponse(200, "", { contentType: found.contentType }));
      });
    }
  }

  /** Plain HTTP has no keep-alive (§1.1): write the response, then close once it is sent. */
  private respond(response: Uint8Array): void {
    if (this.socket.destroyed) return;
    this.socket.write(response);
    this.socket.destroySoon();
  }

  /** §1.3/§1.4: 101, then either the session or one error frame and a bare TCP close. */
  private upgrade(request: HttpRequest, rest: Buffer): void {
    const { node, log } = this.port;
    const socket = this.socket;
    const upgradeRequest = readUpgradeRequest(request);
    if (upgradeRequest.key === undefined) {
      socket.destroy(); // no key: no response at all, even for a valid URL
      return;
    }
    const accepted = switchingProtocols(upgradeRequest.key, upgradeRequest.chatOffered);
    const params = parseWsUrl(request.target, node.config.main.devIndexSize);
    if (isWsUrlError(params)) {
      const error = errorMessage({
        error: params.text,
        error_code: params.code,
        info: "Closed due to error. See last message.",
      });
      socket.write(Buffer.concat([accepted, frameOf(error, params.format)]));
      socket.destroySoon();
      log.debug("ws", `handshake error ${params.code} from ${socket.remoteAddress}`);
      return;
    }
    const connection = new WsConnection(socket, node, {
      devId: params.devId,
      uuid: ownCopy(params.uuid),
      format: params.format,
      userAgent: upgradeRequest.userAgent,
      origin: upgradeRequest.origin,
      language: upgradeRequest.language,
    }, this.port.guard);
    socket[PHASE] = connection;
    // The 101 goes out in the connection's first write, with serverInfo when the authorization
    // answers within this turn (anonymous and cached users): one send instead of two.
    connection.start(accepted, params.key, params.userId, rest);
  }
}
