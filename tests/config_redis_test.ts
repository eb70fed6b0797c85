/**
 * The `[redis]` section and `[main] workers` (issue 12): no url means one node exactly as
 * before; a url is checked like every other value, with file, line and key, never quoting it.
 */
import { buildConfig, type Config } from "../src/config/config.ts";
import { ConfigError, parseIni } from "../src/config/ini.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

function config(text: string): Config {
  return buildConfig(parseIni(text, "test.conf"));
}

function problemOf(text: string, where: RegExp): string {
  try {
    config(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.match(e.message, where);
    return e.message;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("no [redis] section or no url: redis is undefined (one node, local engines)", () => {
  assertEquals(config("").redis, undefined);
  assertEquals(config("[redis]\nurl =\n").redis, undefined);
  const c = config("[main]\nnode_name = a\n[redis]\nkey_prefix = x:\n");
  assertEquals(c.redis, undefined);
  assertEquals(c.warnings, [
    "test.conf:4: [redis] has no url: Redis is off and this section has no effect",
  ]);
});

Deno.test("a minimal url gets the defaults", () => {
  const c = config("[redis]\nurl = redis://127.0.0.1\n");
  assertEquals(c.redis, {
    url: "redis://127.0.0.1",
    host: "127.0.0.1",
    port: 6379,
    username: "",
    password: "",
    db: 0,
    prefix: "comet:",
    connectTimeoutMs: 2000,
    commandTimeoutMs: 2000,
    heartbeatMs: 1000,
    nodeTtlMs: 5000,
  });
  assertEquals(c.warnings, []);
});

Deno.test("every part of the url and every key is read", () => {
  const c = config(
    "[redis]\nurl = redis://:p%40ss@redis.internal:6380/3\nkey_prefix = site1:\n" +
      "connect_timeout = 500\ncommand_timeout = 750\nheartbeat = 200\nnode_ttl = 1000\n",
  );
  const r = c.redis!;
  assertEquals([r.host, r.port, r.username, r.password, r.db], [
    "redis.internal",
    6380,
    "",
    "p@ss",
    3,
  ]);
  assertEquals([r.prefix, r.connectTimeoutMs, r.commandTimeoutMs], ["site1:", 500, 750]);
  assertEquals([r.heartbeatMs, r.nodeTtlMs], [200, 1000]);
  const acl = config("[redis]\nurl = redis://comet:secret@[::1]:7000\n").redis!;
  assertEquals([acl.username, acl.password, acl.host, acl.port], ["comet", "secret", "::1", 7000]);
});

Deno.test("bad urls are errors naming file, line and key, never quoting the url", () => {
  const cases: [string, RegExp][] = [
    ["not a url at all", /not a url/],
    ["http://127.0.0.1:6379", /unsupported scheme http:\/\//],
    ["rediss://:secret@127.0.0.1:6379", /rediss:\/\/ \(TLS\) is not supported/],
    ["redis://:secret@127.0.0.1:99999", /not a url/],
    ["redis://:secret@127.0.0.1:0", /port 0 is out of range/],
    ["redis://:secret@127.0.0.1:6379/db1", /the database must be a number/],
    ["redis://:secret@127.0.0.1:6379?family=6", /query parameters are not supported/],
    ["redis://:secret@:6379", /no host|not a url/],
  ];
  for (const [url, problem] of cases) {
    const m = problemOf(`[main]\n[redis]\nurl = ${url}\n`, /^test\.conf:3: \[redis\] url: /);
    assert.match(m, problem, url);
    assert.ok(!m.includes("secret"), m);
  }
});

Deno.test("bad [redis] keys are errors; node_ttl must outlast two heartbeats", () => {
  const url = "[redis]\nurl = redis://127.0.0.1\n";
  problemOf(url + "command_timeout = 10\n", /^test\.conf:3: \[redis\] command_timeout: 10 is out/);
  problemOf(url + "connect_timeout = soon\n", /\[redis\] connect_timeout: not an integer/);
  problemOf(url + "key_prefix = a b\n", /^test\.conf:3: \[redis\] key_prefix: use at most 64/);
  problemOf(
    url + "heartbeat = 1000\nnode_ttl = 1500\n",
    /^test\.conf:4: \[redis\] node_ttl: 1500 ms is less than twice the heartbeat/,
  );
  assertEquals(config(url + "key_prefix =  \n").redis?.prefix, "", "an empty prefix is allowed");
  assert.match(config(url + "nodes = 3\n").warnings.join(), /\[redis\] nodes: unknown key/);
});

Deno.test("CppComet's cluster settings are reported as having no effect", () => {
  const c = config(
    "[ws]\ncluster = []Server=10.0.0.2,Port=8087\ncluster = []Server=10.0.0.3,Port=8087\n" +
      "[cometqlproxy]\nport = 3301\n",
  );
  assertEquals(c.warnings, [
    "test.conf:2: [ws] cluster: CppComet's cluster has no effect here: use [redis] (README, Scaling out)",
    "test.conf:5: section [cometqlproxy] ignored: CppComet's cluster has no effect here: use [redis] (README, Scaling out)",
  ]);
});

Deno.test("workers: default 1, a count, or auto; more than one needs [redis]", () => {
  assertEquals(config("").main.workers, 1);
  const redis = "[redis]\nurl = redis://127.0.0.1\n";
  assertEquals(config("[main]\nworkers = 4\n" + redis).main.workers, 4);
  assertEquals(
    config("[main]\nworkers = auto\n" + redis).main.workers,
    navigator.hardwareConcurrency,
  );
  assertEquals(config("[main]\nworkers = 1\n").main.workers, 1, "one worker needs no Redis");
  problemOf("[main]\nworkers = 0\n", /^test\.conf:2: \[main\] workers: 0 is out of range 1…1024/);
  problemOf("[main]\nworkers = many\n", /\[main\] workers: not an integer: "many"/);
  problemOf(
    "[main]\nnode_name = a\nworkers = 2\n",
    /^test\.conf:3: \[main\] workers: 2 workers need a \[redis\] url: .*only Redis carries/,
  );
});

Deno.test("workers need fixed client ports and a free admin port range", () => {
  const redis = "[redis]\nurl = redis://127.0.0.1\n";
  problemOf(
    "[main]\nworkers = 2\n[ws]\nport = 0\n" + redis,
    /^test\.conf:4: \[ws\] port: 0 \(any free port\) cannot be shared by 2 workers/,
  );
  problemOf(
    "[main]\nworkers = 3\n[cometql]\nport = 3307\n[admin]\nport = 3305\n" + redis,
    /^test\.conf:6: \[admin\] port: worker i serves port 3305 \+ i, so 3 workers use 3305…3307, which includes the port of \[cometql\]/,
  );
  problemOf("[main]\nworkers = 3\n[admin]\nport = 65534\n" + redis, /65536 is beyond 65535/);
  const off = config("[main]\nworkers = 3\n[admin]\nport = 0\n" + redis);
  assertEquals([off.main.workers, off.admin.port], [3, 0]);
});
