/**
 * Who may call the HTTP API and the dashboard data, and for which tenant. The key is
 * `[admin] api_key`, or `[main] password` (the CometQL password) when that is empty; it is read at
 * every request, so a SIGHUP reload applies a new one at once. The tenant comes from the
 * `Comet-Dev-Id` header (default 0), with the range rule CometQL applies to a login name or a
 * `db_<N>` database (docs/protocol/cometql.md §2.3, §2.4): CometQL has one password for every
 * tenant, and so does the API.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Config } from "../config/config.ts";
import { type ApiError, apiError } from "./http_api_error.ts";

export const TENANT_HEADER = "comet-dev-id";

/** The key requests must present. */
export function apiKeyOf(config: Config): string {
  return config.admin.apiKey !== "" ? config.admin.apiKey : config.main.password;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Compares fixed-size digests with `timingSafeEqual`, so neither the content nor the length of
 * the configured key leaks through response times.
 */
export function keyMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The bearer key of an `Authorization` header, or undefined when there is none. */
function bearerKey(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header === null) return undefined;
  const m = /^Bearer[ \t]+(.*)$/i.exec(header);
  return m ? m[1].trim() : undefined;
}

/**
 * 401 without a (matching) key, 403 for a tenant the server does not have; else the tenant.
 * An empty configured key refuses everyone: an API without a key is never open by accident.
 */
export function checkAccess(request: Request, config: Config): number | ApiError {
  const expected = apiKeyOf(config);
  const presented = bearerKey(request);
  if (presented === undefined) {
    return apiError(401, "unauthorized", "Missing API key: send Authorization: Bearer <key>");
  }
  if (expected === "") {
    return apiError(
      401,
      "unauthorized",
      "The API is disabled: set [admin] api_key (or [main] password)",
    );
  }
  if (!keyMatches(presented, expected)) return apiError(401, "unauthorized", "Wrong API key");
  return tenantOf(request, config);
}

/** docs/protocol/cometql.md §2.4: a tenant N is valid when 0 ≤ N < `[main] dev_index_size`. */
function tenantOf(request: Request, config: Config): number | ApiError {
  const raw = request.headers.get(TENANT_HEADER);
  if (raw === null || raw === "") return 0;
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
  if (id < 0 || id >= config.main.devIndexSize) {
    return apiError(403, "forbidden_tenant", "Invalid dev_id value");
  }
  return id;
}
