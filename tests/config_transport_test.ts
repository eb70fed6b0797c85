/**
 * `[main] transport` (src/config/transport_config.ts): `libc` by default, `node` keeps both
 * listeners on node:net; `COMET_TRANSPORT` in the environment overrides the file and says so
 * among the config warnings; anything else is an error naming where it came from.
 */
import { buildConfig } from "../src/config/config.ts";
import { ConfigError, parseIni } from "../src/config/ini.ts";
import { readTransport } from "../src/config/transport_config.ts";
import { Logger } from "../src/log.ts";
import { libcSocketsUsable } from "../src/net/libc_listener.ts";
import { startServer } from "../src/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

function read(text: string, variable?: string): { transport: string; warnings: string[] } {
  const warnings: string[] = [];
  const transport = readTransport(parseIni(text, "t.conf"), warnings, variable);
  return { transport, warnings };
}

Deno.test("transport: libc by default, node when the file says so", () => {
  assertEquals(read(""), { transport: "libc", warnings: [] });
  assertEquals(read("[main]\ntransport = node\n"), { transport: "node", warnings: [] });
  assertEquals(read("[main]\ntransport = LIBC\n"), { transport: "libc", warnings: [] });
  assertEquals(read("[main]\ntransport = node\n", ""), { transport: "node", warnings: [] });
});

Deno.test("transport: COMET_TRANSPORT overrides the file, and the warning says so", () => {
  const r = read("[main]\ntransport = libc\n", "node");
  assertEquals(r.transport, "node");
  assertEquals(r.warnings, [
    "COMET_TRANSPORT=node in the environment overrides [main] transport (libc at t.conf:2)",
  ]);
  assertEquals(read("", "node").warnings, [
    "COMET_TRANSPORT=node in the environment overrides [main] transport (libc, the default)",
  ]);
});

Deno.test("transport: a value that is neither libc nor node is an error naming its source", () => {
  assert.throws(() => read("[main]\ntransport = epoll\n"), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assertEquals(
      e.message,
      't.conf:2: [main] transport: not a transport: "epoll" (use libc or node)',
    );
    return true;
  });
  assert.throws(() => read("", "fast"), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /COMET_TRANSPORT \(environment\): not a transport: "fast"/);
    return true;
  });
});

async function listenerLines(transportLine: string): Promise<string[]> {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-transport-" });
  const text = `[main]\n${transportLine}\n[db]\nfile = ${dataDir}/comet.sqlite\n` +
    `[ws]\nip = 127.0.0.1\nport = 0\n[cometql]\nip = 127.0.0.1\nport = 0\n[admin]\nport = 0\n`;
  const lines: string[] = [];
  const config = buildConfig(parseIni(text, "transport.conf"));
  const server = await startServer(config, new Logger(400, {}, (line) => lines.push(line)));
  await server.stop();
  await Deno.remove(dataDir, { recursive: true });
  return lines.filter((l) => l.includes(" listening on "));
}

Deno.test({
  name: "transport = node puts both listeners on node:net; the default uses libc sockets",
  ignore: !libcSocketsUsable("127.0.0.1") || Deno.env.get("COMET_TRANSPORT") !== undefined,
  async fn() {
    const node = await listenerLines("transport = node");
    assertEquals(node.length, 2);
    for (const line of node) assert.match(line, /\(node:net\)$/);
    const libc = await listenerLines("");
    assertEquals(libc.length, 2);
    for (const line of libc) assert.match(line, /\(libc sockets\)$/);
  },
});
