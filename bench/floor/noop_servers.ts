/**
 * Servers that do nothing but the protocol's minimum, on the same sockets as cpp_comet
 * (src/net/libc_listener.ts): what the runtime and kernel cost before any of our work. Measure
 * them with `wsload` (docs/benchmarks.md §2) like the real server.
 *
 *   deno run -A --v8-flags=--max-semi-space-size=2 bench/floor/noop_servers.ts ws 8087
 *     accepts WebSockets: 101 and one serverInfo frame, frames from the client ignored
 *     (wsload --mode idle: memory and CPU per connection)
 *   deno run -A bench/floor/noop_servers.ts cometql 3307
 *     MySQL handshake, then OK to every packet, no parsing (wsload --mode publish: queries/s)
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { makeScramble, writeHandshake } from "../../src/cometql/wire/handshake.ts";
import { WireWriter } from "../../src/cometql/wire/wire_buffer.ts";
import type { FlowSocket } from "../../src/net/byte_socket.ts";
import { libcSocketsUsable, listenLibc } from "../../src/net/libc_listener.ts";

const [mode, portText] = Deno.args;
const port = Number(portText ?? (mode === "ws" ? 8087 : 3307));
if (!libcSocketsUsable("127.0.0.1")) {
  throw new Error("libc sockets unavailable (Linux, --allow-ffi)");
}
const log = (message: string) => console.error(message);

if (mode === "ws") {
  const info = new TextEncoder().encode(JSON.stringify({
    authorized: false,
    data: "",
    event: "serverInfo",
    message_send_time: 0,
    pipe: "sys",
    server: "noop",
  }));
  const frame = new Uint8Array([0x81, 126, info.length >> 8, info.length & 255, ...info]);
  const requests = new Map<FlowSocket, string>();
  listenLibc("0.0.0.0", port, {
    onConnection: (socket) => requests.set(socket, ""),
    onData(socket, chunk) {
      const request = requests.get(socket);
      if (request === undefined) return; // upgraded: frames are ignored
      const text = request + chunk.toString("latin1");
      const key = /Sec-WebSocket-Key: *([^\r]+)\r\n[^]*\r\n\r\n/i.exec(text)?.[1];
      if (key === undefined) return void requests.set(socket, text);
      requests.delete(socket);
      const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        .digest("base64");
      socket.write(Buffer.concat([
        Buffer.from(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        ),
        frame,
      ]));
    },
    onClose: (socket) => requests.delete(socket),
    onListenerError: log,
  });
} else if (mode === "cometql") {
  // OK packets with sequence ids 2 (after the login) and 1 (after a command).
  const afterLogin = new Uint8Array([7, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
  const afterCommand = new Uint8Array([7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
  let id = 1;
  const loggedIn = new Set<FlowSocket>();
  listenLibc("127.0.0.1", port, {
    onConnection(socket) {
      const handshake = new WireWriter();
      writeHandshake(handshake, id++, makeScramble());
      socket.write(handshake.view().slice());
    },
    onData(socket, chunk) {
      const replies: Uint8Array[] = [];
      for (let at = 0; at + 4 <= chunk.length;) {
        const size = chunk[at] | (chunk[at + 1] << 8) | (chunk[at + 2] << 16);
        const command = loggedIn.has(socket);
        if (command && chunk[at + 4] === 1) return socket.destroy(); // COM_QUIT
        replies.push(command ? afterCommand : afterLogin);
        loggedIn.add(socket);
        at += 4 + size;
      }
      socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
    },
    onClose: (socket) => loggedIn.delete(socket),
    onListenerError: log,
  });
} else {
  console.error("usage: noop_servers.ts ws|cometql [PORT]");
  Deno.exit(2);
}
