/** Calls the HTTP API of a test server: JSON in, status and JSON out. */

export interface ApiReply {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  json: any;
}

export interface ApiCallOptions {
  /** Bearer key; `null` sends no Authorization header. */
  key?: string | null;
  headers?: Record<string, string>;
  /** Sent as is (a string) instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
}

export class ApiClient {
  constructor(readonly port: number, readonly key: string) {}

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    options: ApiCallOptions = {},
  ): Promise<ApiReply> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? this.key : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: BodyInit | undefined;
    if (options.raw !== undefined) payload = options.raw as BodyInit;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    const res = await fetch(this.url(path), { method, headers, body: payload });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: ${res.status} with a non-JSON body: ${text}`);
    }
    return { status: res.status, headers: res.headers, json };
  }

  get(path: string, options?: ApiCallOptions) {
    return this.call("GET", path, undefined, options);
  }
  post(path: string, body: unknown, options?: ApiCallOptions) {
    return this.call("POST", path, body, options);
  }
  put(path: string, body: unknown, options?: ApiCallOptions) {
    return this.call("PUT", path, body, options);
  }
  delete(path: string, options?: ApiCallOptions) {
    return this.call("DELETE", path, undefined, options);
  }
}
