/**
 * Starts a real server in this process on ephemeral ports with embedded SQLite in a temp dir.
 * `extraIni` is appended to the generated config (later keys win), e.g. "[main]\nbase_dir=/x\n".
 */
import { buildConfig, type Config } from "../../src/config/config.ts";
import { parseIni } from "../../src/config/ini.ts";
import type { CometNode } from "../../src/core/comet_node.ts";
import { Logger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { freePort } from "./comet_process.ts";
import { testConf } from "./test_conf.ts";

export const TEST_PASSWORD = "CometQLPassword";

/**
 * `extraIni` that turns the admin port (HTTP API, dashboard, metrics) on, on a free port (port 0
 * means "off" in `[admin]`, so an ephemeral one cannot be asked for).
 */
export function adminOn(): string {
  return `[admin]\nip = 127.0.0.1\nport = ${freePort()}\n`;
}

export interface TestServer {
  wsPort: number;
  qlPort: number;
  /** 0 unless `extraIni` turned the admin port on (see `adminOn`). */
  adminPort: number;
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
  const text = testConf(
    dataDir,
    TEST_PASSWORD,
    `[retention]\nhistory_flush_ms = 5\n${extraIni}`,
    Number(Deno.env.get("COMET_TEST_LOG") ?? "200"),
  );
  const config = buildConfig(parseIni(text, `${dataDir}/comet.conf`));
  const server = await startServer(config, new Logger(config.log.level, config.log.tags));
  return {
    wsPort: server.wsPort,
    qlPort: server.qlPort,
    adminPort: server.adminPort,
    password: TEST_PASSWORD,
    node: server.node,
    config,
    dataDir,
    stop: server.stop,
  };
}

/** Runs `fn` against a fresh test server and stops the server afterwards, even if `fn` throws. */
export async function withTestServer(
  fn: (t: TestServer) => Promise<void>,
  extraIni = "",
): Promise<void> {
  const t = await startTestServer(extraIni);
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}
