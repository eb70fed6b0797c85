/**
 * One conformance suite for every Presence driver (issue 12). A "node" here is what the core
 * gives a driver: its own registries (PipeRegistry, UserRegistry) behind `LocalState`, updated
 * first, then the driver told — exactly the order of CometNode. Single-node cases run against
 * every driver; cluster cases (`shared`) against drivers whose nodes share a backend.
 */
import assert from "node:assert/strict";
import type { LocalState, Presence } from "../src/cluster/presence.ts";
import { PipeRegistry } from "../src/core/pipe_registry.ts";
import type { Outbound } from "../src/core/outbound.ts";
import type { Subscriber } from "../src/core/subscriber.ts";
import { WireFormat } from "../src/core/wire_format.ts";
import { UserRegistry } from "../src/core/user_registry.ts";
import { waitFor } from "./helpers/wait_for.ts";

export interface PresenceBackend {
  /** A new, unstarted driver on the shared backend. */
  presence(): Presence;
  /** Several nodes made by `presence()` see each other. */
  shared: boolean;
  destroy(): Promise<void>;
}

let nextId = 1;

function subscriber(devId: number, userId: number, uuid = `uuid${nextId}`): Subscriber {
  return {
    id: nextId++,
    devId,
    userId,
    uuid,
    format: WireFormat.Clean,
    userAgent: "agent",
    ip: "127.0.0.1",
    origin: "https://example.org",
    language: "en",
    pipes: new Set(),
    send: (_m: Outbound) => true,
    sendConfirmed: (_m: Outbound) => Promise.resolve(true),
    drop: () => {},
  };
}

/**
 * Until the clock has moved on, so that what is stored next is stamped later (drivers order
 * subscribers newest first by the time they subscribed).
 */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await waitFor(() => Date.now() > now, "the clock to tick", 1000, 1);
}

/** A node's registries plus its driver, changed in the core's order. */
export class TestNode {
  readonly pipes = new PipeRegistry();
  readonly users = new UserRegistry();
  lost: { devId: number; userIds: number[] }[] = [];
  cometqlConnections = 0;
  /** Open WebSocket connections as the node's stats would count them. */
  websocketConnections = 0;
  readonly startedAt = Date.now();

  constructor(readonly presence: Presence, readonly name = "node") {}

  async start(): Promise<this> {
    const { pipes, users } = this;
    const local: LocalState = {
      subscribersOf: (d, p) => pipes.subscribersOf(d, p),
      countSubscribers: (d, p) => pipes.count(d, p),
      forEachSubscription: (fn) => pipes.forEachSubscription(fn),
      forEachConnection: (fn) => users.forEachConnection(fn),
      isOnline: (d, u) => users.isOnline(d, u),
      userConnectionCount: (d, u) => users.countOf(d, u),
      lastSeenOf: (d, u) => users.lastSeenOf(d, u),
      connectionCount: (d) => users.connectionCount(d),
      cometqlConnections: () => this.cometqlConnections,
      nodeFigures: () => ({
        name: this.name,
        connections: this.websocketConnections,
        authorized: users.connectionTotal,
        users: users.onlineUsers,
        startedAt: this.startedAt,
      }),
    };
    await this.presence.start(local, {
      usersLost: (devId, userIds) => this.lost.push({ devId, userIds }),
      trackersLost: () => {},
    });
    return this;
  }

  subscribe(sub: Subscriber, pipe: string): void {
    this.pipes.subscribe(sub, pipe);
    this.presence.subscribed(sub, pipe);
  }

  unsubscribe(sub: Subscriber, pipe: string): void {
    this.pipes.unsubscribe(sub, pipe);
    this.presence.unsubscribed(sub, pipe);
  }

  connect(sub: Subscriber): Promise<number> {
    this.users.add(sub);
    return this.presence.connected(sub);
  }

  disconnect(sub: Subscriber, now: number): Promise<number> {
    this.users.remove(sub, now);
    return this.presence.disconnected(sub, now);
  }
}

