/**
 * The single-file build (`deno task bundle` → dist/cpp_comet.js) runs on its own: started from
 * another directory with only its config, it serves browsers and CometQL, finds the client library
 * next to itself (and the dashboard script), serves the HTTP API, and stops cleanly on SIGTERM;
 * with `[main] workers = 2` it starts its workers from its own command line.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { freePort, MAIN_TS, spawnComet } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { startRedis } from "./helpers/redis_server.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { testConf } from "./helpers/test_conf.ts";
import { rawHttp, wsPath, WsTestClient } from "./helpers/ws_client.ts";

const PASSWORD = "bundle-smoke";

Deno.test({
  name: "the bundled build: CometQL insert reaches a WebSocket subscriber; SIGTERM exits 0",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const bundle = `${dir}/cpp_comet.js`;
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform=deno", "-o", bundle, MAIN_TS],
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
      // The client library is looked up next to the bundle (a stand-in file: this test is about
      // the lookup, not the client build).
      await Deno.mkdir(`${dir}/client/dist`, { recursive: true });
      await Deno.writeTextFile(`${dir}/client/dist/CometServerApi.js`, "/* bundle smoke */\n");
      await Deno.writeTextFile(`${dir}/client/dist/dashboard.js`, "/* dashboard smoke */\n");
      await Deno.mkdir(`${dir}/data`);
      await Deno.writeTextFile(
        `${dir}/comet.conf`,
        testConf(`${dir}/data`, PASSWORD, `[admin]\nip = 127.0.0.1\nport = ${freePort()}\n`),
      );

      const comet = await spawnComet(`${dir}/comet.conf`, { script: bundle, cwd: dir });
      try {
        const { client, serverInfo } = await WsTestClient.connect(comet.wsPort, wsPath());
        assertEquals(serverInfo.event, "serverInfo");
        await client.sendText("subscription\nbundle_room");
        const backend = await connectCometql(comet.qlPort, PASSWORD);
        // The subscription is handled asynchronously: wait until the server counts it.
        await waitUntil(async () => {
          const [rows] = await backend.query(
            "SELECT users FROM pipes WHERE name = 'bundle_room'",
          );
          return Number((rows as { users: number }[])[0]?.users) === 1;
        });
        await backend.query(
          "INSERT INTO pipes_messages (name, event, message) VALUES ('bundle_room', 'hello', 'from the bundle')",
        );
        const message = await client.nextJson();
        assertEquals([message.pipe, message.event, message.data], [
          "bundle_room",
          "hello",
          "from the bundle",
        ]);
        // The HTTP API (ajv and all) works in the bundle, and the dashboard script is found.
        const published = await fetch(`http://127.0.0.1:${comet.adminPort}/api/publish`, {
          method: "POST",
          headers: { authorization: `Bearer ${PASSWORD}` },
          body: JSON.stringify({ pipe: "bundle_room", event: "http", message: "over HTTP" }),
        });
        assertEquals(await published.json(), { ok: true, published: 1 });
        assertEquals((await client.nextJson()).data, "over HTTP");
        const dashboard = await fetch(`http://127.0.0.1:${comet.adminPort}/dashboard.js`);
        assert.match(await dashboard.text(), /dashboard smoke/);
        await backend.end();
        await client.close();

        const script = await rawHttp(
          comet.wsPort,
          `GET /CometServerApi.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
        );
        assert.match(script, /^HTTP\/1\.1 200/);
        assert.match(script, /bundle smoke/);

        comet.kill("SIGTERM");
        assertEquals((await comet.exited()).code, 0, comet.output());
      } finally {
        await comet.dispose();
      }

      // `[main] workers`: the bundle starts its workers from its own command line.
      const redis = await startRedis();
      const [ws, ql] = [freePort(), freePort()];
      await Deno.writeTextFile(
        `${dir}/workers.conf`,
        testConf(`${dir}/data`, PASSWORD) +
          `[main]\nworkers = 2\n[ws]\nport = ${ws}\n[cometql]\nport = ${ql}\n` +
          `[redis]\nurl = ${redis.url}\n`,
      );
      const workers = await spawnComet(`${dir}/workers.conf`, { script: bundle, cwd: dir });
      try {
        await workers.waitForOutput(/\(2 workers ready: pids \d+, \d+\)/);
        const { serverInfo } = await WsTestClient.connect(ws, wsPath());
        assertEquals(serverInfo.event, "serverInfo");
        workers.kill("SIGTERM");
        assertEquals((await workers.exited()).code, 0, workers.output());
      } finally {
        await workers.dispose();
        await redis.close();
      }
    }, "comet-bundle-"),
});

async function waitUntil(ready: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
