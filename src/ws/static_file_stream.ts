/**
 * A static file sent to one browser-port client in chunks (issue 13, point 8): at most
 * `[limits] static_pending_max` bytes are read ahead of what the client has taken, so a client
 * that never reads holds that much, not the whole file. A client that takes nothing for
 * `ws_handshake_timeout` seconds is dropped (the guard's deadline, renewed on progress).
 */
import type { ByteSocket } from "../net/byte_socket.ts";
import type { BrowserPortGuard, Expirable } from "./browser_port_guard.ts";
import type { SocketPhase } from "./first_request.ts";

const CHUNK = 64 * 1024;

export class StaticFileStream implements SocketPhase, Expirable {
  private reading = false;
  private done = false;

  constructor(
    private socket: ByteSocket,
    private file: Deno.FsFile,
    private guard: BrowserPortGuard,
  ) {}

  /** Writes the response head, then the file as the client takes it; closes when sent. */
  start(head: Uint8Array): void {
    this.socket.write(head);
    this.pump();
  }

  onData(): void {} // plain HTTP has no keep-alive: later bytes are ignored

  onDrain(): void {
    this.pump();
  }

  onClose(): void {
    this.finish();
  }

  expire(): void {
    this.socket.destroy();
  }

  private async pump(): Promise<void> {
    if (this.reading || this.done) return;
    this.reading = true;
    const max = this.guard.limits.staticPendingMax;
    try {
      while (!this.done && !this.socket.destroyed && this.socket.writableLength < max) {
        this.guard.setDeadline(this, this.guard.limits.wsHandshakeTimeoutS);
        const chunk = new Uint8Array(CHUNK);
        const n = await this.file.read(chunk);
        if (this.done || this.socket.destroyed) break;
        if (n === null) {
          this.finish();
          this.socket.destroySoon();
          break;
        }
        this.socket.write(chunk.subarray(0, n));
      }
    } catch {
      this.socket.destroy(); // unreadable mid-way: the response cannot be completed
    } finally {
      this.reading = false;
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.guard.clearDeadline(this);
    try {
      this.file.close();
    } catch {
      // already closed
    }
  }
}
