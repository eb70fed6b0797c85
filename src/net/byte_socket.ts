/**
 * What the listeners need of a TCP connection. A `node:net` Socket has it, and so has the libc
 * socket of libc_sockets.ts; the browser port's phases and CometQL connections see nothing else.
 */
export interface ByteSocket {
  /** Sends now what the kernel takes; the rest is kept and sent in order (see writableLength). */
  write(data: Uint8Array): boolean;
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
