/**
 * Users across nodes (issue 12): private messages, the offline queue (also when connects and
 * inserts race), presence events, users_time, kicks and cache invalidation, tenants. The
 * backend talks to one node, the browsers sit on the others. Real processes and redis-server.
 */
import assert from "node:assert/strict";
import type { Connection } from "mysql2/promise";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { CLUSTER_PASSWORD, eventually, startCluster, type TestCluster } from "./helpers/cluster.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

async function withCluster(
  count: number,
  fn: (cluster: TestCluster, ql: Connection, clients: WsTestClient[]) => Promise<void>,
): Promise<void> {
  const cluster = await startCluster(count);
  const ql = await connectCometql(cluster.nodes[0].qlPort, CLUSTER_PASSWORD);
  const clients: WsTestClient[] = [];
  try {
    await fn(cluster, ql, clients);
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await ql.end();
    await cluster.dispose();
  }
}

/** A browser tab of `userId` (hash `h<userId>`) on the node at `port`, authorized. */
async function tab(port: number, userId: number, clients: WsTestClient[], settle = true) {
  const { client, serverInfo } = await WsTestClient.connect(
    port,
    wsPath({ key: `h${userId}`, userId }),
  );
  clients.push(client);
  assert.equal(serverInfo.authorized, true, `user ${userId} authorized`);
  // Commands run after the attach finished: from the reply on, the tab receives live messages
  // from every node (a tab that had a queue gets it before the reply: not settled here).
  if (settle) assert.deepEqual(await client.barrier(), []);
  return client;
}

async function rows(ql: Connection, sql: string): Promise<Record<string, unknown>[]> {
  const [result] = await ql.query(sql);
  return result as Record<string, unknown>[];
}

Deno.test("cluster: users_messages on A reaches the user's tabs on B and C exactly once", async () => {
  await withCluster(3, async ({ nodes: [, b, c] }, ql, clients) => {
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (5, 'h5')");
    const tabs = [await tab(b.wsPort, 5, clients), await tab(b.wsPort, 5, clients)];
    tabs.push(await tab(c.wsPort, 5, clients));
    for (let i = 0; i < 10; i++) {
      await ql.query("INSERT INTO users_messages (id, event, message) VALUES (5, 'ev', ?)", [
        `p${i}`,
      ]);
    }
    for (const t of tabs) {
      for (let i = 0; i < 10; i++) {
        const m = await t.nextJson();
        assert.deepEqual([m.pipe, m.event, m.data, m.fromQueue], ["msg", "ev", `p${i}`, undefined]);
      }
      await t.expectNoFrame(100);
    }
    assert.deepEqual(await rows(ql, "SELECT * FROM users_messages WHERE id = 5"), []);
    // SHOW STATUS on A counts the tabs on B and C (user_online) and every node's backends.
    const onC = await connectCometql(c.qlPort, CLUSTER_PASSWORD);
    const status = await eventually("server_online of every node", async () => {
      const list = await rows(ql, "SHOW STATUS");
      const map = new Map(list.map((r) => Object.values(r) as [string, string]));
      return map.get("server_online") === "2" ? map : undefined;
    });
    await onC.end();
    assert.equal(status.get("user_online"), "3");
  });
});

Deno.test("cluster: offline → queued once on A, delivered once on the next connect on C", async () => {
  await withCluster(3, async ({ nodes: [, b, c] }, ql, clients) => {
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (6, 'h6')");
    for (let i = 0; i < 3; i++) {
      await ql.query("INSERT INTO users_messages (id, event, message) VALUES (6, 'ev', ?)", [
        `q${i}`,
      ]);
    }
    assert.equal((await rows(ql, "SELECT * FROM users_messages WHERE id = 6")).length, 3);
    const t = await tab(c.wsPort, 6, clients, false);
    for (let i = 0; i < 3; i++) {
      const m = await t.nextJson();
      assert.deepEqual([m.data, m.fromQueue], [`q${i}`, true]);
    }
    await t.expectNoFrame(100);
    const later = await tab(b.wsPort, 6, clients);
    await later.expectNoFrame(150);
    assert.deepEqual(await rows(ql, "SELECT * FROM users_messages WHERE id = 6"), []);
  });
});

