/**
 * The HTTP API on the admin port: what it publishes reaches browsers like a CometQL INSERT, it
 * refuses what CometQL refuses with the same texts, it reads and writes the same data, and its
 * key, tenant and body rules hold.
 */
import { checkAccess, keyMatches } from "../src/admin/api_access.ts";
import { applyReloadable, configChanges } from "../src/config/config_changes.ts";
import { createHttpApi } from "../src/admin/http_api.ts";
import { buildConfig } from "../src/config/config.ts";
import { parseIni } from "../src/config/ini.ts";
import { CometNode } from "../src/core/comet_node.ts";
import { Logger } from "../src/log.ts";
import { type Storage, StorageError } from "../src/storage/storage.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { connectCometql } from "./helpers/cometql_connection.ts";
import { ApiClient } from "./helpers/http_api_client.ts";
import { adminOn, type TestServer, withTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

function withApi(
  fn: (t: TestServer, api: ApiClient) => Promise<void>,
  extraIni = "",
): Promise<void> {
  return withTestServer((t) => fn(t, new ApiClient(t.adminPort, t.password)), adminOn() + extraIni);
}

async function subscriber(t: TestServer, pipes: string, devId = 0): Promise<WsTestClient> {
  const { client } = await WsTestClient.connect(t.wsPort, wsPath({ devId }));
  await client.sendText(`subscription\n${pipes}`);
  await client.barrier();
  return client;
}

/** The error text and number CometQL answers for `sql`. */
async function cometqlError(t: TestServer, sql: string): Promise<[number, string]> {
  const backend = await connectCometql(t.qlPort, t.password);
  try {
    await backend.query(sql);
  } catch (e) {
    const err = e as { errno: number; sqlMessage: string };
    return [err.errno, err.sqlMessage];
  } finally {
    await backend.end();
  }
  throw new Error(`CometQL accepted: ${sql}`);
}

Deno.test("POST /api/publish reaches the pipe's browsers as a CometQL INSERT would", () =>
  withApi(async (t, api) => {
    const browser = await subscriber(t, "news\nsports");
    try {
      const one = await api.post("/api/publish", {
        pipe: "news",
        event: "breaking",
        message: `it's "quoted" \\ and ünïcode`,
      });
      assertEquals([one.status, one.json], [200, { ok: true, published: 1 }]);
      const m = await browser.nextJson();
      assertEquals([m.pipe, m.event, m.data], ["news", "breaking", `it's "quoted" \\ and ünïcode`]);

      const many = await api.post("/api/publish", {
        pipes: ["news", "sports"],
        event: "both",
        message: "x",
      });
      assertEquals([many.status, many.json], [200, { ok: true, published: 2 }]);
      const got = [await browser.nextJson(), await browser.nextJson()].map((f) => f.pipe).sort();
      assertEquals(got, ["news", "sports"]);
    } finally {
      await browser.close();
    }
  }));

Deno.test("a multi-pipe publish with one bad pipe publishes to none", () =>
  withApi(async (t, api) => {
    const browser = await subscriber(t, "good_pipe");
    try {
      const r = await api.post("/api/publish", {
        pipes: ["good_pipe", "bad pipe!"],
        event: "e",
        message: "never",
      });
      assertEquals(r.status, 400);
      assertEquals(
        r.json.error.message,
        "The channel name can contain only the characters A-Za-z0-9_-",
      );
      assertEquals(await browser.barrier(), [], "nothing was delivered");
      assertEquals(t.node.stats.published.cometql, 0);
    } finally {
      await browser.close();
    }
  }));

Deno.test("refusals carry CometQL's error number and text", () =>
  withApi(async (t, api) => {
    const long = "x".repeat(65);
    const cases: [string, string, unknown, string][] = [
      [
        "POST",
        "/api/publish",
        { pipe: "ab", event: "e", message: "m" },
        "INSERT INTO pipes_messages (name, event, message) VALUES ('ab', 'e', 'm')",
      ],
      [
        "POST",
        "/api/publish",
        { pipe: long, event: "e", message: "m" },
        `INSERT INTO pipes_messages (name, event, message) VALUES ('${long}', 'e', 'm')`,
      ],
      [
        "POST",
        "/api/publish",
        { pipe: "abc", event: long, message: "m" },
        `INSERT INTO pipes_messages (name, event, message) VALUES ('abc', '${long}', 'm')`,
      ],
      [
        "POST",
        "/api/publish",
        { pipe: "abc", message: "m" },
        "INSERT INTO pipes_messages (name, message) VALUES ('abc', 'm')",
      ],
      [
        "PUT",
        "/api/users/0/auth",
        { hash: "abc" },
        "INSERT INTO users_auth (id, hash) VALUES (0, 'abc')",
      ],
      [
        "PUT",
        "/api/users/5/auth",
        { hash: "a b" },
        "INSERT INTO users_auth (id, hash) VALUES (5, 'a b')",
      ],
      [
        "PUT",
        "/api/users/5/auth",
        { hash: "a".repeat(33) },
        `INSERT INTO users_auth (id, hash) VALUES (5, '${"a".repeat(33)}')`,
      ],
      [
        "PUT",
        "/api/users/0/data",
        { data: "d" },
        "INSERT INTO users_data (id, data) VALUES (0, 'd')",
      ],
      [
        "POST",
        "/api/users/5/messages",
        { event: "bad event", message: "m" },
        "INSERT INTO users_messages (id, event, message) VALUES (5, 'bad event', 'm')",
      ],
      [
        "GET",
        "/api/pipes/a$c/history",
        undefined,
        "INSERT INTO pipes_settings (name, length) VALUES ('a$c', 3)",
      ],
    ];
    for (const [method, path, body, sql] of cases) {
      const r = await api.call(method, path, body);
      const [errno, text] = await cometqlError(t, sql);
      assertEquals(r.status, 400, `${method} ${path}`);
      assertEquals(
        [r.json.error.errno, r.json.error.message],
        [errno, text],
        `${method} ${path} ≡ ${sql}`,
      );
    }
  }));

Deno.test("what the API writes CometQL reads, and the other way round", () =>
  withApi(async (t, api) => {
    const backend = await connectCometql(t.qlPort, t.password);
    try {
      assertEquals((await api.put("/api/users/7/auth", { hash: "secret7" })).json, { ok: true });
      const [auth] = await backend.query("SELECT hash FROM users_auth WHERE id = 7");
      assertEquals(auth as unknown, [{ hash: "secret7" }]);
      await backend.query("INSERT INTO users_data (id, data) VALUES (7, 'from sql')");
      assertEquals((await api.get("/api/users/7/data")).json, { id: 7, data: "from sql" });
      assertEquals((await api.get("/api/users/8/data")).json, { id: 8, data: null });
      assertEquals((await api.delete("/api/users/7/data")).json, { ok: true });
      assertEquals((await api.get("/api/users/7/data")).json, { id: 7, data: null });

      assertEquals((await api.put("/api/pipes/kept/settings", { length: 5000 })).json, {
        ok: true,
      });
      assertEquals((await api.get("/api/pipes/kept/settings")).json, {
        name: "kept",
        length: 1000,
      }, "clamped as in CometQL (docs/protocol/cometql.md §7.4)");
      await api.post("/api/publish", { pipe: "kept", event: "e1", message: "first" });
      await backend.query(
        "INSERT INTO pipes_messages (name, event, message) VALUES ('kept', 'e2', 'second')",
      );
      const history = await api.get("/api/pipes/kept/history");
      assertEquals(
        history.json.messages.map((m: Record<string, unknown>) => [m.index, m.event, m.message]),
        [[0, "e1", "first"], [1, "e2", "second"]],
      );
      const id = history.json.messages[0].id;
      assertEquals((await api.delete(`/api/history/${id}`)).json, { ok: true });
      const [left] = await backend.query("SELECT message FROM pipes_messages WHERE name = 'kept'");
      assertEquals(left as unknown, [{ message: "second" }]);
      assertEquals((await api.delete("/api/pipes/kept/history")).json, { ok: true });
      assertEquals((await api.get("/api/pipes/kept/history")).json, { messages: [] });
      assertEquals((await api.delete("/api/pipes/kept/settings")).json, { ok: true });
      assertEquals((await api.get("/api/pipes/kept/settings")).json, {
        name: "kept",
        length: null,
      });

      const token = "eyJhbGciOiJIUzI1NiJ9.e30.sig";
      assertEquals((await api.post("/api/revoked-tokens", { token })).json, { ok: true });
      const [revoked] = await backend.query("SELECT token FROM revoked_tokens");
      assertEquals(revoked as unknown, [{ token }]);
      assertEquals((await api.get("/api/revoked-tokens")).json, { tokens: [token] });
      const tokenPath = `/api/revoked-tokens/${encodeURIComponent(token)}`;
      assertEquals((await api.get(tokenPath)).json, { token, revoked: true });
      assertEquals((await api.delete(tokenPath)).json, { ok: true });
      assertEquals((await api.get(tokenPath)).json, { token, revoked: false });
    } finally {
      await backend.end();
    }
  }));

Deno.test("private messages: delivered to a connected user, queued for an offline one", () =>
  withApi(async (t, api) => {
    await api.put("/api/users/9/auth", { hash: "hash9" });
    const { client, serverInfo } = await WsTestClient.connect(
      t.wsPort,
      wsPath({ key: "hash9", userId: 9 }),
    );
    try {
      assertEquals(serverInfo.authorized, true);
      assertEquals((await api.get("/api/users/9/time")).json, { id: 9, time: 0 });
      const r = await api.post("/api/users/9/messages", { event: "hello", message: "live" });
      assertEquals(r.json, { ok: true });
      const m = await client.nextJson();
      assertEquals([m.event, m.data], ["hello", "live"]);
      assertEquals((await api.get("/api/users/9/messages")).json, { messages: [] });
    } finally {
      await client.close();
    }
    await api.post("/api/users/10/messages", { event: "later", message: "queued" });
    const queued = await api.get("/api/users/10/messages");
    assertEquals(
      queued.json.messages.map((m: Record<string, unknown>) => [m.id, m.event, m.message]),
      [[10, "later", "queued"]],
    );
    assertEquals((await api.delete("/api/users/10/messages")).json, { ok: true });
    assertEquals((await api.get("/api/users/10/messages")).json, { messages: [] });
    assertEquals((await api.get("/api/users/12345/time")).json, { id: 12345, time: -1 });
  }));

Deno.test("subscriber counts and lists of a pipe", () =>
  withApi(async (t, api) => {
    const a = await subscriber(t, "lobby");
    const b = await subscriber(t, "lobby\nother");
    try {
      assertEquals((await api.get("/api/pipes/lobby")).json, { name: "lobby", users: 2 });
      assertEquals((await api.get("/api/pipes/empty_pipe")).json, { name: "empty_pipe", users: 0 });
      const subs = await api.get("/api/pipes/lobby/subscribers");
      assertEquals(subs.json.subscribers.length, 2);
      assertEquals(subs.json.subscribers[0].name, "lobby");
      assertEquals(subs.json.subscribers[0].user_id, 0);
    } finally {
      await a.close();
      await b.close();
    }
  }));

Deno.test("key: none → 401, wrong → 401, [admin] api_key replaces the password", async () => {
  await withApi(async (_t, api) => {
    const none = await api.post("/api/publish", {}, { key: null });
    assertEquals([none.status, none.json.error.code], [401, "unauthorized"]);
    assertEquals(none.headers.get("www-authenticate"), 'Bearer realm="comet"');
    const wrong = await api.post("/api/publish", {}, { key: "CometQLPasswordX" });
    assertEquals([wrong.status, wrong.json.error.code], [401, "unauthorized"]);
    const openapi = await api.get("/api/openapi.json", { key: null });
    assertEquals([openapi.status, openapi.json.openapi], [200, "3.1.0"], "the document is public");
    const page = await fetch(api.url("/"));
    assertEquals(page.status, 200);
    await page.body?.cancel();
    const dashboard = await api.get("/api/dashboard", { key: null });
    assertEquals(dashboard.status, 401, "dashboard data needs the key");
  });
  await withApi(async (t, api) => {
    const byPassword = await api.get("/api/pipes/abc");
    assertEquals(byPassword.status, 401);
    const byKey = await api.get("/api/pipes/abc", { key: "a-separate-api-key" });
    assertEquals(byKey.json, { name: "abc", users: 0 });
    for (const path of ["/metrics", "/health"]) {
      const res = await fetch(`http://127.0.0.1:${t.adminPort}${path}`);
      assertEquals(res.status, 200, `${path} stays open for scrapers`);
      await res.body?.cancel();
    }
  }, "api_key = a-separate-api-key\n");
});

Deno.test("tenants: Comet-Dev-Id scopes every call; out of range → 403", () =>
  withApi(async (t, api) => {
    const tenant0 = await subscriber(t, "shared_name", 0);
    const tenant1 = await subscriber(t, "shared_name", 1);
    try {
      const r = await api.post("/api/publish", { pipe: "shared_name", event: "e", message: "m" }, {
        headers: { "comet-dev-id": "1" },
      });
      assertEquals(r.status, 200);
      assertEquals((await tenant1.nextJson()).data, "m");
      assertEquals(await tenant0.barrier(), [], "tenant 0 saw nothing");
      const count = await api.get("/api/pipes/shared_name", { headers: { "comet-dev-id": "1" } });
      assertEquals(count.json.users, 1);
      for (const bad of ["100000", "-1", "abc", "1e3"]) {
        const denied = await api.get("/api/pipes/shared_name", {
          headers: { "comet-dev-id": bad },
        });
        assertEquals([denied.status, denied.json.error], [403, {
          code: "forbidden_tenant",
          message: "Invalid dev_id value",
        }], bad);
      }
    } finally {
      await tenant0.close();
      await tenant1.close();
    }
  }));

Deno.test("bodies: bad JSON, wrong types and unknown fields → 400; oversized → 413", () =>
  withApi(async (t, api) => {
    const bad = await api.call("POST", "/api/publish", undefined, { raw: "{not json" });
    assertEquals([bad.status, bad.json.error.code], [400, "bad_json"]);
    const notObject = await api.call("POST", "/api/publish", undefined, { raw: "[1]" });
    assertEquals(notObject.json.error.message, "Request body must be a JSON object");
    const wrongType = await api.post("/api/publish", { pipe: "abc", event: "e", message: 5 });
    assertEquals([wrongType.status, wrongType.json.error], [400, {
      code: "bad_request",
      message: "Field `message` must be string",
    }]);
    const both = await api.post("/api/publish", {
      pipe: "a",
      pipes: ["b"],
      event: "",
      message: "",
    });
    assertEquals(both.json.error.code, "bad_request");
    const unknown = await api.put("/api/users/3/data", { data: "x", extra: 1 });
    assertEquals(unknown.json.error.message, "Unknown field `extra`");
    const length = await api.put("/api/pipes/abc/settings", { length: "5" });
    assertEquals(length.json.error.message, "Field `length` must be integer");
    const id = await api.get("/api/users/abc/data");
    assertEquals([id.status, id.json.error.code], [400, "bad_request"]);

    const limit = t.config.cometql.maxQuerySize;
    const huge = JSON.stringify({ pipe: "abc", event: "e", message: "x".repeat(limit) });
    const tooLarge = await api.call("POST", "/api/publish", undefined, { raw: huge });
    assertEquals([tooLarge.status, tooLarge.json.error.code], [413, "body_too_large"]);
    // Without Content-Length (a chunked stream), the bound holds too.
    const stream = new Blob([huge]).stream();
    const chunked = await fetch(api.url("/api/publish"), {
      method: "POST",
      headers: { authorization: `Bearer ${api.key}` },
      body: stream,
    });
    assertEquals(chunked.status, 413);
    await chunked.body?.cancel();
    assertEquals(t.node.stats.published.cometql, 0, "nothing was published");

    const missing = await api.get("/api/nothing");
    assertEquals([missing.status, missing.json.error.code], [404, "not_found"]);
    const method = await api.call("PATCH", "/api/publish");
    assertEquals([method.status, method.json.error.code], [405, "method_not_allowed"]);
    assertEquals(method.headers.get("allow"), "POST");
  }));

Deno.test("the key comparison is by digest: equal keys match, any difference does not", () => {
  assert.ok(keyMatches("secret", "secret"));
  for (const other of ["", "secreT", "secret ", "secre", "secretsecret"]) {
    assert.ok(!keyMatches(other, "secret"), other);
  }
});

Deno.test("storage failures → 503 storage_unavailable with the CometQL text", async () => {
  const failing = new Proxy({} as Storage, {
    get: (_, key) =>
      key === "description"
        ? "failing"
        : key === "isAvailable"
        ? () => false
        : () => Promise.reject(new StorageError("database is down")),
  });
  const config = buildConfig(parseIni("[main]\npassword = k\n", "test.conf"));
  const node = new CometNode(config, failing, new Logger(0, {}, () => {}));
  const api = createHttpApi(node, {
    version: "test",
    dashboard: () => {
      throw new Error("not used");
    },
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await api(
      new Request(`http://127.0.0.1${path}`, {
        method,
        headers: { authorization: "Bearer k" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      path,
    );
    return { status: res.status, json: await res.json() };
  };
  const unavailable = {
    code: "storage_unavailable",
    message: "Storage unavailable: database is down",
    errno: 500,
  };
  for (
    const [method, path, body] of [
      ["PUT", "/api/users/1/auth", { hash: "h" }],
      ["GET", "/api/users/1/data"],
      ["POST", "/api/users/1/messages", { event: "e", message: "queued" }],
      ["GET", "/api/revoked-tokens"],
      ["PUT", "/api/pipes/abc/settings", { length: 1 }],
    ] as [string, string, unknown?][]
  ) {
    const r = await call(method, path, body);
    assertEquals([r.status, r.json.error], [503, unavailable], `${method} ${path}`);
  }
  // Publishing needs no storage (history is written in the background).
  assertEquals(
    (await call("POST", "/api/publish", { pipe: "abc", event: "", message: "m" })).json,
    {
      ok: true,
      published: 1,
    },
  );
});

Deno.test("a reload (SIGHUP) applies a new [admin] api_key at once", () => {
  const running = buildConfig(parseIni("[admin]\napi_key = old-key\n", "a.conf"));
  const next = buildConfig(parseIni("[admin]\napi_key = new-key\n", "a.conf"));
  const request = (key: string) =>
    new Request("http://127.0.0.1/api/pipes/abc", { headers: { authorization: `Bearer ${key}` } });
  assertEquals(checkAccess(request("old-key"), running), 0);
  assertEquals(configChanges(running, next), { applied: ["admin.apiKey"], needRestart: [] });
  applyReloadable(running, next);
  assertEquals(checkAccess(request("new-key"), running), 0);
  assertEquals((checkAccess(request("old-key"), running) as { status: number }).status, 401);
});
