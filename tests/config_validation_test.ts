/**
 * comet.conf validation (docs/protocol/cometql.md §10.1–10.2): an original comet.ini loads with
 * warnings only; clearly invalid values are errors naming file, line and key.
 */
import { buildConfig, type Config, loadConfig } from "../src/config/config.ts";
import { ConfigError, parseIni } from "../src/config/ini.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

/**
 * Shaped like the comet.ini CppComet 4.09 ships: every service section, statistics, sip, log tags.
 */
const ORIGINAL_COMET_INI = `
[main]
password = CometQLPassword
host = app.example.com
useQueryLoger = false
node_name = comet-n1
buf_size = 10384
fragment_buf_size = 600
fragment_buf_max_size = 10384
answer_buf_size = 1000000
pidfile = /var/run/cppcomet.pid

[statistics]
allow = false
interval = 3600
email = admin@example.com

[db]
host = localhost
user = root
password = root
name = comet_db
port = 3306

[ws]
ip = 0.0.0.0
thread_num = 4
statistics = 10
port = 8087
uptimeTestInterval = 600
maxUptime = 1800
backlog = 10000
epoll_size = 1000

[cometql]
ip = 0.0.0.0
thread_num = 3
statistics = 10
port = 3300
backlog = 1000

[cometqlproxy]
ip = 0.0.0.0
thread_num = 0
port = 3301
cluster = []Server=127.0.0.1,Database=CometQL_v1,Uid=root,Pwd=CometQLPassword,Port=3300

[freeswitch]
thread_num = 0

[sip]
pipesalt = pipesalt

[content-type]
js = application/javascript
html = text/html

[log]
level = 200
Any = 200
ClientServer = 300
tcpServer = 500
MySqlServer = 200
dbLink = 400
`;

function config(text: string, path = "/etc/comet-server/comet.ini"): Config {
  return buildConfig(parseIni(text, path));
}

