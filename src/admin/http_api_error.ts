/**
 * Errors of the HTTP API as JSON: `{"error": {"code", "message", "errno"?}}`. A CometQL error keeps
 * its text byte for byte (what a backend sees in the CometQL ERR packet) and its number as `errno`;
 * `code` is a stable name per class of error that clients can switch on (docs/http-api.md).
 */
import type { CometqlError } from "../cometql/cometql_error.ts";

/**
 * Stable error codes: the CometQL classes (docs/protocol/cometql.md §8) and the HTTP layer's own.
 */
export type ApiErrorCode =
  | "not_implemented"
  | "read_only"
  | "too_long"
  | "invalid_value"
  | "key_required"
  | "bad_columns"
  | "not_found"
  | "too_short"
  | "access_denied"
  | "storage_unavailable"
  | "internal"
  | "unauthorized"
  | "forbidden_tenant"
  | "bad_json"
  | "bad_request"
  | "body_too_large"
  | "method_not_allowed";

export const API_ERROR_CODES: readonly ApiErrorCode[] = [
  "not_implemented",
  "read_only",
  "too_long",
  "invalid_value",
  "key_required",
  "bad_columns",
  "not_found",
  "too_short",
  "access_denied",
  "storage_unavailable",
  "internal",
  "unauthorized",
  "forbidden_tenant",
  "bad_json",
  "bad_request",
  "body_too_large",
  "method_not_allowed",
];

export interface ApiError {
  readonly kind: "apiError";
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly message: string;
  /** The CometQL error number, when the error is one (docs/protocol/cometql.md §8). */
  readonly errno?: number;
  /** For 405: the methods the path has. */
  readonly allow?: string;
}

export function apiError(status: number, code: ApiErrorCode, message: string): ApiError {
  return { kind: "apiError", status, code, message };
}

export function isApiError(v: unknown): v is ApiError {
  return typeof v === "object" && v !== null && (v as ApiError).kind === "apiError";
}

/** HTTP status and code per CometQL error number (docs/protocol/cometql.md §8 classes). */
const BY_ERRNO: Record<number, [number, ApiErrorCode]> = {
  2: [501, "not_implemented"],
  3: [400, "bad_request"],
  10: [400, "read_only"],
  11: [400, "too_long"],
  12: [400, "invalid_value"],
  13: [400, "key_required"],
  14: [400, "bad_columns"],
  15: [404, "not_found"],
  16: [401, "unauthorized"],
  17: [400, "too_short"],
  403: [403, "access_denied"],
};

/** A CometQL error as the API answers it: same text, its errno, a status of its class. */
export function fromCometqlError(e: CometqlError): ApiError {
  let [status, code] = BY_ERRNO[e.code] ?? [500, "internal" as ApiErrorCode];
  if (e.code === 500 && e.message.startsWith("Storage unavailable")) {
    [status, code] = [503, "storage_unavailable"];
  }
  return { kind: "apiError", status, code, message: e.message, errno: e.code };
}

export function errorResponse(e: ApiError): Response {
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.errno !== undefined) error.errno = e.errno;
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (e.status === 401) headers["www-authenticate"] = 'Bearer realm="comet"';
  if (e.allow !== undefined) headers.allow = e.allow;
  return Response.json({ error }, { status: e.status, headers });
}
