/**
 * `/api/openapi.json` is a valid OpenAPI 3.1 document (checked by
 * @seriousme/openapi-schema-validator), every route's real responses — successes and errors — match
 * the schema it documents for that status (ajv, JSON Schema 2020-12, with ajv-formats), every
 * operation is exercised, and docs/http-api.md is what the document renders to.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { renderApiMarkdown } from "../src/admin/http_api_markdown.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { ApiClient, type ApiReply } from "./helpers/http_api_client.ts";
import { adminOn, withTestServer } from "./helpers/server.ts";
import { wsPath, WsTestClient } from "./helpers/ws_client.ts";

type Json = Record<string, unknown>;

const DOC_ID = "https://comet.test/openapi.json";

/** Validates replies against the operation's documented response for their status. */
class ResponseChecker {
  private ajv = new Ajv2020({ strict: false, allErrors: true });
  private templates: { method: string; template: string; pattern: RegExp; op: Json }[] = [];
  /** `METHOD template` → statuses validated. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly doc: Json) {
    addFormats.default(this.ajv);
    this.ajv.addSchema({ $id: DOC_ID, components: doc.components });
    for (const [template, ops] of Object.entries(doc.paths as Record<string, Json>)) {
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
      for (const [method, op] of Object.entries(ops as Record<string, Json>)) {
        this.templates.push({ method: method.toUpperCase(), template, pattern, op });
      }
    }
  }

  check(method: string, path: string, reply: ApiReply): void {
    const found = this.templates.find((t) => t.method === method && t.pattern.test(path));
    assert.ok(found, `${method} ${path} is not in the document`);
    const responses = found.op.responses as Record<string, Json>;
    const response = responses[String(reply.status)];
    assert.ok(response, `${method} ${found.template}: status ${reply.status} is not documented`);
    const content = response.content as Record<string, Json>;
    const schema = content["application/json"].schema as Json;
    const resolved = typeof schema.$ref === "string" ? { $ref: DOC_ID + schema.$ref } : schema;
    const validate = this.ajv.compile(resolved);
    assert.ok(
      validate(reply.json),
      `${method} ${path} ${reply.status}: ${JSON.stringify(validate.errors)}\n` +
        JSON.stringify(reply.json),
    );
    const key = `${method} ${found.template}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(reply.status);
  }

  operations(): string[] {
    return this.templates.map((t) => `${t.method} ${t.template}`);
  }
}

Deno.test("every route's responses match /api/openapi.json, a valid OpenAPI 3.1 document", () =>
  withTestServer(async (t) => {
    const api = new ApiClient(t.adminPort, t.password);
    const docReply = await api.get("/api/openapi.json", { key: null });
    const doc = docReply.json as Json;
    assertEquals(doc.openapi, "3.1.0");
    const validity = await new Validator().validate(doc);
    assert.ok(validity.valid, JSON.stringify(validity.errors));

    const checker = new ResponseChecker(doc);
    checker.check("GET", "/api/openapi.json", docReply);
    const call = async (method: string, path: string, body?: unknown, expect = 200) => {
      const reply = await api.call(method, path, body);
      assertEquals(reply.status, expect, `${method} ${path}: ${JSON.stringify(reply.json)}`);
      checker.check(method, path, reply);
      return reply;
    };

    const { client } = await WsTestClient.connect(t.wsPort, wsPath());
    await client.sendText("subscription\nroom");
    await client.barrier();
    try {
      await call("POST", "/api/publish", { pipe: "room", event: "e", message: "m" });
      await call("POST", "/api/publish", { pipes: ["room", "hall"], event: "e", message: "m" });
      await call("POST", "/api/publish", { pipe: "no", event: "e", message: "m" }, 400);
      await call("POST", "/api/publish", { pipe: "room", event: 1, message: "m" }, 400);
      const big = { pipe: "room", event: "e", message: "x".repeat(t.config.cometql.maxQuerySize) };
      await call("POST", "/api/publish", big, 413);
      await call("GET", "/api/pipes/room");
      await call("GET", "/api/pipes/x", undefined, 400);
      await call("GET", "/api/pipes/room/subscribers");
      await call("PUT", "/api/pipes/room/settings", { length: 10 });
      await call("PUT", "/api/pipes/room/settings", {}, 400);
      await call("GET", "/api/pipes/room/settings");
      await call("POST", "/api/publish", { pipe: "room", event: "kept", message: "m" });
      const history = await call("GET", "/api/pipes/room/history");
      assertEquals(history.json.messages.length, 1);
      await call("DELETE", `/api/history/${history.json.messages[0].id}`);
      await call("DELETE", "/api/pipes/room/history");
      await call("DELETE", "/api/pipes/room/settings");
      await call("GET", "/api/pipes/room/settings");

      await call("POST", "/api/users/4/messages", { event: "e", message: "m" });
      await call("POST", "/api/users/4/messages", { message: "m" }, 400);
      await call("GET", "/api/users/4/messages");
      await call("DELETE", "/api/users/4/messages");
      await call("GET", "/api/users/4/time");
      await call("PUT", "/api/users/4/auth", { hash: "h4" });
      await call("PUT", "/api/users/0/auth", { hash: "h4" }, 400);
      await call("GET", "/api/users/4/auth");
      await call("DELETE", "/api/users/4/auth");
      await call("GET", "/api/users/4/auth");
      await call("PUT", "/api/users/4/data", { data: "d" });
      await call("GET", "/api/users/4/data");
      await call("DELETE", "/api/users/4/data");
      await call("GET", "/api/users/x/data", undefined, 400);
      await call("POST", "/api/revoked-tokens", { token: "t.o.k" });
      await call("GET", "/api/revoked-tokens");
      await call("GET", "/api/revoked-tokens/t.o.k");
      await call("DELETE", "/api/revoked-tokens/t.o.k");
      await call("GET", "/api/dashboard");

      for (
        const [reply, method, path] of [
          [await api.get("/api/dashboard", { key: null }), "GET", "/api/dashboard"],
          [
            await api.get("/api/pipes/room", { headers: { "comet-dev-id": "100000" } }),
            "GET",
            "/api/pipes/room",
          ],
        ] as [ApiReply, string, string][]
      ) {
        assert.ok(reply.status === 401 || reply.status === 403);
        checker.check(method, path, reply);
      }
    } finally {
      await client.close();
    }

    for (const op of checker.operations()) {
      assert.ok(checker.seen.get(op)?.has(200), `${op}: no 200 response was validated`);
    }
    const errorStatuses = new Set([...checker.seen.values()].flatMap((s) => [...s]));
    for (const status of [400, 401, 403, 413]) {
      assert.ok(errorStatuses.has(status), `no ${status} response was validated`);
    }
  }, adminOn()));

Deno.test("docs/http-api.md is what the OpenAPI document renders to (`deno task docs:api`)", async () => {
  const formatter = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    cwd: new URL("..", import.meta.url).pathname,
  }).spawn();
  const writer = formatter.stdin.getWriter();
  await writer.write(new TextEncoder().encode(renderApiMarkdown()));
  await writer.close();
  const { stdout, code } = await formatter.output();
  assertEquals(code, 0);
  const committed = await Deno.readTextFile(new URL("../docs/http-api.md", import.meta.url));
  assert.ok(
    committed === new TextDecoder().decode(stdout),
    "docs/http-api.md is out of date: run `deno task docs:api`",
  );
});