/** The ConfigError thrown for `text`, asserting its message names file:line and key. */
function problemOf(text: string, where: RegExp): string {
  try {
    config(text, "test.conf");
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.match(e.message, where);
    return e.message;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("an original comet.ini loads, with warnings for what has no effect", () => {
  const c = config(ORIGINAL_COMET_INI);
  assertEquals(c.main.password, "CometQLPassword");
  assertEquals(c.main.nodeName, "comet-n1");
  assertEquals(c.main.pidfile, "/var/run/cppcomet.pid");
  assertEquals(c.db.host, "localhost");
  assertEquals([c.ws.port, c.cometql.port], [8087, 3300]);
  assertEquals(c.contentTypes.js, "application/javascript");
  const w = c.warnings.join("\n");
  assert.match(w, /comet\.ini:\d+: section \[cometqlproxy\] ignored/);
  assert.match(w, /section \[freeswitch\] ignored/);
  assert.match(w, /section \[sip\] ignored/);
  assert.match(w, /section \[statistics\] ignored/);
  assert.match(
    w,
    /\[ws\] thread_num, statistics, uptimeTestInterval, maxUptime, backlog, epoll_size/,
  );
  assert.match(w, /\[main\] host: unknown key/);
  // One warning per unsupported section, not one per key.
  assertEquals(w.match(/\[cometqlproxy\]/g)?.length, 1);
});

Deno.test("buf_size, answer_buf_size and connection_attempts: warned as no effect, not read", () => {
  const c = config("[main]\nbuf_size = 1\nanswer_buf_size = lots\n[db]\nconnection_attempts = 3\n");
  const w = c.warnings.join("\n");
  assert.match(w, /:2: \[main\] buf_size, answer_buf_size: CppComet settings with no effect here/);
  assert.match(w, /:5: \[db\] connection_attempts: CppComet settings with no effect here/);
  assertEquals(c.warnings.length, 2);
});

Deno.test("original log tags map onto our subsystems, the most verbose winning", () => {
  const c = config(ORIGINAL_COMET_INI);
  assertEquals(c.log.level, 200);
  assertEquals(c.log.tags, { main: 200, ws: 500, cometql: 200, storage: 400 });
  const ours = config("[log]\nlevel = 500\nClientServer = 200\nws = 400\nNoSuchTag = 1\n");
  assertEquals(ours.log.tags.ws, 400, "our tag name overrides the mapped original one");
  assert.match(ours.warnings.join("\n"), /:5: \[log\] NoSuchTag: unknown log tag/);
});

Deno.test("defaults without a file section: embedded storage, admin on loopback", () => {
  const c = config("");
  assertEquals(c.db.host, "");
  assertEquals(c.admin, { ip: "127.0.0.1", port: 8089, apiKey: "" });
  assertEquals(c.main.pidfile, "");
  assertEquals(c.main.password, "password");
  assertEquals(c.warnings, []);
});

Deno.test("`password =` keeps the default; `password = ` (trailing blank) is empty", () => {
  assertEquals(config("[main]\npassword =\n").main.password, "password");
  assertEquals(config("[main]\npassword = \n").main.password, "");
  assertEquals(config("[main]\npassword = se=cret ; comment\n").main.password, "se=cret");
});

Deno.test("bad ports are errors naming file, line and key", () => {
  problemOf("[ws]\nport = 80a\n", /^test\.conf:2: \[ws\] port: not an integer: "80a"$/);
  problemOf(
    "[main]\n\n[cometql]\nport = 70000\n",
    /^test\.conf:4: \[cometql\] port: 70000 is out of range 0…65535$/,
  );
  problemOf("[admin]\nport = -1\n", /^test\.conf:2: \[admin\] port: -1 is out of range/);
  problemOf("[db]\nhost = db\nport = 0\n", /^test\.conf:3: \[db\] port: 0 is out of range 1…65535/);
  problemOf(
    "[ws]\nport = 3307\n",
    /^test\.conf:2: \[ws\] port: 3307 is also the port of \[cometql\]/,
  );
});

Deno.test("non-boolean booleans are errors; usual spellings are accepted", () => {
  problemOf(
    "[main]\nsend_user_online_events = maybe\n",
    /^test\.conf:2: \[main\] send_user_online_events: not a boolean: "maybe"/,
  );
  const c = config("[main]\nsend_user_online_events = TRUE\nsend_user_offline_events = no\n");
  assertEquals([c.main.sendUserOnlineEvents, c.main.sendUserOfflineEvents], [true, false]);
});

Deno.test("out-of-range values and bad addresses are errors", () => {
  problemOf("[log]\nlevel = 700\n", /^test\.conf:2: \[log\] level: 700 is out of range 0…600$/);
  problemOf("[log]\nws = loud\n", /^test\.conf:2: \[log\] ws: not an integer/);
  problemOf("[retention]\nhistory_flush_ms = 60000\n", /\[retention\] history_flush_ms: 60000/);
  problemOf("[main]\ndev_index_size = 0\n", /\[main\] dev_index_size: 0 is out of range/);
  problemOf("[ws]\nip = BOOL_TRUE x\n", /^test\.conf:2: \[ws\] ip: not an IP address/);
  problemOf("[cometql]\nip = 300.1.1.1\n", /\[cometql\] ip: not an IP address/);
});

Deno.test("verbatim_backslashes: off by default; server-wide or a list of dev_ids", () => {
  const d = config("");
  assertEquals([d.cometql.verbatimBackslashes, [...d.cometql.verbatimBackslashesDevIds]], [
    false,
    [],
  ]);
  const c = config(
    "[cometql]\nverbatim_backslashes = true\nverbatim_backslashes_dev_ids = 15, 20 ; legacy\n",
  );
  assertEquals([c.cometql.verbatimBackslashes, [...c.cometql.verbatimBackslashesDevIds]], [
    true,
    [15, 20],
  ]);
  assertEquals(c.warnings, []);
  problemOf(
    "[cometql]\nverbatim_backslashes_dev_ids = 15, x\n",
    /^test\.conf:2: \[cometql\] verbatim_backslashes_dev_ids: not an integer: "x"$/,
  );
});

Deno.test("malformed lines are errors naming the line, never quoting its text", () => {
  const m = problemOf("[main]\nnode_name = a\npassword s3cret\n", /^test\.conf:3: malformed line/);
  assert.ok(!m.includes("s3cret"), m);
  problemOf("[main\n", /^test\.conf:1: malformed section header/);
  problemOf("[main]\n = value\n", /^test\.conf:2: malformed line \(empty key/);
});

Deno.test("an unreadable config file is an error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => loadConfig(`${dir}/missing.conf`),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message === `${dir}/missing.conf: cannot read config file: no such file`,
    );
    await assert.rejects(() => loadConfig(dir), /cannot read config file/);
    if (Deno.uid() !== 0) {
      await Deno.writeTextFile(`${dir}/locked.conf`, "[main]\n", { mode: 0o000 });
      await assert.rejects(() => loadConfig(`${dir}/locked.conf`), /permission denied/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the shipped comet.conf is valid and warning-free", async () => {
  const c = await loadConfig(new URL("../comet.conf", import.meta.url).pathname);
  assertEquals(c.warnings, []);
  assertEquals(c.admin.ip, "127.0.0.1");
});

Deno.test("[recovery]: defaults, the window file beside the SQLite file, checked ranges", () => {
  const config = (text: string) => buildConfig(parseIni(text, "comet.conf"));
  assertEquals(config("[db]\nfile = /var/lib/comet/comet.sqlite\n").recovery, {
    windowMessages: 1000,
    windowSeconds: 120,
    maxBytes: 64 * 1024 * 1024,
    maxPipes: 100000,
    positionTtlSeconds: 86400,
    file: "/var/lib/comet/recovery.json",
  });
  assertEquals(config("").recovery.file, "./data/recovery.json");
  assertEquals(
    config("[recovery]\nfile = /tmp/w.json\n").recovery.file,
    "/tmp/w.json",
  );
  assertEquals(config("[recovery]\nfile = /tmp/w.json\nsave_on_stop = false\n").recovery.file, "");
  assert.throws(
    () => config("[recovery]\nwindow_seconds = 0\n"),
    (e) => e instanceof ConfigError && /\[recovery\] window_seconds.*out of range/.test(e.message),
  );
});

Deno.test("README's Limits table: every [limits] key is read, with the default it states", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  const table = readme.slice(readme.indexOf("### Limits"), readme.indexOf("Other bounds:"));
  const rows = [...table.matchAll(/^\| `([a-z_]+)` +\| (\d+)/gm)].map((m) => `${m[1]} = ${m[2]}`);
  assertEquals(rows.length, 16);
  const c = config(`[limits]\n${rows.join("\n")}\n`);
  assertEquals(c.warnings.filter((w) => w.includes("[limits]")), []);
  assertEquals(c.limits, config("").limits);
});
