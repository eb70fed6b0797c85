/**
 * A TCP proxy on 127.0.0.1 for tests of "the network cut the connection": `cut()` closes every
 * proxied connection from outside (neither the browser nor the server chose it), and while
 * `blocked` new connections are accepted and closed at once (the network is still down).
 */
export class TcpProxy {
  readonly port: number;
  blocked = false;
  private readonly listener: Deno.Listener;
  private readonly pairs = new Set<[Deno.Conn, Deno.Conn]>();
  private accepting: Promise<void>;

  constructor(private readonly target: number) {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.listener.addr as Deno.NetAddr).port;
    this.accepting = this.accept();
  }

  /** Connections cut so far. */
  cuts = 0;

  /** Closes every connection now. */
  cut(): void {
    for (const pair of this.pairs) this.close(pair);
    this.cuts++;
  }

  get connections(): number {
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.listener.close();
    this.cut();
    await this.accepting;
  }

  private async accept(): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.blocked) {
        client.close();
        continue;
      }
      let server: Deno.Conn;
      try {
        server = await Deno.connect({ hostname: "127.0.0.1", port: this.target });
      } catch {
        client.close();
        continue;
      }
      const pair: [Deno.Conn, Deno.Conn] = [client, server];
      this.pairs.add(pair);
      this.pump(client, server, pair);
      this.pump(server, client, pair);
    }
  }

  private async pump(from: Deno.Conn, to: Deno.Conn, pair: [Deno.Conn, Deno.Conn]) {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // closed by cut() or by the peer
    }
    this.close(pair);
  }

  private close(pair: [Deno.Conn, Deno.Conn]): void {
    if (!this.pairs.delete(pair)) return;
    for (const c of pair) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
  }
}
