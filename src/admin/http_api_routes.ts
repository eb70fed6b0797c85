/**
 * Every route of the HTTP API, each a thin mapping onto a CometQL table (src/cometql/tables/):
 * the route names the table, the operation and the key values; the table module checks, calls
 * the core and produces the error. The OpenAPI document is built from this list
 * (openapi_document.ts), so the two cannot disagree.
 */
import type { TableContext } from "../cometql/tables/cometql_table.ts";
import { pipes } from "../cometql/tables/pipes.ts";
import { pipesMessages } from "../cometql/tables/pipes_messages.ts";
import { pipesSettings } from "../cometql/tables/pipes_settings.ts";
import { revokedTokens } from "../cometql/tables/revoked_tokens.ts";
import { usersAuth } from "../cometql/tables/users_auth.ts";
import { usersData } from "../cometql/tables/users_data.ts";
import { usersInPipes } from "../cometql/tables/users_in_pipes.ts";
import { usersMessages } from "../cometql/tables/users_messages.ts";
import { usersTime } from "../cometql/tables/users_time.ts";
import type { DashboardSnapshot } from "./dashboard_stats.ts";
import { type ApiError, isApiError } from "./http_api_error.ts";
import { deleteRows, insertRow, insertRows, type JsonRow, selectRows } from "./http_api_tables.ts";

/** How a path parameter is read: a pipe name, a user id (decimal, ≥ 0), or any text. */
export type ParamKind = "pipe" | "userId" | "text";

export interface ApiCall {
  readonly ctx: TableContext;
  /** Path parameters, already checked (user ids as decimal text). */
  readonly params: Readonly<Record<string, string>>;
  /** The request body, validated against the route's `body` schema. */
  // deno-lint-ignore no-explicit-any
  readonly body: any;
  readonly dashboard: () => DashboardSnapshot;
}

export interface ApiRoute {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** OpenAPI path template, e.g. `/api/users/{id}/auth`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  /** The CometQL statement the route does, for the documentation. */
  readonly cometql?: string;
  readonly params?: Readonly<Record<string, ParamKind>>;
  /** Name of the request body schema in http_api_schemas.ts. */
  readonly body?: string;
  /** Name of the 200 response schema. */
  readonly response: string;
  run(call: ApiCall): Promise<unknown> | unknown;
}

const OK = { ok: true } as const;

/** `{ok: true}` for a done write, the ApiError otherwise. */
async function done(result: Promise<unknown>): Promise<unknown> {
  const r = await result;
  return isApiError(r) ? r : OK;
}

/** The first row, or a row of the key with `field: null` when the table has none. */
async function oneRow(
  rows: Promise<JsonRow[] | ApiError>,
  fallback: JsonRow,
): Promise<JsonRow | ApiError> {
  const r = await rows;
  return isApiError(r) ? r : r[0] ?? fallback;
}

async function listOf(name: string, rows: Promise<unknown[] | ApiError>): Promise<unknown> {
  const r = await rows;
  return isApiError(r) ? r : { [name]: r };
}

/**
 * One pipe or several: the rows of one multi-row INSERT, each checked by the table before any is
 * published (none or all).
 */
async function publish({ ctx, body }: ApiCall): Promise<unknown> {
  const names: string[] = body.pipes ?? [body.pipe];
  const rows = names.map((name) => ({ name, event: body.event, message: body.message }));
  const done = await insertRows(pipesMessages, ctx, rows);
  return isApiError(done) ? done : { ok: true, published: names.length };
}

