/**
 * The command line (docs/protocol/cometql.md §10.3): CppComet's `--conf FILE`, `--cli`, `--help`,
 * plus `--version` and `--check-config`, whose exit codes scripts and `systemd` rely on.
 */
import { DEFAULT_CONFIG_PATHS, parseCommandLine } from "../src/config/command_line.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { MAIN_TS } from "./helpers/comet_process.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

async function runMain(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("--conf FILE, --conf=FILE and --cli are accepted as by CppComet", () => {
  const none = () => false;
  assertEquals(parseCommandLine(["--conf", "/etc/a.ini"], none), {
    action: "run",
    confPath: "/etc/a.ini",
    confGiven: true,
  });
  assertEquals(parseCommandLine(["--cli", "--conf=b.conf"], none), {
    action: "run",
    confPath: "b.conf",
    confGiven: true,
  });
  assertEquals(parseCommandLine(["--check-config", "--conf", "c"], none).action, "check");
  assertEquals(parseCommandLine(["--conf"], none).action, "usage-error");
  assertEquals(parseCommandLine(["--bogus"], none), {
    action: "usage-error",
    problem: "unknown argument: --bogus",
  });
});

Deno.test("without --conf the first existing default file is used", () => {
  const only = (p: string) => (path: string) => path === p;
  assertEquals(
    parseCommandLine([], only("/etc/comet-server/comet.ini")),
    { action: "run", confPath: "/etc/comet-server/comet.ini", confGiven: false },
  );
  assertEquals(parseCommandLine([], () => false), {
    action: "run",
    confPath: DEFAULT_CONFIG_PATHS[0],
    confGiven: false,
  });
});

Deno.test("--help and --version print and exit 0", async () => {
  const help = await runMain("--help");
  assertEquals(help.code, 0);
  assert.match(help.stdout, /--conf FILE/);
  assert.match(help.stdout, /--check-config/);
  const version = await runMain("--version");
  assertEquals(version.code, 0);
  assert.match(version.stdout, /^cpp_comet \d+\.\d+\.\d+\n$/);
  const bad = await runMain("--frobnicate");
  assertEquals(bad.code, 64);
  assert.match(bad.stderr, /unknown argument: --frobnicate/);
});

Deno.test("--check-config exits 0 for a valid file and prints its warnings", () =>
  withTempDir(async (dir) => {
    const conf = `${dir}/comet.ini`;
    await Deno.writeTextFile(conf, "[main]\npassword = x\n[ws]\nthread_num = 4\nport = 8087\n");
    const ok = await runMain("--check-config", "--conf", conf);
    assertEquals(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK/);
    assert.match(ok.stderr, /warning: .*comet\.ini:4: \[ws\] thread_num/);
    assert.ok(!ok.stdout.includes("listening"), "nothing was started");
    const shipped = await runMain(
      "--check-config",
      `--conf=${MAIN_TS.replace("main.ts", "comet.conf")}`,
    );
    assertEquals(shipped.code, 0, shipped.stderr);
  }));

Deno.test("--check-config exits 78 naming file, line and key of the problem", () =>
  withTempDir(async (dir) => {
    const conf = `${dir}/comet.conf`;
    await Deno.writeTextFile(conf, "[main]\npassword = x\n\n[cometql]\nport = 3307x\n");
    const bad = await runMain("--check-config", "--conf", conf);
    assertEquals(bad.code, 78);
    assert.match(bad.stderr, new RegExp(`${conf}:5: \\[cometql\\] port: not an integer`));
    const missing = await runMain("--check-config", "--conf", `${dir}/nope.conf`);
    assertEquals(missing.code, 78);
    assert.match(missing.stderr, /nope\.conf: cannot read config file: no such file/);
  }));
