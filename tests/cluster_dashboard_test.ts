/// <reference lib="dom" />
/**
 * The dashboard of a cluster (issue 16 with [redis]): node A's `/api/dashboard` and its page in
 * Chromium list every node with its own figures and mark A; a node killed with SIGKILL drops
 * out within `node_ttl` of its death. Two real server processes and redis-server.
 */
import assert from "node:assert/strict";
import type { ClusterNodeSummary } from "../src/admin/dashboard_snapshot.ts";
import { launchBrowser, recordPageErrors, waitInPage } from "./helpers/browser.ts";
import {
  CLUSTER_PASSWORD,
  eventually,
  NODE_TTL_MS,
  startCluster,
  type TestCluster,
} from "./helpers/cluster.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { freePort } from "./helpers/comet_process.ts";
import { ApiClient } from "./helpers/http_api_client.ts";
import { adminOn, withTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

/** `name:self:connections:authorized:users` of every node, sorted by name. */
async function nodeView(api: ApiClient): Promise<string> {
  const reply = await api.get("/api/dashboard");
  assert.equal(reply.status, 200);
  return (reply.json.nodes as ClusterNodeSummary[])
    .map((n) => `${n.name}:${n.self}:${n.connections}:${n.authorized}:${n.users}`)
    .sort().join(" ");
}

async function withDashboardCluster(
  fn: (cluster: TestCluster, a: ApiClient, b: ApiClient) => Promise<void>,
): Promise<void> {
  const admin = () => `[admin]\nip = 127.0.0.1\nport = ${freePort()}\n`;
  const cluster = await startCluster(0);
  try {
    const [a, b] = [await cluster.addNode(admin()), await cluster.addNode(admin())];
    await fn(
      cluster,
      new ApiClient(a.adminPort, CLUSTER_PASSWORD),
      new ApiClient(b.adminPort, CLUSTER_PASSWORD),
    );
  } finally {
    await cluster.dispose();
  }
}

Deno.test({
  name: "cluster dashboard: every node with its figures, this one marked; a killed node drops out",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboardCluster(async (cluster, apiA, apiB) => {
      const [a, b] = cluster.nodes;
      const ql = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
      const clients: WsTestClient[] = [];
      const browser = await launchBrowser();
      const errors: string[] = [];
      try {
        await ql.query("INSERT INTO users_auth (id, hash) VALUES (7, 'h7')");
        // A: one anonymous tab. B: user 7 in two tabs and one anonymous tab.
        const paths = [
          [a.wsPort, wsPath()],
          [b.wsPort, wsPath({ key: "h7", userId: 7 })],
          [b.wsPort, wsPath({ key: "h7", userId: 7 })],
          [b.wsPort, wsPath()],
        ] as const;
        for (const [port, path] of paths) {
          const { client } = await WsTestClient.connect(port, path);
          await client.barrier();
          clients.push(client);
        }

        const both = "node0:true:1:0:0 node1:false:3:2:1";
        await eventually("A lists both nodes", async () => await nodeView(apiA) === both);
        await eventually(
          "B lists both nodes, itself marked",
          async () => await nodeView(apiB) === "node0:false:1:0:0 node1:true:3:2:1",
        );
        const rows = (await apiA.get("/api/dashboard")).json.nodes as ClusterNodeSummary[];
        const [rowA, rowB] = [rows.find((n) => n.self)!, rows.find((n) => !n.self)!];
        assert.notEqual(rowA.id, rowB.id);
        assert.ok(Date.now() - rowB.heartbeat < NODE_TTL_MS, "B's figures are recent");
        assert.ok(rowB.uptime >= 0 && rowB.uptime < 120);

        // The page shows the same table.
        const page = await browser.newPage();
        recordPageErrors(page, errors);
        await page.goto(`http://127.0.0.1:${apiA.port}/`);
        await page.fill("#key", CLUSTER_PASSWORD);
        await page.click("button[type=submit]");
        await page.waitForSelector("#board", { state: "visible" });
        const table = () =>
          page.$$eval("#nodes tr", (trs) =>
            trs.map((tr) =>
              [...tr.querySelectorAll("td")].slice(0, 4).map((td) =>
                td.textContent
              ).join("|")
            ));
        await waitInPage(page, () => document.querySelectorAll("#nodes tr").length === 2);
        assert.deepEqual((await table()).sort(), ["node0 (this node)|1|0|0", "node1|3|2|1"]);

        // B dies without a word: gone from A's list within node_ttl of the kill.
        b.kill("SIGKILL");
        await b.exited();
        const killed = Date.now();
        await eventually("B dropped", async () => await nodeView(apiA) === "node0:true:1:0:0");
        const took = Date.now() - killed;
        // node_ttl after its last heartbeat (before the kill), plus slack for polling.
        assert.ok(took <= NODE_TTL_MS + 300, `B dropped ${took} ms after the kill`);
        await waitInPage(page, () => document.querySelectorAll("#nodes tr").length === 1);
        assert.deepEqual(await table(), ["node0 (this node)|1|0|0"]);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        for (const c of clients) await c.close().catch(() => {});
        await ql.end();
      }
    }),
});

Deno.test("single node (no [redis]): the dashboard lists this node alone", async () => {
  await withTestServer(async (t) => {
    const api = new ApiClient(t.adminPort, t.password);
    const { client } = await WsTestClient.connect(t.wsPort);
    try {
      await client.barrier();
      const nodes = (await api.get("/api/dashboard")).json.nodes as ClusterNodeSummary[];
      assert.equal(nodes.length, 1);
      assert.equal(nodes[0].self, true);
      assert.equal(nodes[0].id, "local");
      assert.equal(nodes[0].connections, 1);
    } finally {
      await client.close();
    }
  }, adminOn());
});
