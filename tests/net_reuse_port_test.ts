/**
 * `reusePort` of src/net/tcp_listener.ts on both transports: with it, listeners share one port
 * (the workers of `[main] workers`); without it, a second listener on a taken port fails with
 * EADDRINUSE, so a server started twice by mistake does not silently take half the connections.
 */
import { assertEquals } from "./helpers/assert.ts";
import type { ConnectionHandlers } from "../src/net/byte_socket.ts";
import { libcSocketsUsable } from "../src/net/libc_sockets.ts";
import { listenTcp, type TcpListener } from "../src/net/tcp_listener.ts";

/** Answers each connection with its listener's name, then closes it. */
function naming(name: string): ConnectionHandlers {
  return {
    onConnection(socket) {
      socket.write(new TextEncoder().encode(name));
      socket.destroySoon();
    },
    onData() {},
    onClose() {},
    onListenerError() {},
  };
}

async function nameOf(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let text = "";
  for await (const chunk of conn.readable) text += new TextDecoder().decode(chunk);
  return text;
}

for (const transport of ["libc", "node"] as const) {
  Deno.test({
    name: `${transport} transport: reusePort shares a port; without it the port is refused`,
    ignore: transport === "libc" && !libcSocketsUsable("127.0.0.1"),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      Deno.env.set("COMET_TRANSPORT", transport);
      const listeners: TcpListener[] = [];
      try {
        const a = await listenTcp("127.0.0.1", 0, naming("a"), { reusePort: true });
        listeners.push(a);
        assertEquals(a.transport, transport === "libc" ? "libc sockets" : "node:net");
        const b = await listenTcp("127.0.0.1", a.port, naming("b"), { reusePort: true });
        listeners.push(b);
        const seen = new Set<string>();
        for (let i = 0; i < 64 && seen.size < 2; i++) seen.add(await nameOf(a.port));
        assertEquals([...seen].sort(), ["a", "b"], "connections reach both listeners");

        const single = await listenTcp("127.0.0.1", 0, naming("c"));
        listeners.push(single);
        let code = "";
        await listenTcp("127.0.0.1", single.port, naming("d")).then(
          (l) => listeners.push(l),
          (e) => code = e.code,
        );
        assertEquals(code, "EADDRINUSE");
      } finally {
        Deno.env.delete("COMET_TRANSPORT");
        for (const l of listeners) await l.close();
      }
    },
  });
}
