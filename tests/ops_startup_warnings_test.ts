/**
 * Start-up warns when CometQL is reachable from other hosts with a password anyone can guess
 * (empty, or the `password` / `CometQLPassword` of the original's docs), and never logs it.
 */
import { buildConfig } from "../src/config/config.ts";
import { parseIni } from "../src/config/ini.ts";
import { Logger } from "../src/log.ts";
import { startServer } from "../src/server.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

async function startupLog(cometqlIp: string, password: string): Promise<string[]> {
  const dataDir = await Deno.makeTempDir({ prefix: "comet-warn-" });
  const text = `[main]\npassword = ${password}\n[db]\nfile = ${dataDir}/comet.sqlite\n` +
    `[ws]\nip = 127.0.0.1\nport = 0\n[cometql]\nip = ${cometqlIp}\nport = 0\n[admin]\nport = 0\n`;
  const lines: string[] = [];
  const config = buildConfig(parseIni(text, "warn.conf"));
  const server = await startServer(config, new Logger(300, {}, (line) => lines.push(line)));
  await server.stop();
  await Deno.remove(dataDir, { recursive: true });
  return lines.filter((l) => l.includes("password"));
}

Deno.test("a default password on a public CometQL address is warned about", async () => {
  for (const password of ["password", "CometQLPassword", ""]) {
    const warnings = await startupLog("0.0.0.0", password);
    assertEquals(warnings.length, 1, `password "${password}": ${warnings}`);
    assert.match(
      warnings[0],
      /WARN \[main\] CometQL listens on 0\.0\.0\.0:\d+ with an empty or well-known/,
    );
  }
});

Deno.test("no warning on loopback or with a password of one's own", async () => {
  assertEquals(await startupLog("127.0.0.1", "CometQLPassword"), []);
  assertEquals(await startupLog("0.0.0.0", "a-long-secret-of-ours"), []);
});