export function presenceConformance(name: string, make: () => Promise<PresenceBackend>): void {
  const test = (
    title: string,
    body: (node: () => Promise<TestNode>) => Promise<void>,
    options: { cluster?: boolean } = {},
  ) =>
    Deno.test(`${name} presence: ${title}`, async (t) => {
      const backend = await make();
      if (options.cluster && !backend.shared) {
        await backend.destroy();
        await t.step({ name: "not a shared driver", ignore: true, fn: () => {} });
        return;
      }
      const nodes: TestNode[] = [];
      try {
        await body(async () => {
          const n = await new TestNode(backend.presence(), `node${nodes.length}`).start();
          nodes.push(n);
          return n;
        });
      } finally {
        for (const n of nodes) await n.presence.close();
        await backend.destroy();
      }
    });

  test("pipe subscribers: count, details, newest first, per tenant", async (node) => {
    const a = await node();
    const [s1, s2, other] = [
      subscriber(0, 7, "first"),
      subscriber(0, 0, "second"),
      subscriber(1, 7),
    ];
    a.subscribe(s1, "track_room");
    await nextMillisecond();
    a.subscribe(s2, "track_room");
    a.subscribe(other, "track_room");
    assert.equal(await a.presence.subscriberCount(0, "track_room"), 2);
    assert.equal(await a.presence.subscriberCount(1, "track_room"), 1);
    assert.equal(await a.presence.subscriberCount(0, "web_none"), 0);
    const list = await a.presence.subscribers(0, "track_room");
    assert.deepEqual(list.map((e) => [e.userId, e.uuid]), [[0, "second"], [7, "first"]]);
    assert.deepEqual(list[1], {
      userId: 7,
      uuid: "first",
      userAgent: "agent",
      ip: "127.0.0.1",
      origin: "https://example.org",
      language: "en",
    });
    a.unsubscribe(s1, "track_room");
    assert.equal(await a.presence.subscriberCount(0, "track_room"), 1);
  });

  test("connections: first and last of a user, online, last seen, per tenant", async (node) => {
    const a = await node();
    const [t1, t2, stranger] = [subscriber(0, 5), subscriber(0, 5), subscriber(3, 5)];
    assert.equal(await a.presence.isOnline(0, 5), false);
    assert.equal(await a.connect(t1), 1, "first connection");
    assert.equal(await a.connect(t2), 2);
    assert.equal(await a.connect(stranger), 1, "another tenant's user 5 is another user");
    assert.equal(await a.presence.isOnline(0, 5), true);
    assert.equal(await a.presence.connectionCount(0), 2);
    assert.equal(await a.presence.connectionCount(3), 1);
    assert.equal(await a.disconnect(t1, 1000), 1);
    assert.equal(await a.disconnect(t2, 1001), 0, "last connection");
    assert.equal(await a.presence.isOnline(0, 5), false);
    assert.equal(await a.presence.lastSeen(0, 5), 1001);
    assert.equal(await a.presence.lastSeen(0, 6), undefined);
    assert.equal(await a.presence.connectionCount(0), 0);
  });

  test("CometQL connections: this node's own figure", async (node) => {
    const a = await node();
    a.cometqlConnections = 4;
    assert.equal(await a.presence.cometqlConnections(), 4);
  });

  test("cluster: CometQL connections add up (others as of their last heartbeat)", async (node) => {
    const [a, b] = [await node(), await node()];
    a.cometqlConnections = 2;
    b.cometqlConnections = 3;
    const deadline = Date.now() + 5000;
    while (await a.presence.cometqlConnections() !== 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await a.presence.cometqlConnections(), 5);
  }, { cluster: true });

  test("the node list: this node alone, with its current figures", async (node) => {
    const a = await node();
    a.websocketConnections = 3;
    await a.connect(subscriber(0, 21));
    await a.connect(subscriber(0, 21));
    const [only, ...rest] = a.presence.nodes();
    assert.deepEqual(rest, []);
    assert.equal(only.self, true);
    assert.equal(only.name, "node0");
    assert.equal(only.connections, 3);
    assert.equal(only.authorized, 2);
    assert.equal(only.users, 1);
    assert.equal(only.startedAt, a.startedAt);
    assert.ok(Math.abs(only.heartbeat - Date.now()) < 1000);
    a.websocketConnections = 4;
    assert.equal(a.presence.nodes()[0].connections, 4, "live, not as of a heartbeat");
  });

  test("cluster: every node lists every live node with its figures", async (node) => {
    const [a, b] = [await node(), await node()];
    a.websocketConnections = 2;
    b.websocketConnections = 5;
    await b.connect(subscriber(0, 31));
    await b.connect(subscriber(0, 32));
    await b.connect(subscriber(0, 32));
    const view = (n: TestNode) =>
      n.presence.nodes().map((s) =>
        `${s.name}:${s.self}:${s.connections}:${s.authorized}:${s.users}`
      )
        .sort().join(" ");
    const deadline = Date.now() + 5000;
    while (view(a) !== "node0:true:2:0:0 node1:false:5:3:2" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(view(a), "node0:true:2:0:0 node1:false:5:3:2");
    while (view(b) !== "node0:false:2:0:0 node1:true:5:3:2" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(view(b), "node0:false:2:0:0 node1:true:5:3:2");
    const ids = a.presence.nodes().map((s) => s.id);
    assert.equal(new Set(ids).size, 2, "ids tell nodes apart");
    const other = a.presence.nodes().find((s) => !s.self)!;
    assert.equal(other.startedAt, b.startedAt);
    assert.ok(other.heartbeat <= Date.now() && other.heartbeat > b.startedAt - 1);
    // A node that leaves is dropped at the next heartbeat at the latest.
    await b.presence.close();
    while (a.presence.nodes().length !== 1 && Date.now() < deadline + 5000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(a.presence.nodes().map((s) => s.name), ["node0"]);
  }, { cluster: true });

  test("the user lock runs one function at a time per user", async (node) => {
    const a = await node();
    const order: string[] = [];
    const job = (tag: string) => async () => {
      order.push(`${tag}+`);
      await new Promise((r) => setTimeout(r, 10));
      order.push(`${tag}-`);
      return tag;
    };
    const results = await Promise.all([
      a.presence.withUserLock(0, 1, job("a")),
      a.presence.withUserLock(0, 1, job("b")),
    ]);
    assert.deepEqual(results, ["a", "b"]);
    assert.deepEqual(order, ["a+", "a-", "b+", "b-"]);
    await assert.rejects(a.presence.withUserLock(0, 1, () => Promise.reject(new Error("x"))));
    assert.equal(await a.presence.withUserLock(0, 1, () => Promise.resolve(1)), 1, "not stuck");
  });

  test("cluster: counts and lists add up over nodes", async (node) => {
    const [a, b] = [await node(), await node()];
    a.subscribe(subscriber(0, 1, "on-a"), "web_all");
    await nextMillisecond();
    b.subscribe(subscriber(0, 2, "on-b"), "web_all");
    b.subscribe(subscriber(0, 3, "on-b-2"), "web_all");
    for (const n of [a, b]) {
      assert.equal(await n.presence.subscriberCount(0, "web_all"), 3);
      const uuids = (await n.presence.subscribers(0, "web_all")).map((e) => e.uuid);
      assert.deepEqual(uuids.slice(2), ["on-a"], "the oldest last");
      assert.deepEqual(new Set(uuids), new Set(["on-a", "on-b", "on-b-2"]));
    }
  }, { cluster: true });

  test("cluster: a user is online from the first connection anywhere to the last", async (node) => {
    const [a, b] = [await node(), await node()];
    const [onA, onB] = [subscriber(0, 9), subscriber(0, 9)];
    assert.equal(await a.connect(onA), 1);
    assert.equal(await b.connect(onB), 2, "not the first: no second online event");
    assert.equal(await b.presence.connectionCount(0), 2);
    assert.equal(await a.disconnect(onA, 50), 1, "still online on b");
    assert.equal(await b.presence.isOnline(0, 9), true);
    assert.equal(await a.presence.isOnline(0, 9), true);
    assert.equal(await b.disconnect(onB, 60), 0);
    assert.equal(await a.presence.isOnline(0, 9), false);
    assert.equal(await a.presence.lastSeen(0, 9), 60);
  }, { cluster: true });

  test("cluster: two nodes connecting one user at once: exactly one first", async (node) => {
    const [a, b] = [await node(), await node()];
    for (let round = 0; round < 20; round++) {
      const [x, y] = [subscriber(0, 100 + round), subscriber(0, 100 + round)];
      const totals = await Promise.all([a.connect(x), b.connect(y)]);
      assert.deepEqual(totals.sort(), [1, 2]);
      const left = await Promise.all([a.disconnect(x, 1), b.disconnect(y, 1)]);
      assert.deepEqual(left.sort(), [0, 1]);
    }
  }, { cluster: true });

  test("cluster: the user lock holds across nodes", async (node) => {
    const [a, b] = [await node(), await node()];
    let inside = 0;
    let most = 0;
    const job = async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 15));
      inside--;
    };
    await Promise.all([
      a.presence.withUserLock(0, 1, job),
      b.presence.withUserLock(0, 1, job),
      a.presence.withUserLock(0, 1, job),
      b.presence.withUserLock(0, 1, job),
    ]);
    assert.equal(most, 1);
  }, { cluster: true });

  test("cluster: a node that closes takes its entries along", async (node) => {
    const [a, b] = [await node(), await node()];
    b.subscribe(subscriber(0, 4), "web_gone");
    await b.connect(subscriber(0, 4));
    assert.equal(await a.presence.subscriberCount(0, "web_gone"), 1);
    await b.presence.close();
    assert.equal(await a.presence.subscriberCount(0, "web_gone"), 0);
    assert.equal(await a.presence.isOnline(0, 4), false);
  }, { cluster: true });
}
