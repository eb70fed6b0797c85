import type { Buffer } from "node:buffer";

/**
 * What the listeners need of a TCP connection. A `node:net` Socket has it, and so has the libc
 * socket of libc_sockets.ts; the browser port's phases and CometQL connections see nothing else.
 */
export interface ByteSocket {
  /**
   * Sends now what the kernel takes; the rest is kept and sent in order (see writableLength).
   * `onWritten`, when given, is called once the kernel has taken the whole of `data` (possibly
   * before `write` returns), or with an error when the connection failed first (node:net; the
   * libc socket then never calls it). Callbacks of successive writes run in write order. Only
   * for writes that must be confirmed (the offline queue): the fan-out passes none.
   */
  write(data: Uint8Array, onWritten?: (error?: Error | null) => void): boolean;
  /** Bytes written but not yet taken by the kernel. */
  readonly writableLength: number;
  readonly destroyed: boolean;
  readonly remoteAddress?: string;
  /** Closes the connection now (a bare TCP close, no WebSocket Close frame). */
  destroy(): void;
  /** Closes the connection once what was written has been sent. */
  destroySoon(): void;
}

/** A connection whose reading can be stopped while its replies wait to be sent (CometQL). */
export interface FlowSocket extends ByteSocket {
  pause(): void;
  resume(): void;
}

/**
 * What a listener does with its connections: one object for all of them, called with the
 * socket, so a connection costs no closures of its own (it keeps its state on or by the socket).
 */
export interface ConnectionHandlers {
  onConnection(socket: FlowSocket): void;
  onData(socket: FlowSocket, chunk: Buffer): void;
  /** The connection is gone (closed by either side, or destroyed); called once, last. */
  onClose(socket: FlowSocket): void;
  /** Everything written has been sent, after a write the kernel did not take whole. */
  onDrain?(socket: FlowSocket): void;
  /** A connection failed (reset, broken pipe…); `onClose` follows. */
  onSocketError?(socket: FlowSocket, error: Error & { code?: string }): void;
  /** The listener itself has a problem (it keeps running). */
  onListenerError(message: string): void;
}
