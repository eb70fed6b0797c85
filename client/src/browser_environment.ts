/// <reference lib="dom" />
/**
 * Everything the client takes from the page, in one object so tests can replace it (a fake
 * WebSocket, no Web Locks) and so that nothing else touches browser globals.
 */
import type { WebSocketFactory } from "./node_socket.ts";

export interface CometEnvironment {
  createSocket: WebSocketFactory;
  /** Web Locks; absent → one socket per instance. */
  locks?: LockManager;
  /** Absent → one socket per instance. */
  BroadcastChannel?: typeof BroadcastChannel;
  /** `location.protocol`: an https page needs wss. */
  pageProtocol?: string;
  /** `location.href`, reported by the statistics command. */
  pageUrl?: string;
  isOnline?: () => boolean;
}

export function browserEnvironment(): CometEnvironment {
  const nav = globalThis.navigator as Navigator | undefined;
  return {
    createSocket: (url) => new WebSocket(url),
    locks: nav?.locks,
    BroadcastChannel: typeof BroadcastChannel === "function" ? BroadcastChannel : undefined,
    pageProtocol: globalThis.location?.protocol,
    pageUrl: globalThis.location?.href,
    isOnline: () => nav?.onLine !== false,
  };
}
