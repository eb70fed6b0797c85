/**
 * The core alone, for unit tests: a `CometNode` on an in-memory SQLite database with the config
 * the test servers use, no listeners. Building it in one place keeps the core tests independent
 * of how the node is put together.
 */
import { buildConfig, type Config } from "../../src/config/config.ts";
import { parseIni } from "../../src/config/ini.ts";
import { CometNode } from "../../src/core/comet_node.ts";
import { Logger } from "../../src/log.ts";
import { SqliteStorage } from "../../src/storage/sqlite_storage.ts";
import { retentionLimitsOf } from "../../src/storage/open_storage.ts";
import { TEST_PASSWORD } from "./server.ts";
import { testConf } from "./test_conf.ts";

export interface CoreFixture {
  node: CometNode;
  storage: SqliteStorage;
  config: Config;
  /** Log lines written so far (level 200: errors and warnings). */
  log: string[];
  close(): Promise<void>;
}

/** The test config; `extraIni` is appended, so its keys win. */
export function coreConfig(extraIni = ""): Config {
  const text = testConf("/nonexistent", TEST_PASSWORD, extraIni);
  return buildConfig(parseIni(text, "core-test.conf"));
}

/** A fresh in-memory SQLite storage with the retention limits of `config`. */
export async function memoryStorage(config = coreConfig()): Promise<SqliteStorage> {
  const storage = new SqliteStorage({
    file: ":memory:",
    limits: retentionLimitsOf(config),
    busyTimeoutMs: 1000,
  });
  await storage.open();
  return storage;
}

/** A started node on a fresh in-memory database. */
export async function coreNode(extraIni = ""): Promise<CoreFixture> {
  // No recovery window file: the data directory of coreConfig does not exist.
  const config = coreConfig(
    `[retention]\nhistory_flush_ms = 5\n[recovery]\nsave_on_stop = false\n${extraIni}`,
  );
  const storage = await memoryStorage(config);
  const log: string[] = [];
  const node = new CometNode(config, storage, new Logger(200, {}, (line) => log.push(line)));
  await node.start();
  return {
    node,
    storage,
    config,
    log,
    close: async () => {
      await node.close();
      await storage.close();
    },
  };
}

/** Runs `fn` against a fresh node and closes it afterwards, even if `fn` throws. */
export async function withCoreNode(
  fn: (f: CoreFixture) => Promise<void>,
  extraIni = "",
): Promise<void> {
  const f = await coreNode(extraIni);
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}
