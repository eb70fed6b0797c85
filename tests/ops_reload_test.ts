/**
 * The process around the server: SIGHUP reloads what can change at run time (password, JWT
 * secrets, log levels) and survives a broken file; the pidfile lives exactly as long as the
 * process; SIGINT stops like SIGTERM. Passwords never reach the log.
 */
import { SignJWT } from "jose";
import { assert, assertEquals } from "./helpers/assert.ts";
import { spawnComet } from "./helpers/comet_process.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { testConf } from "./helpers/test_conf.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

const OLD_PASSWORD = "reload-old-pw";
const NEW_PASSWORD = "reload-new-pw";
const USER_ID = 7;

/** docs/protocol/websocket.md §5.2: HS256, secret = password followed by the dev_id (0 here). */
function jwtFor(password: string): Promise<string> {
  return new SignJWT({ user_id: USER_ID })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(`${password}0`));
}

async function authorizedWith(wsPort: number, password: string): Promise<boolean> {
  const path = wsPath({ key: await jwtFor(password), userId: USER_ID });
  const { client, serverInfo } = await WsTestClient.connect(wsPort, path);
  await client.close();
  return serverInfo.authorized === true;
}

async function canLogIn(qlPort: number, password: string): Promise<boolean> {
  try {
    const conn = await connectCometql(qlPort, password);
    await conn.query("SELECT * FROM pipes WHERE name = 'reload_probe'");
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

function countOf(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern, "g"))?.length ?? 0;
}

Deno.test({
  name: "SIGHUP reloads password, JWT secrets and log levels; a broken file changes nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const conf = `${dir}/comet.conf`;
      await Deno.writeTextFile(conf, testConf(dir, OLD_PASSWORD));
      const comet = await spawnComet(conf);
      try {
        assert.ok(await canLogIn(comet.qlPort, OLD_PASSWORD));
        assert.ok(await authorizedWith(comet.wsPort, OLD_PASSWORD));
        // Caches the JWT secret derived from the old password; the reload must drop it.
        assert.ok(!(await authorizedWith(comet.wsPort, NEW_PASSWORD)));

        await Deno.writeTextFile(
          conf,
          testConf(dir, NEW_PASSWORD, "main = 300\n").replace(
            "node_name = test",
            "node_name = b",
          ),
        );
        comet.kill("SIGHUP");
        // Whole lines (up to \n): output arrives in chunks that may end mid-line.
        await comet.waitForOutput(/\[config\] reloaded .*: applied main\.password, log\.tags\n/);
        await comet.waitForOutput(/applied only after a restart: main\.nodeName\n/);
        assert.ok(await canLogIn(comet.qlPort, NEW_PASSWORD));
        assert.ok(!(await canLogIn(comet.qlPort, OLD_PASSWORD)));
        assert.ok(await authorizedWith(comet.wsPort, NEW_PASSWORD));
        assert.ok(!(await authorizedWith(comet.wsPort, OLD_PASSWORD)));

        // `[log] main = 300` now hides the info line "[main] SIGHUP: reloading" but not [config].
        const reloadingLines = countOf(comet.output(), /\[main\] SIGHUP: reloading/);
        comet.kill("SIGHUP");
        await comet.waitForOutput(/reloaded [^\n]*: no changes\n/);
        assertEquals(countOf(comet.output(), /\[main\] SIGHUP: reloading/), reloadingLines);

        await Deno.writeTextFile(conf, testConf(dir, "pw-never-applied", "[ws]\nport = 80x\n"));
        comet.kill("SIGHUP");
        await comet.waitForOutput(
          /reload failed, keeping the running configuration: .*comet\.conf:\d+: \[ws\] port: not an integer.*\n/,
        );
        assert.ok(await canLogIn(comet.qlPort, NEW_PASSWORD), "the old config is still in force");

        comet.kill("SIGTERM");
        assertEquals((await comet.exited()).code, 0);
        for (const secret of [OLD_PASSWORD, NEW_PASSWORD, "pw-never-applied"]) {
          assert.ok(!comet.output().includes(secret), `the log shows a password: ${secret}`);
        }
      } finally {
        await comet.dispose();
      }
    }, "comet-ops-"),
});

Deno.test({
  name: "the pidfile holds the pid while running and is removed on SIGINT, which exits 0",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const conf = `${dir}/comet.conf`;
      await Deno.writeTextFile(
        conf,
        testConf(dir, "pidfile-test").replace("[main]\n", `[main]\npidfile = ${dir}/comet.pid\n`),
      );
      const comet = await spawnComet(conf);
      try {
        assertEquals(await Deno.readTextFile(`${dir}/comet.pid`), `${comet.pid}\n`);
        comet.kill("SIGINT");
        assertEquals((await comet.exited()).code, 0);
        await assert.rejects(() => Deno.stat(`${dir}/comet.pid`), Deno.errors.NotFound);
      } finally {
        await comet.dispose();
      }
    }, "comet-ops-"),
});

Deno.test({
  name: "a port already in use fails the start with a clear message and exit 1",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const conf = `${dir}/comet.conf`;
        const port = (taken.addr as Deno.NetAddr).port;
        await Deno.writeTextFile(
          conf,
          testConf(dir, "x").replace(
            "[cometql]\nip = 127.0.0.1\nport = 0",
            `[cometql]\nip = 127.0.0.1\nport = ${port}`,
          ) +
            `[main]\npidfile = ${dir}/comet.pid\n`,
        );
        await assert.rejects(() => spawnComet(conf), /exited \(1\) before/);
        await assert.rejects(() => Deno.stat(`${dir}/comet.pid`), Deno.errors.NotFound);
      } finally {
        taken.close();
      }
    }, "comet-ops-"),
});
