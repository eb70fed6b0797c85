/**
 * System variables for `SELECT @@x` and `SHOW VARIABLES` (docs/protocol/cometql.md §6.5, §6.7). The
 * original answered every `@@x` with its version comment; client libraries read some of these at
 * connect time and need real values (numbers where MySQL has numbers).
 */
import { SERVER_NAME } from "../../core/messages.ts";
import type { SessionContext } from "../session_context.ts";

/** The original's answer to `select @@version_comment` (docs/protocol/cometql.md §6.7). */
export const VERSION_COMMENT = `${SERVER_NAME}(comet-server.com, support@comet-server.com)`;
/** What `VERSION()` and `@@version` report: MySQL-5.7-compatible syntax and protocol. */
export const VERSION = "5.7.0-CppComet";
/**
 * The handshake's server version (docs/protocol/cometql.md §2.2 sent `CppComet community 4.09 (AGPL
 * license)`): starts with the MySQL version `VERSION()` reports, because client libraries parse the
 * leading number (PyMySQL, mysql-connector-python, DBD::MariaDB, PDO's native prepares); the
 * product name follows it (docs/compatibility.md point 2).
 */
export const HANDSHAKE_VERSION = `5.7.0-${SERVER_NAME}`;

export interface VariableValue {
  readonly numeric: boolean;
  readonly text: string;
}

type Source = string | number | ((session: SessionContext) => string | number);

const VARIABLES: Record<string, Source> = {
  auto_increment_increment: 1,
  auto_increment_offset: 1,
  autocommit: 1,
  character_set_client: "utf8mb4",
  character_set_connection: "utf8mb4",
  character_set_database: "utf8mb4",
  character_set_results: "utf8mb4",
  character_set_server: "utf8mb4",
  character_set_system: "utf8",
  collation_connection: "utf8mb4_general_ci",
  collation_database: "utf8mb4_general_ci",
  collation_server: "utf8mb4_general_ci",
  connect_timeout: 10,
  default_storage_engine: "CometQL",
  error_count: 0,
  have_ssl: "DISABLED",
  hostname: (s) => s.node.config.main.nodeName,
  init_connect: "",
  interactive_timeout: 28800,
  license: "AGPL",
  lower_case_table_names: 0,
  max_allowed_packet: (s) => s.node.config.cometql.maxQuerySize,
  max_connections: 100000,
  net_buffer_length: 16384,
  net_read_timeout: 30,
  net_write_timeout: 60,
  performance_schema: 0,
  port: (s) => s.node.config.cometql.port,
  protocol_version: 10,
  query_cache_size: 0,
  query_cache_type: "OFF",
  sql_auto_is_null: 0,
  sql_mode: "",
  sql_select_limit: "18446744073709551615",
  storage_engine: "CometQL",
  system_time_zone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
  time_zone: "SYSTEM",
  transaction_isolation: "REPEATABLE-READ",
  transaction_read_only: 0,
  tx_isolation: "REPEATABLE-READ",
  tx_read_only: 0,
  version: VERSION,
  version_comment: VERSION_COMMENT,
  version_compile_machine: "x86_64",
  version_compile_os: "Linux",
  wait_timeout: 28800,
  warning_count: 0,
};

/** `session.x`, `global.x`, `local.x` and `X` all name `x`. */
function variableName(written: string): string {
  const lower = written.toLowerCase();
  const dot = lower.indexOf(".");
  return dot < 0 ? lower : lower.slice(dot + 1);
}

export function variableValue(session: SessionContext, written: string): VariableValue | undefined {
  const name = variableName(written);
  if (!Object.hasOwn(VARIABLES, name)) return undefined;
  return evaluate(session, VARIABLES[name]);
}

function evaluate(session: SessionContext, source: Source): VariableValue {
  const v = typeof source === "function" ? source(session) : source;
  return { numeric: typeof v === "number", text: String(v) };
}

/** Every variable as `[name, text]`, sorted by name (SHOW VARIABLES). */
export function allVariables(session: SessionContext): [string, string][] {
  return Object.keys(VARIABLES).sort().map((name) => [
    name,
    evaluate(session, VARIABLES[name]).text,
  ]);
}
