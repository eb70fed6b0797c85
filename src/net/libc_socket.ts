/**
 * One accepted connection of the libc transport (`FlowSocket` on a non-blocking fd): writes are
 * sent at once and queued past what the kernel takes, then sent when epoll says writable; reading
 * pauses and resumes by changing the epoll interest. Its events come from the loop that watches it
 * (libc_listener.ts) and go to the listener's handlers.
 */
import { Buffer } from "node:buffer";
import type { ConnectionHandlers, FlowSocket } from "./byte_socket.ts";
import { AF_INET, compressIpv6 } from "./socket_address.ts";
import {
  EAGAIN,
  EPOLL_CTL_MOD,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  errno,
  ERRNO_NAMES,
  libc,
  MSG_NOSIGNAL,
  send,
  SHUT_WR,
} from "./libc_ffi.ts";

/** What a socket needs from the loop that watches its fd (EpollLoop in libc_listener.ts). */
export interface SocketLoop {
  readonly handlers: ConnectionHandlers;
  /** epoll_ctl with one event whose data is the fd. */
  watch(op: number, fd: number, events: number): void;
  /** The socket closed: stop routing events to it. */
  forget(fd: number): void;
  /** Reads what the socket has into a fresh chunk, or 0 (EOF) / −errno. */
  read(fd: number): Buffer | number;
}

/** One accepted connection; its events go to the listener's handlers. */
export class LibcSocket implements FlowSocket {
  destroyed = false;
  private reading = true;
  /** Bytes the kernel did not take yet, oldest first; null when there are none. */
  private unsent: Uint8Array[] | null = null;
  private unsentBytes = 0;
  /** Bytes the kernel has taken from `sendUnsent` so far (positions for `confirmations`). */
  private sent = 0;
  /**
   * Write callbacks (`write(data, onWritten)`) waiting for the kernel to take their data: each
   * with the value `sent` must reach. Null when there are none (always, on the fan-out path).
   */
  private confirmations: { end: number; onWritten: () => void }[] | null = null;
  private endWhenSent = false;
  private peer: string | undefined;

  constructor(private readonly fd: number, private readonly loop: SocketLoop) {}

  get writableLength(): number {
    return this.unsentBytes;
  }

  get remoteAddress(): string | undefined {
    if (this.peer === undefined && !this.destroyed) this.peer = peerAddress(this.fd);
    return this.peer;
  }

  write(data: Uint8Array, onWritten?: () => void): boolean {
    if (this.destroyed) return false;
    if (data.length === 0) {
      if (onWritten !== undefined) this.confirmAfterUnsent(onWritten);
      return true;
    }
    if (this.unsent !== null) {
      this.unsent.push(data);
      this.unsentBytes += data.length;
      if (onWritten !== undefined) this.confirmAfterUnsent(onWritten);
      return false;
    }
    const n = send(this.fd, data, data.length, MSG_NOSIGNAL);
    if (n === data.length) {
      onWritten?.();
      return true;
    }
    if (n < 0) {
      const code = errno();
      if (code !== EAGAIN) return this.fail(code);
    }
    const rest = n > 0 ? data.subarray(n) : data;
    this.unsent = [rest];
    this.unsentBytes = rest.length;
    if (onWritten !== undefined) this.confirmAfterUnsent(onWritten);
    this.updateInterest();
    return false;
  }

  /** `onWritten` runs once everything unsent now has been taken by the kernel. */
  private confirmAfterUnsent(onWritten: () => void): void {
    if (this.unsent === null) return onWritten();
    (this.confirmations ??= []).push({ end: this.sent + this.unsentBytes, onWritten });
  }

  /** Runs the callbacks whose data the kernel has now taken whole, oldest first. */
  private confirmSent(): void {
    const confirmations = this.confirmations!;
    let k = 0;
    while (k < confirmations.length && confirmations[k].end <= this.sent) k++;
    if (k === 0) return;
    const done = confirmations.splice(0, k);
    if (confirmations.length === 0) this.confirmations = null;
    for (const c of done) c.onWritten();
  }

  /** Stops reading (the kernel holds what arrives) until `resume`. */
  pause(): void {
    if (!this.reading || this.destroyed) return;
    this.reading = false;
    this.updateInterest();
  }

  resume(): void {
    if (this.reading || this.destroyed) return;
    this.reading = true;
    this.updateInterest();
  }

  private updateInterest(): void {
    const events = (this.reading ? EPOLLIN | EPOLLRDHUP : 0) | (this.unsent ? EPOLLOUT : 0);
    this.loop.watch(EPOLL_CTL_MOD, this.fd, events);
  }

  /** A send or receive failed: report it as node:net would, then close. */
  private fail(code: number): false {
    const name = ERRNO_NAMES[code] ?? `E${code}`;
    const error = Object.assign(new Error(`${name} (errno ${code})`), { code: name });
    this.loop.handlers.onSocketError?.(this, error);
    this.destroy();
    return false;
  }

  /** Closes at once (a bare TCP close); `onClose` follows after the current job. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unsent = null;
    this.unsentBytes = 0;
    this.confirmations = null; // never taken whole: the owner learns of it from onClose
    this.loop.forget(this.fd);
    libc!.close(this.fd); // also leaves the epoll set
    queueMicrotask(() => this.loop.handlers.onClose(this));
  }

  /** Closes once everything written so far has been sent. */
  destroySoon(): void {
    if (this.unsent === null) {
      libc!.shutdown(this.fd, SHUT_WR);
      this.destroy();
    } else this.endWhenSent = true;
  }

  /** Called by the loop with the epoll flags of this socket. */
  onEvents(flags: number): void {
    if ((flags & EPOLLOUT) !== 0) this.sendUnsent();
    if (this.destroyed || (flags & ~EPOLLOUT) === 0) return;
    const chunk = this.loop.read(this.fd);
    if (typeof chunk !== "number") this.loop.handlers.onData(this, chunk);
    else if (chunk === 0) this.destroy(); // EOF: the peer closed
    else if (chunk !== -EAGAIN) this.fail(-chunk);
  }

  private sendUnsent(): void {
    const unsent = this.unsent;
    if (unsent === null) return;
    while (unsent.length > 0) {
      const data = unsent[0];
      const n = send(this.fd, data, data.length, MSG_NOSIGNAL);
      if (n < 0) {
        const code = errno();
        if (code !== EAGAIN) this.fail(code);
        return;
      }
      this.unsentBytes -= n;
      this.sent += n;
      if (n < data.length) {
        unsent[0] = data.subarray(n);
        if (this.confirmations !== null) this.confirmSent();
        return;
      }
      unsent.shift();
    }
    this.unsent = null;
    if (this.confirmations !== null) this.confirmSent();
    if (this.destroyed) return;
    this.updateInterest();
    if (this.endWhenSent) this.destroySoon();
    else this.loop.handlers.onDrain?.(this);
  }
}

/** The peer's address as node:net writes it (IPv4 dotted; IPv6 compressed, v4-mapped kept). */
function peerAddress(fd: number): string | undefined {
  const address = new Uint8Array(28);
  const length = new Uint32Array([28]);
  if (libc!.getpeername(fd, address, new Uint8Array(length.buffer)) !== 0) return undefined;
  const view = new DataView(address.buffer);
  if (view.getUint16(0, true) === AF_INET) return address.subarray(4, 8).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(8 + 2 * i, false));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${address.subarray(20, 24).join(".")}`;
  }
  return compressIpv6(groups);
}