Deno.test("cluster: inserts racing two tabs connecting on two nodes: none lost, none twice", async () => {
  await withCluster(3, async ({ nodes: [, b, c] }, ql, clients) => {
    for (let round = 0; round < 6; round++) {
      const userId = 100 + round;
      await ql.query(`INSERT INTO users_auth (id, hash) VALUES (${userId}, 'h${userId}')`);
      const sent = Array.from({ length: 8 }, (_, i) => `r${round}m${i}`);
      const inserts = (async () => {
        for (const m of sent) {
          await ql.query("INSERT INTO users_messages (id, event, message) VALUES (?, 'ev', ?)", [
            userId,
            m,
          ]);
        }
      })();
      const [onB, onC] = await Promise.all([
        tab(b.wsPort, userId, clients, false),
        tab(c.wsPort, userId, clients, false),
      ]);
      await inserts;
      const received = new Map<WsTestClient, { data: string; queued: boolean }[]>();
      for (const t of [onB, onC]) {
        received.set(
          t,
          (await t.barrier()).map((m) => ({ data: m.data as string, queued: !!m.fromQueue })),
        );
      }
      await eventually(
        "queue empty",
        async () =>
          (await rows(ql, `SELECT * FROM users_messages WHERE id = ${userId}`)).length === 0,
      );
      for (const t of [onB, onC]) {
        received.get(t)!.push(
          ...(await t.barrier()).map((m) => ({ data: m.data as string, queued: !!m.fromQueue })),
        );
      }
      const all = [...received.values()].flat();
      for (const [, list] of received) {
        const texts = list.map((m) => m.data);
        assert.equal(new Set(texts).size, texts.length, `a tab got a message twice: ${texts}`);
      }
      assert.deepEqual(new Set(all.map((m) => m.data)), new Set(sent), "every message arrived");
      const fromQueue = all.filter((m) => m.queued).map((m) => m.data);
      assert.equal(new Set(fromQueue).size, fromQueue.length, "a queued message went out twice");
      for (const t of [onB, onC]) await t.close();
    }
  });
});

Deno.test("cluster: online/offline on the first/last connection anywhere; users_time", async () => {
  await withCluster(3, async ({ nodes: [a, b, c] }, ql, clients) => {
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (7, 'h7')");
    const { client: watcher } = await WsTestClient.connect(c.wsPort);
    clients.push(watcher);
    await watcher.sendText("subscription\nuser_status_7");
    await watcher.barrier();
    const first = await tab(a.wsPort, 7, clients);
    assert.deepEqual((await watcher.nextJson()).data, "online");
    const second = await tab(b.wsPort, 7, clients);
    for (const node of [a, b, c]) {
      const q = await connectCometql(node.qlPort, CLUSTER_PASSWORD);
      assert.deepEqual(await rows(q, "SELECT * FROM users_time WHERE id = 7"), [{
        id: "7",
        time: "0",
      }]);
      await q.end();
    }
    await first.close();
    await watcher.expectNoFrame(300); // still online on B
    await second.close();
    assert.deepEqual((await watcher.nextJson()).data, "offline");
    await watcher.expectNoFrame(200);
    const q = await connectCometql(c.qlPort, CLUSTER_PASSWORD);
    await eventually("last seen time on C", async () => {
      const [row] = await rows(q, "SELECT * FROM users_time WHERE id = 7");
      return Number(row.time) > 0;
    });
    await q.end();
  });
});

