/**
 * Several real server processes (`main.ts`) on one private Redis, as one comet server: the
 * setup of every multi-node test (issue 12). They share one SQLite file (processes on one
 * host) unless a test gives each its own data. Heartbeats are fast so node-death bounds are
 * short: a node missing for `NODE_TTL_MS` is gone.
 */
import { type CometProcess, spawnComet } from "./comet_process.ts";
import { startRedis, type TestRedis } from "./redis_server.ts";
import { testConf } from "./test_conf.ts";

export const CLUSTER_PASSWORD = "ClusterPassword";
export const HEARTBEAT_MS = 200;
export const NODE_TTL_MS = 1000;

export interface TestCluster {
  redis: TestRedis;
  nodes: CometProcess[];
  dataDir: string;
  /** Starts one more node on the same Redis and data (its config may add `extraIni`). */
  addNode(extraIni?: string): Promise<CometProcess>;
  /** A config file for a node of this cluster, e.g. to start one by hand. */
  writeConf(name: string, extraIni?: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function startCluster(count: number, extraIni = ""): Promise<TestCluster> {
  const redis = await startRedis();
  const dataDir = await Deno.makeTempDir({ prefix: "comet-cluster-" });
  const nodes: CometProcess[] = [];
  let n = 0;
  // Its own key prefix: a node of another test run that reaches this Redis (a port reused after
  // a restart) sees none of this cluster's keys or channels.
  const prefix = `t${crypto.randomUUID().slice(0, 8)}:`;
  const writeConf = async (name: string, extra = "") => {
    const path = `${dataDir}/${name}.conf`;
    const text = testConf(
      dataDir,
      CLUSTER_PASSWORD,
      `[redis]\nurl = ${redis.url}\nkey_prefix = ${prefix}\nheartbeat = ${HEARTBEAT_MS}\n` +
        `node_ttl = ${NODE_TTL_MS}\n` +
        `connect_timeout = 500\ncommand_timeout = 1000\n` +
        `[retention]\nhistory_flush_ms = 5\n${extraIni}\n${extra}`,
      Number(Deno.env.get("COMET_TEST_LOG") ?? "400"),
    ).replace("node_name = test", `node_name = ${name}`);
    await Deno.writeTextFile(path, text);
    return path;
  };
  const addNode = async (extra = "") => {
    const node = await spawnComet(await writeConf(`node${n++}`, extra));
    nodes.push(node);
    return node;
  };
  try {
    for (let i = 0; i < count; i++) await addNode();
  } catch (e) {
    for (const node of nodes) await node.dispose();
    await redis.close();
    throw e;
  }
  return {
    redis,
    nodes,
    dataDir,
    addNode,
    writeConf,
    dispose: async () => {
      for (const node of nodes) await node.dispose();
      await redis.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Polls `check` until it holds (condition, not sleep), at most `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
