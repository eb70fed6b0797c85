/**
 * Request bodies of the HTTP API: read up to a bound (the CometQL query limit, `[cometql]
 * max_query_size`, so whatever a backend may send as SQL it may send as JSON), parsed as JSON and
 * validated against the schema the OpenAPI document publishes (ajv). A missing field gets
 * CometQL's own text (``field `event` is required``); wrong types get a message naming the field.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import { Errors } from "../cometql/cometql_error.ts";
import { type ApiError, apiError, fromCometqlError } from "./http_api_error.ts";
import { SCHEMAS } from "./http_api_schemas.ts";

/** The body as bytes, or 413 once it passes `limit` (without reading the rest). */
async function readLimited(request: Request, limit: number): Promise<Uint8Array | ApiError> {
  const tooLarge = apiError(413, "body_too_large", `Request body is larger than ${limit} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return tooLarge;
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return tooLarge;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Checks request bodies against SCHEMAS; one instance per admin listener. */
export class BodyReader {
  private validators = new Map<string, ValidateFunction>();
  // Strict, except that `oneOf: [{required: ["pipe"]}, …]` names properties defined one level up.
  private ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false });

  /** Compiles the named schemas now, so a schema mistake stops the start, not a request. */
  constructor(names: Iterable<string>) {
    for (const name of names) this.validator(name);
  }

  /** Reads, parses and validates the body against the named schema. */
  async read(request: Request, schema: string, limit: number): Promise<unknown | ApiError> {
    const bytes = await readLimited(request, limit);
    if (bytes instanceof Uint8Array === false) return bytes;
    let value: unknown;
    try {
      value = JSON.parse(UTF8.decode(bytes));
    } catch (e) {
      const why = e instanceof SyntaxError ? e.message : "not UTF-8";
      return apiError(400, "bad_json", `Request body is not valid JSON: ${why}`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return apiError(400, "bad_request", "Request body must be a JSON object");
    }
    const validate = this.validator(schema);
    if (validate(value)) return value;
    return describe(validate.errors ?? []);
  }

  private validator(name: string): ValidateFunction {
    let v = this.validators.get(name);
    if (v === undefined) {
      v = this.ajv.compile(SCHEMAS[name]);
      this.validators.set(name, v);
    }
    return v;
  }
}

/** The first problem, in words a person reading a curl reply understands. */
function describe(errors: readonly ErrorObject[]): ApiError {
  const missing = errors.find((e) => e.schemaPath === "#/required");
  if (missing) {
    // The same text as an INSERT that leaves the column out (docs/protocol/cometql.md §7).
    return fromCometqlError(Errors.required(String(missing.params.missingProperty)));
  }
  const e = errors.find((e) => !e.schemaPath.startsWith("#/oneOf/")) ?? errors[0];
  if (e === undefined) return apiError(400, "bad_request", "Request body is not valid");
  if (e.keyword === "oneOf") {
    return apiError(400, "bad_request", "Give either `pipe` (one name) or `pipes` (a list)");
  }
  if (e.keyword === "additionalProperties") {
    return apiError(400, "bad_request", `Unknown field \`${e.params.additionalProperty}\``);
  }
  const where = e.instancePath === "" ? "Request body" : `Field \`${e.instancePath.slice(1)}\``;
  return apiError(400, "bad_request", `${where} ${e.message ?? "is not valid"}`);
}
