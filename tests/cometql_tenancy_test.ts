/**
 * Tenancy and cluster traffic on the CometQL side (docs/protocol/cometql.md §2.3, §3, §7.5, §12.1):
 * `SHOW STATUS` counts the session tenant's authorized browsers; private messages that arrive
 * with the cluster prefix are delivered locally only and never queued.
 */
import { connectCometql } from "./helpers/cometql_connection.ts";
import { assertEquals } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

Deno.test("SHOW STATUS user_online counts the session tenant's authorized connections", async () => {
  const server = await startTestServer();
  const login = (user: string) => connectCometql(server.qlPort, server.password, user);
  const tenant0 = await login("root");
  const tenant7 = await login("7");
  await tenant0.query("INSERT INTO users_auth (id, hash) VALUES (3, 'h3')");
  const { client } = await WsTestClient.connect(server.wsPort, wsPath({ key: "h3", userId: 3 }));
  const anonymous = await WsTestClient.connect(server.wsPort, wsPath({ devId: 7 }));
  try {
    const online = async (c: typeof tenant0) => {
      const [rows] = await c.query("SHOW STATUS");
      const map = Object.fromEntries(
        (rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]),
      );
      return [map.id, map.user_online];
    };
    assertEquals(await online(tenant0), ["0", "1"]);
    assertEquals(await online(tenant7), ["7", "0"]); // an anonymous browser is not counted
  } finally {
    await client.close();
    await anonymous.client.close();
    await tenant0.end();
    await tenant7.end();
    await server.stop();
  }
});

Deno.test("cluster-prefixed users_messages are delivered locally, never queued", async () => {
  const server = await startTestServer();
  const connect = () => connectCometql(server.qlPort, server.password);
  // The prefix marks the whole connection as cluster traffic (docs/protocol/cometql.md §3), so use
  // another one for the local insert.
  const node2 = await connect();
  const ql = await connect();
  try {
    await node2.query(
      "cometqlcluster_v1 set dev_id=0; INSERT INTO users_messages (id, event, message) VALUES (50, 'e', 'x')",
    );
    await node2.end();
    await ql.query("INSERT INTO users_messages (id, event, message) VALUES (51, 'e', 'y')");
    const [fromCluster] = await ql.query("SELECT event, message FROM users_messages WHERE id = 50");
    const [local] = await ql.query("SELECT event, message FROM users_messages WHERE id = 51");
    assertEquals(fromCluster as unknown, []);
    assertEquals(local as unknown, [{ event: "e", message: "y" }]);
  } finally {
    await ql.end();
    await server.stop();
  }
});