Deno.test("cluster: DELETE FROM users_auth on A drops the user on B; the old hash stops working there", async () => {
  await withCluster(2, async ({ nodes: [, b] }, ql, clients) => {
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (8, 'h8')");
    const t = await tab(b.wsPort, 8, clients);
    await ql.query("DELETE FROM users_auth WHERE id = 8");
    await t.waitClosed(2000);
    const { serverInfo } = await WsTestClient.connect(b.wsPort, wsPath({ key: "h8", userId: 8 }));
    assert.equal(serverInfo.authorized, false, "B's cached hash was dropped");
    // A new hash set on A works on B at once (B had cached none or the old one).
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (8, 'h8new')");
    const again = await WsTestClient.connect(b.wsPort, wsPath({ key: "h8new", userId: 8 }));
    clients.push(again.client);
    assert.equal(again.serverInfo.authorized, true);
  });
});

Deno.test("cluster: pipes_settings set on A makes B keep history of its browsers' messages", async () => {
  await withCluster(2, async ({ nodes: [a, b] }, ql, clients) => {
    const { client: sender } = await WsTestClient.connect(b.wsPort);
    clients.push(sender);
    // B loaded the (empty) settings at start; the change on A must reach it.
    await ql.query("INSERT INTO pipes_settings (name, length) VALUES ('web_kept', 10)");
    await eventually("B records history", async () => {
      await sender.sendText("web_pipe2\nweb_kept\nev\n*\nkept?");
      await sender.nextJson(); // the delivery report
      return (await rows(ql, "SELECT * FROM pipes_messages WHERE name = 'web_kept'")).length > 0;
    }, 2000);
    const q = await connectCometql(a.qlPort, CLUSTER_PASSWORD);
    assert.deepEqual(await rows(q, "SELECT * FROM pipes_settings WHERE name = 'web_kept'"), [
      { name: "web_kept", length: "10" },
    ]);
    await q.end();
  });
});

Deno.test("cluster: track_ events, pipe count, users_in_pipes and pipes answer for every node", async () => {
  await withCluster(2, async ({ nodes: [a, b] }, ql, clients) => {
    await ql.query("INSERT INTO users_auth (id, hash) VALUES (11, 'h11'), (12, 'h12')");
    const watcher = await tab(a.wsPort, 11, clients);
    await watcher.sendText("subscription\ntrack_room");
    await watcher.barrier();
    const joiner = await tab(b.wsPort, 12, clients);
    await joiner.sendText("subscription\ntrack_room");
    await joiner.barrier();
    const event = await watcher.nextJson();
    assert.deepEqual([event.event, (event.data as { user_id: number }).user_id], [
      "subscription",
      12,
    ]);
    await eventually(
      "two in track_room",
      async () =>
        (await rows(ql, "SELECT * FROM pipes WHERE name = 'track_room'"))[0]?.users === "2",
    );
    const members = await rows(ql, "SELECT * FROM users_in_pipes WHERE name = 'track_room'");
    assert.deepEqual(members.map((m) => m.user_id), ["12", "11"], "newest first");
    await watcher.sendText("track_pipe_users\ntrack_room\nm1");
    const list = await watcher.nextJson();
    assert.deepEqual((list.data as { user_id: number }[]).map((u) => u.user_id), [12, 11]);
    await joiner.close();
    const gone = await watcher.nextJson();
    assert.deepEqual([gone.event, (gone.data as { user_id: number }).user_id], [
      "unsubscription",
      12,
    ]);
  });
});

Deno.test("cluster: the cometqlcluster_v1 prefix selects a tenant; tenants stay apart across nodes", async () => {
  await withCluster(2, async ({ nodes: [, b] }, ql, clients) => {
    const { client: dev1 } = await WsTestClient.connect(b.wsPort, wsPath({ devId: 1 }));
    const { client: dev2 } = await WsTestClient.connect(b.wsPort, wsPath({ devId: 2 }));
    clients.push(dev1, dev2);
    for (const c of [dev1, dev2]) {
      await c.sendText("subscription\nweb_t");
      await c.barrier();
    }
    await ql.query(
      "cometqlcluster_v1 set dev_id=1; INSERT INTO pipes_messages (name, event, message) VALUES ('web_t', 'e', 'for 1')",
    );
    assert.equal((await dev1.nextJson()).data, "for 1");
    await dev2.expectNoFrame(200);
  });
});
