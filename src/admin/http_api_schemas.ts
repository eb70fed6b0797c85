/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the HTTP API's bodies. They are the one
 * description of the wire format: `/api/openapi.json` publishes them, the server validates request
 * bodies with them (http_api_body.ts), and the tests validate every response against them.
 * Field names of rows are the CometQL column names (docs/protocol/cometql.md §7).
 */

type Schema = Record<string, unknown>;

const str = (description: string): Schema => ({ type: "string", description });
const int = (description: string): Schema => ({ type: "integer", description });
const nullable = (type: string, description: string): Schema => ({
  type: [type, "null"],
  description,
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const object = (properties: Record<string, Schema>, required = Object.keys(properties)) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});
const list = (name: string, items: Schema): Schema => object({ [name]: { type: "array", items } });

/** Texts are free, names follow the pipe-name rule, checked by the same code as CometQL. */
const event = str("Event name: at most 64 characters of A-Za-z0-9_- (may be empty)");
const message = str("The message text, delivered as is");

export const SCHEMAS: Record<string, Schema> = {
  Error: object({
    error: object({
      code: {
        type: "string",
        description: "Stable name of the error class (see docs/http-api.md)",
      },
      message: str("For CometQL errors, the text of the CometQL ERR, byte for byte"),
      errno: int(
        "The CometQL error number (docs/protocol/cometql.md §8), when the error is a CometQL one",
      ),
    }, ["code", "message"]),
  }),
  Ok: object({ ok: { const: true } }),

  PublishRequest: {
    ...object({
      pipe: str("One pipe (3-64 characters of A-Za-z0-9_-)"),
      pipes: {
        type: "array",
        minItems: 1,
        items: { type: "string" },
        description: "Several pipes: all are checked before the message is published to any",
      },
      event,
      message,
    }, ["event", "message"]),
    oneOf: [{ required: ["pipe"] }, { required: ["pipes"] }],
  },
  Published: object({
    ok: { const: true },
    published: int("How many pipes the message was published to"),
  }),

  PrivateMessageRequest: object({ event, message }),
  QueuedMessages: list(
    "messages",
    object({
      id: int("The user id"),
      index: str("Id of the queued message"),
      event: str("Event name"),
      message: str("Message text"),
    }),
  ),

  History: list(
    "messages",
    object({
      id: str("Message id (time-ordered UUID)"),
      time: int("Unix time of the publish"),
      name: str("Pipe name"),
      index: int("Position in the result, 0 = oldest"),
      event: str("Event name"),
      message: str("Message text"),
      user_id: int("Publishing user (0 = a backend or an anonymous browser)"),
    }),
  ),

  PipeUsers: object({
    name: str("Pipe name"),
    users: int("Subscribed browser connections on this node"),
  }),
  Subscribers: list(
    "subscribers",
    object({
      name: str("Pipe name"),
      user_id: int("Authorized user id, 0 = anonymous"),
      user_uuid: str("Connection id"),
      user_agent: str("Browser User-Agent"),
      ip: str("Browser address"),
      origin: str("Origin header of the WebSocket"),
      language: str("Accept-Language header of the WebSocket"),
    }),
  ),

  PipeSettings: object({
    name: str("Pipe name"),
    length: nullable("integer", "Messages of history kept, null = no settings"),
  }),
  PipeSettingsRequest: object({
    length: int("Messages of history to keep (clamped to 0…1000, docs/protocol/cometql.md §7.4)"),
  }),

  UserTime: object({
    id: int("User id"),
    time: int("0 = online on this node, Unix time of the last disconnect, -1 = unknown"),
  }),
  UserAuth: object({
    id: int("User id"),
    hash: nullable("string", "The stored hash, null = none"),
  }),
  UserAuthRequest: object({ hash: str("Up to 32 characters of A-Za-z0-9=+/_") }),
  UserData: object({
    id: int("User id"),
    data: nullable("string", "The stored text, null = none"),
  }),
  UserDataRequest: object({ data: str("Any text; the user's browser can read it") }),

  RevokedTokens: list("tokens", { type: "string" }),
  TokenRequest: object({ token: str("The JWT to revoke") }),
  TokenState: object({ token: str("The token"), revoked: { type: "boolean" } }),

  Dashboard: object({
    node: str("This node's name ([main] node_name)"),
    time: int("Server time of the snapshot, Unix milliseconds"),
    uptime: int("Seconds since start"),
    connections: int("Open browser connections"),
    authorized: int("Authorized browser connections (all tenants)"),
    users: int("Distinct authorized users online"),
    cometqlConnections: int("Open CometQL connections"),
    pipes: int("Pipes with at least one subscriber"),
    subscriptions: int("Subscriptions, all pipes"),
    messagesIn: int("Messages published since start (CometQL, HTTP, browsers, private)"),
    messagesOut: int("Messages written to browser sockets since start"),
    slowConsumerDrops: int("Connections dropped for not reading fast enough, since start"),
    rates: {
      type: "array",
      description: "Per-second samples, oldest first (the last minutes)",
      items: object({
        time: int("Unix milliseconds"),
        in: { type: "number", description: "Messages in per second" },
        out: { type: "number", description: "Messages out per second" },
      }),
    },
    topBySubscribers: {
      type: "array",
      items: object({ devId: int("Tenant"), pipe: str("Pipe"), subscribers: int("Subscribers") }),
    },
    topByMessages: {
      type: "array",
      description: "Messages per second over the last 10 seconds",
      items: object({
        devId: int("Tenant"),
        pipe: str("Pipe"),
        perSecond: { type: "number" },
      }),
    },
    storage: object({
      driver: str("Storage description"),
      up: { type: "boolean" },
      pendingHistoryWrites: int("History rows accepted but not yet written"),
      errors: int("Failed storage operations since start"),
    }),
    nodes: {
      type: "array",
      description: "Nodes of the cluster; with [redis], every node, else this one",
      items: object({
        id: str("Node id (unique per process; `local` without [redis])"),
        name: str("Node name ([main] node_name)"),
        self: { type: "boolean", description: "The node that answered" },
        connections: int("Open browser connections"),
        authorized: int("Authorized browser connections"),
        users: int("Distinct authorized users online"),
        uptime: int("Seconds since the node started"),
        heartbeat: int("When the node last published these figures (ms since the epoch)"),
      }),
    },
  }),
};

export { ref };
