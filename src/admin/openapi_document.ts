/**
 * `/api/openapi.json`: the OpenAPI 3.1 description of the HTTP API, built from the route list
 * and the schemas the server itself validates with, so the document cannot drift from the code.
 * docs/http-api.md is generated from it (`deno task docs:api`).
 */
import { TENANT_HEADER } from "./api_access.ts";
import type { ApiRoute, ParamKind } from "./http_api_routes.ts";
import { API_ROUTES } from "./http_api_routes.ts";
import { ref, SCHEMAS } from "./http_api_schemas.ts";

const PARAM_SCHEMAS: Record<ParamKind, Record<string, unknown>> = {
  pipe: { type: "string", minLength: 3, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" },
  userId: { type: "integer", minimum: 0 },
  text: { type: "string" },
};

const PARAM_TEXT: Record<ParamKind, string> = {
  pipe: "Pipe name",
  userId: "User id",
  text: "Exact value (URL-encoded)",
};

/** Error statuses an operation may answer, with what they mean. */
const ERROR_STATUSES: Record<string, string> = {
  "400": "Invalid request: bad JSON, a wrong type, or a value CometQL refuses (same text)",
  "401": "No API key, or a wrong one",
  "403": "The Comet-Dev-Id header names a tenant this server does not have",
  "413": "The body is larger than [cometql] max_query_size",
  "500": "Internal error",
  "503": "Storage is unavailable",
};

const json = (schema: unknown) => ({ "application/json": { schema } });

function operation(route: ApiRoute): Record<string, unknown> {
  const parameters: unknown[] = Object.entries(route.params ?? {}).map(([name, kind]) => ({
    name,
    in: "path",
    required: true,
    description: PARAM_TEXT[kind],
    schema: PARAM_SCHEMAS[kind],
  }));
  parameters.push({ $ref: "#/components/parameters/DevId" });
  const responses: Record<string, unknown> = {
    "200": { description: "Done", content: json(ref(route.response)) },
  };
  for (const [status, description] of Object.entries(ERROR_STATUSES)) {
    if (status === "413" && route.body === undefined) continue;
    responses[status] = { description, content: json(ref("Error")) };
  }
  const op: Record<string, unknown> = {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    parameters,
    responses,
  };
  if (route.cometql) op.description = `CometQL: \`${route.cometql}\``;
  if (route.body) op.requestBody = { required: true, content: json(ref(route.body)) };
  return op;
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    "/api/openapi.json": {
      get: {
        operationId: "openapi",
        tags: ["meta"],
        summary: "This document (no key needed)",
        security: [],
        responses: {
          "200": { description: "OpenAPI 3.1 document", content: json({ type: "object" }) },
        },
      },
    },
  };
  for (const route of API_ROUTES) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Comet server HTTP API",
      version,
      description: "Everything CometQL does, as JSON over HTTP, on the admin port. " +
        "Checks, limits and error texts are CometQL's: the same table code runs underneath.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "[admin] api_key, or [main] password when api_key is empty",
        },
      },
      parameters: {
        DevId: {
          name: TENANT_HEADER.replace(/(^|-)([a-z])/g, (_, d, c) => d + c.toUpperCase()),
          in: "header",
          required: false,
          description: "Tenant (dev_id), 0 when absent; 0 ≤ dev_id < [main] dev_index_size",
          schema: { type: "integer", minimum: 0 },
        },
      },
      schemas: SCHEMAS,
    },
  };
}
