/**
 * Starts a real server in this process on ephemeral ports with embedded SQLite in a temp dir.
 * `extraIni` is appended to the generated config (later keys win), e.g. "[main]\nbase_dir=/x\n".
 */
import { buildConfig, type Config } from "../../src/config/config.ts";
import { parseIni } from "../../src/config/ini.ts";
import type { CometNode } from "../../src/core/comet_node.ts";
import { Logger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";

export const TEST_PASSWORD = "CometQLPassword";

export interface TestServer {
  wsPort: number;
  qlPort: number;
  password: string;
  node: CometNode;
  config: Config;
  /** Directory holding the SQLite file; pass it back as `dataDir` to restart on the same data. */
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(
  extraIni = "",
  options: { dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "comet-test-" });
  const text = `[main]
password = ${TEST_PASSWORD}
node_name = test
[db]
file = ${dataDir}/comet.sqlite
[ws]
ip = 127.0.0.1
port = 0
[cometql]
ip = 127.0.0.1
port = 0
[admin]
port = 0
[retention]
history_flush_ms = 5
[log]
level = ${Deno.env.get("COMET_TEST_LOG") ?? "200"}
${extraIni}`;
  const config = buildConfig(parseIni(text, `${dataDir}/comet.conf`));
  const server = await startServer(config, new Logger(config.log.level, config.log.tags));
  return {
    wsPort: server.wsPort,
    qlPort: server.qlPort,
    password: TEST_PASSWORD,
    node: server.node,
    config,
    dataDir,
    stop: server.stop,
  };
}
