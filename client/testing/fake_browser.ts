/// <reference lib="dom" />
/**
 * Stand-ins for the browser pieces the client uses (WebSocket, Web Locks), so its logic can be
 * unit-tested under Deno without a server or a browser. Test-only; not part of the bundle.
 */
import type { WebSocketLike } from "../src/node_socket.ts";
import type { CometEnvironment } from "../src/browser_environment.ts";

/** A WebSocket whose server side is driven by the test. */
export class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code ?? 1005;
    this.readyState = 3;
  }

  // ---- the server's side ----

  /** Completes the handshake. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }

  /** Sends a frame to the client. */
  receive(text: string): void {
    this.onmessage?.({ data: text } as MessageEvent);
  }

  /** Drops the connection: a bare TCP close (1006) unless a clean close code is given. */
  drop(code = 1006, wasClean = false): void {
    this.readyState = 3;
    this.onclose?.({ code, wasClean, reason: "" } as CloseEvent);
  }
}

/** Records every socket the client opens. */
export class FakeNetwork {
  readonly sockets: FakeWebSocket[] = [];

  readonly createSocket = (url: string): FakeWebSocket => {
    const socket = new FakeWebSocket(url);
    this.sockets.push(socket);
    return socket;
  };

  get last(): FakeWebSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error("no socket was opened");
    return socket;
  }

  /** An environment without Web Locks: one socket per instance. */
  environment(extra: Partial<CometEnvironment> = {}): CometEnvironment {
    return {
      createSocket: this.createSocket,
      pageProtocol: "http:",
      pageUrl: "http://example.test/page",
      isOnline: () => true,
      ...extra,
    };
  }
}

/**
 * Web Locks with the semantics the tab group relies on: exclusive, `ifAvailable`, queued
 * requests granted in order when the holder's promise settles, and `signal` aborting a wait.
 */
export class FakeLockManager {
  private readonly held = new Set<string>();
  private readonly waiting = new Map<string, (() => void)[]>();

  request(
    name: string,
    optionsOrCallback: LockOptions | LockGrantedCallback<unknown>,
    maybeCallback?: LockGrantedCallback<unknown>,
  ): Promise<unknown> {
    const options = typeof optionsOrCallback === "function" ? {} : optionsOrCallback;
    const callback = (typeof optionsOrCallback === "function" ? optionsOrCallback : maybeCallback)!;
    const run = async () => {
      try {
        return await callback({ name, mode: "exclusive" } as Lock);
      } finally {
        this.release(name);
      }
    };
    if (!this.held.has(name)) {
      this.held.add(name);
      return run();
    }
    if (options.ifAvailable) return Promise.resolve(callback(null));
    return new Promise((resolve, reject) => {
      const grant = () => run().then(resolve, reject);
      const queue = this.waiting.get(name) ?? [];
      queue.push(grant);
      this.waiting.set(name, queue);
      options.signal?.addEventListener("abort", () => {
        const q = this.waiting.get(name) ?? [];
        const i = q.indexOf(grant);
        if (i >= 0) q.splice(i, 1);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  }

  private release(name: string): void {
    const next = this.waiting.get(name)?.shift();
    if (next) next();
    else this.held.delete(name);
  }

  /** For `navigator.locks` typing. */
  asLockManager(): LockManager {
    return this as unknown as LockManager;
  }
}