const pipe = { name: "pipe" } as const;
const user = { id: "userId" } as const;

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: "POST",
    path: "/api/publish",
    operationId: "publish",
    tag: "pipes",
    summary: "Publish a message to one pipe or to several",
    cometql: "INSERT INTO pipes_messages (name, event, message) VALUES (…)",
    body: "PublishRequest",
    response: "Published",
    run: publish,
  },
  {
    method: "GET",
    path: "/api/pipes/{name}",
    operationId: "pipeUsers",
    tag: "pipes",
    summary: "Number of subscribers of a pipe on this node",
    cometql: "SELECT * FROM pipes WHERE name = …",
    params: pipe,
    response: "PipeUsers",
    run: ({ ctx, params }) =>
      oneRow(selectRows(pipes, ctx, { name: [params.name] }), { name: params.name, users: 0 }),
  },
  {
    method: "GET",
    path: "/api/pipes/{name}/subscribers",
    operationId: "pipeSubscribers",
    tag: "pipes",
    summary: "The subscriber connections of a pipe on this node",
    cometql: "SELECT * FROM users_in_pipes WHERE name = …",
    params: pipe,
    response: "Subscribers",
    run: ({ ctx, params }) =>
      listOf("subscribers", selectRows(usersInPipes, ctx, { name: [params.name] })),
  },
  {
    method: "GET",
    path: "/api/pipes/{name}/history",
    operationId: "readHistory",
    tag: "history",
    summary: "The stored history of a pipe (at most 99 messages, oldest first)",
    cometql: "SELECT * FROM pipes_messages WHERE name = …",
    params: pipe,
    response: "History",
    run: ({ ctx, params }) =>
      listOf("messages", selectRows(pipesMessages, ctx, { name: [params.name] })),
  },
  {
    method: "DELETE",
    path: "/api/pipes/{name}/history",
    operationId: "clearHistory",
    tag: "history",
    summary: "Clear the history of a pipe",
    cometql: "DELETE FROM pipes_messages WHERE name = …",
    params: pipe,
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(pipesMessages, ctx, { name: [params.name] })),
  },
  {
    method: "DELETE",
    path: "/api/history/{id}",
    operationId: "deleteHistoryMessage",
    tag: "history",
    summary: "Delete one stored message by its id",
    cometql: "DELETE FROM pipes_messages WHERE id = …",
    params: { id: "text" },
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(pipesMessages, ctx, { id: [params.id] })),
  },
  {
    method: "GET",
    path: "/api/pipes/{name}/settings",
    operationId: "pipeSettings",
    tag: "pipes",
    summary: "How many messages of history the pipe keeps",
    cometql: "SELECT * FROM pipes_settings WHERE name = …",
    params: pipe,
    response: "PipeSettings",
    run: ({ ctx, params }) =>
      oneRow(selectRows(pipesSettings, ctx, { name: [params.name] }), {
        name: params.name,
        length: null,
      }),
  },
  {
    method: "PUT",
    path: "/api/pipes/{name}/settings",
    operationId: "setPipeSettings",
    tag: "pipes",
    summary: "Set how many messages of history the pipe keeps",
    cometql: "INSERT INTO pipes_settings (name, length) VALUES (…)",
    params: pipe,
    body: "PipeSettingsRequest",
    response: "Ok",
    run: ({ ctx, params, body }) =>
      done(insertRow(pipesSettings, ctx, { name: params.name, length: String(body.length) })),
  },
  {
    method: "DELETE",
    path: "/api/pipes/{name}/settings",
    operationId: "deletePipeSettings",
    tag: "pipes",
    summary: "Remove the pipe's settings (it keeps no history any more)",
    cometql: "DELETE FROM pipes_settings WHERE name = …",
    params: pipe,
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(pipesSettings, ctx, { name: [params.name] })),
  },
  {
    method: "POST",
    path: "/api/users/{id}/messages",
    operationId: "sendPrivate",
    tag: "users",
    summary: "Send a private message to a user (queued while the user is offline)",
    cometql: "INSERT INTO users_messages (id, event, message) VALUES (…)",
    params: user,
    body: "PrivateMessageRequest",
    response: "Ok",
    run: ({ ctx, params, body }) =>
      done(insertRow(usersMessages, ctx, {
        id: params.id,
        event: body.event,
        message: body.message,
      })),
  },
  {
    method: "GET",
    path: "/api/users/{id}/messages",
    operationId: "readQueue",
    tag: "users",
    summary: "The private messages queued for a user",
    cometql: "SELECT * FROM users_messages WHERE id = …",
    params: user,
    response: "QueuedMessages",
    run: ({ ctx, params }) =>
      listOf("messages", selectRows(usersMessages, ctx, { id: [params.id] })),
  },
  {
    method: "DELETE",
    path: "/api/users/{id}/messages",
    operationId: "clearQueue",
    tag: "users",
    summary: "Empty a user's queue of private messages",
    cometql: "DELETE FROM users_messages WHERE id = …",
    params: user,
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(usersMessages, ctx, { id: [params.id] })),
  },
  {
    method: "GET",
    path: "/api/users/{id}/time",
    operationId: "userTime",
    tag: "users",
    summary: "Whether a user is online (0) or when they were last seen",
    cometql: "SELECT * FROM users_time WHERE id = …",
    params: user,
    response: "UserTime",
    run: ({ ctx, params }) =>
      oneRow(selectRows(usersTime, ctx, { id: [params.id] }), { id: Number(params.id), time: -1 }),
  },
  {
    method: "GET",
    path: "/api/users/{id}/auth",
    operationId: "userAuth",
    tag: "users",
    summary: "The authentication hash of a user",
    cometql: "SELECT * FROM users_auth WHERE id = …",
    params: user,
    response: "UserAuth",
    run: ({ ctx, params }) =>
      oneRow(selectRows(usersAuth, ctx, { id: [params.id] }), {
        id: Number(params.id),
        hash: null,
      }),
  },
  {
    method: "PUT",
    path: "/api/users/{id}/auth",
    operationId: "setUserAuth",
    tag: "users",
    summary: "Set the authentication hash a user's browser must present",
    cometql: "INSERT INTO users_auth (id, hash) VALUES (…)",
    params: user,
    body: "UserAuthRequest",
    response: "Ok",
    run: ({ ctx, params, body }) =>
      done(insertRow(usersAuth, ctx, { id: params.id, hash: body.hash })),
  },
  {
    method: "DELETE",
    path: "/api/users/{id}/auth",
    operationId: "deleteUserAuth",
    tag: "users",
    summary: "Remove a user's hash and disconnect the user's browsers",
    cometql: "DELETE FROM users_auth WHERE id = …",
    params: user,
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(usersAuth, ctx, { id: [params.id] })),
  },
  {
    method: "GET",
    path: "/api/users/{id}/data",
    operationId: "userData",
    tag: "users",
    summary: "The text stored for a user",
    cometql: "SELECT * FROM users_data WHERE id = …",
    params: user,
    response: "UserData",
    run: ({ ctx, params }) =>
      oneRow(selectRows(usersData, ctx, { id: [params.id] }), {
        id: Number(params.id),
        data: null,
      }),
  },
  {
    method: "PUT",
    path: "/api/users/{id}/data",
    operationId: "setUserData",
    tag: "users",
    summary: "Store a text for a user",
    cometql: "INSERT INTO users_data (id, data) VALUES (…)",
    params: user,
    body: "UserDataRequest",
    response: "Ok",
    run: ({ ctx, params, body }) =>
      done(insertRow(usersData, ctx, { id: params.id, data: body.data })),
  },
  {
    method: "DELETE",
    path: "/api/users/{id}/data",
    operationId: "deleteUserData",
    tag: "users",
    summary: "Remove the text stored for a user",
    cometql: "DELETE FROM users_data WHERE id = …",
    params: user,
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(usersData, ctx, { id: [params.id] })),
  },
  {
    method: "GET",
    path: "/api/revoked-tokens",
    operationId: "listRevokedTokens",
    tag: "tokens",
    summary: "Every revoked token of the tenant",
    cometql: "SELECT * FROM revoked_tokens",
    response: "RevokedTokens",
    run: async ({ ctx }) => {
      const rows = await selectRows(revokedTokens, ctx, {});
      return isApiError(rows) ? rows : { tokens: rows.map((r) => r.token) };
    },
  },
  {
    method: "POST",
    path: "/api/revoked-tokens",
    operationId: "revokeToken",
    tag: "tokens",
    summary: "Revoke a JWT (its user is logged out if the token is valid)",
    cometql: "INSERT INTO revoked_tokens (token) VALUES (…)",
    body: "TokenRequest",
    response: "Ok",
    run: ({ ctx, body }) => done(insertRow(revokedTokens, ctx, { token: body.token })),
  },
  {
    method: "GET",
    path: "/api/revoked-tokens/{token}",
    operationId: "tokenState",
    tag: "tokens",
    summary: "Whether a token is revoked",
    cometql: "SELECT * FROM revoked_tokens WHERE token = …",
    params: { token: "text" },
    response: "TokenState",
    run: async ({ ctx, params }) => {
      const rows = await selectRows(revokedTokens, ctx, { token: [params.token] });
      return isApiError(rows) ? rows : { token: params.token, revoked: rows.length > 0 };
    },
  },
  {
    method: "DELETE",
    path: "/api/revoked-tokens/{token}",
    operationId: "unrevokeToken",
    tag: "tokens",
    summary: "Allow a revoked token again",
    cometql: "DELETE FROM revoked_tokens WHERE token = …",
    params: { token: "text" },
    response: "Ok",
    run: ({ ctx, params }) => done(deleteRows(revokedTokens, ctx, { token: [params.token] })),
  },
  {
    method: "GET",
    path: "/api/dashboard",
    operationId: "dashboard",
    tag: "dashboard",
    summary: "The live figures the dashboard shows (all tenants of this node)",
    response: "Dashboard",
    run: ({ dashboard }) => dashboard(),
  },
];
