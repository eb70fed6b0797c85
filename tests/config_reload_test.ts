/** What SIGHUP can change in a running server, and what it reports as needing a restart. */
import { buildConfig } from "../src/config/config.ts";
import { applyReloadable, configChanges } from "../src/config/config_changes.ts";
import { parseIni } from "../src/config/ini.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const BASE = "[main]\npassword = one\nnode_name = n1\n[ws]\nport = 8087\n[log]\nlevel = 400\n";
const config = (text: string) => buildConfig(parseIni(text, "reload.conf"));

Deno.test("reloadable settings are applied in place; others are listed for a restart", () => {
  const running = config(BASE);
  const next = config(
    BASE.replace("password = one", "password = two").replace("port = 8087", "port = 9000")
      .replace("level = 400", "level = 500\nws = 200") +
      "[main]\nsend_user_online_events = false\n",
  );
  assertEquals(configChanges(running, next), {
    applied: ["main.password", "main.sendUserOnlineEvents", "log.level", "log.tags"],
    needRestart: ["ws.port"],
  });
  const sameObject = running.main;
  applyReloadable(running, next);
  assert.strictEqual(running.main, sameObject, "the core keeps its reference to the config");
  assertEquals(running.main.password, "two");
  assertEquals(running.main.sendUserOnlineEvents, false);
  assertEquals(running.log, { level: 500, tags: { ws: 200 } });
  assertEquals(running.ws.port, 8087, "listeners are not moved by a reload");
});

Deno.test("an identical file changes nothing; content types count as one setting", () => {
  assertEquals(configChanges(config(BASE), config(BASE)), { applied: [], needRestart: [] });
  const withTypes = config(BASE + "[content-type]\nwasm = application/wasm\n");
  assertEquals(configChanges(config(BASE), withTypes).needRestart, ["contentTypes"]);
});

Deno.test("adding, changing or removing [redis] needs a restart and never fails the reload", () => {
  const withRedis = config(BASE + "[redis]\nurl = redis://127.0.0.1:6379\n");
  assertEquals(configChanges(config(BASE), withRedis), { applied: [], needRestart: ["redis"] });
  assertEquals(configChanges(withRedis, config(BASE)), { applied: [], needRestart: ["redis"] });
  const otherPrefix = config(BASE + "[redis]\nurl = redis://127.0.0.1:6379\nkey_prefix = b:\n");
  assertEquals(configChanges(withRedis, otherPrefix).needRestart, ["redis.prefix"]);
  assertEquals(configChanges(withRedis, withRedis), { applied: [], needRestart: [] });
});
