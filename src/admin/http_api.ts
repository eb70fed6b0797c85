/**
 * The HTTP API under `/api/` on the admin port: key and tenant check (api_access.ts), route match,
 * path parameters and JSON body checked at the edge, then the route runs the CometQL table code.
 * Every answer is JSON; every error has a stable code (http_api_error.ts).
 */
import { Errors } from "../cometql/cometql_error.ts";
import { checkPipeName } from "../cometql/tables/table_values.ts";
import type { CometNode } from "../core/comet_node.ts";
import { unavailableBackend } from "../core/unavailable.ts";
import { checkAccess } from "./api_access.ts";
import type { DashboardSnapshot } from "./dashboard_stats.ts";
import { BodyReader } from "./http_api_body.ts";
import {
  type ApiError,
  apiError,
  errorResponse,
  fromCometqlError,
  isApiError,
} from "./http_api_error.ts";
import { API_ROUTES, type ApiRoute } from "./http_api_routes.ts";
import { openApiDocument } from "./openapi_document.ts";

export const API_PREFIX = "/api/";

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly names: string[];
}

function compile(route: ApiRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export interface HttpApiDeps {
  version: string;
  dashboard(): DashboardSnapshot;
}

export type HttpApi = (request: Request, path: string) => Promise<Response>;

export function createHttpApi(node: CometNode, deps: HttpApiDeps): HttpApi {
  const routes = API_ROUTES.map(compile);
  const bodies = new BodyReader(API_ROUTES.flatMap((r) => r.body ?? []));
  const openapi = JSON.stringify(openApiDocument(deps.version));

  async function run(request: Request, path: string): Promise<unknown | ApiError> {
    const devId = checkAccess(request, node.config);
    if (isApiError(devId)) return devId;
    const allowed: string[] = [];
    for (const { route, pattern, names } of routes) {
      const m = pattern.exec(path);
      if (m === null) continue;
      allowed.push(route.method);
      if (route.method !== request.method) continue;
      const params = pathParams(route, names, m);
      if (isApiError(params)) return params;
      let body: unknown;
      if (route.body !== undefined) {
        body = await bodies.read(request, route.body, node.config.cometql.maxQuerySize);
        if (isApiError(body)) return body;
      }
      return await route.run({ ctx: { node, devId }, params, body, dashboard: deps.dashboard });
    }
    if (allowed.length > 0) {
      const allow = allowed.join(", ");
      return {
        ...apiError(405, "method_not_allowed", `${request.method} is not allowed on ${path}`),
        allow,
      };
    }
    return apiError(404, "not_found", `No API route ${path} (see /api/openapi.json)`);
  }

  return async (request, path) => {
    if (path === "/api/openapi.json" && request.method === "GET") {
      return new Response(openapi, {
        headers: { "content-type": "application/json", "cache-control": "no-store" },
      });
    }
    let result: unknown;
    try {
      result = await run(request, path);
    } catch (e) {
      const down = unavailableBackend(e);
      if (down) {
        // Storage or the cluster (Redis) unreachable: the same ERR 500 text CometQL gives.
        result = fromCometqlError(Errors.unavailable(down.service, down.detail));
      } else {
        node.log.error(
          "admin",
          `API ${request.method} ${path} failed: ${(e as Error)?.stack ?? e}`,
        );
        result = fromCometqlError(Errors.internal);
      }
    }
    if (isApiError(result)) return errorResponse(result);
    return Response.json(result, { headers: { "cache-control": "no-store" } });
  };
}

/** Path parameters decoded and checked by kind; pipe names by the CometQL rule and texts. */
function pathParams(
  route: ApiRoute,
  names: readonly string[],
  m: RegExpExecArray,
): Record<string, string> | ApiError {
  const params: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    let value: string;
    try {
      value = decodeURIComponent(m[i + 1]);
    } catch {
      return apiError(400, "bad_request", `Path parameter \`${names[i]}\` is not valid UTF-8`);
    }
    const kind = route.params?.[names[i]] ?? "text";
    if (kind === "pipe") {
      const bad = checkPipeName(value);
      if (bad) return fromCometqlError(bad);
    } else if (kind === "userId" && !/^\d{1,15}$/.test(value)) {
      return apiError(
        400,
        "bad_request",
        `Path parameter \`${names[i]}\` must be a non-negative integer`,
      );
    }
    params[names[i]] = value;
  }
  return params;
}
