/**
 * CometQL errors as values. The code is sent as the MySQL error number and the texts are the
 * original's, byte for byte (docs/protocol/cometql.md §2.6, §8). The SQLSTATE is the one MySQL
 * sends for the same class of error, not the original's `HY000` for all (docs/compatibility.md
 * point 2): JDBC and other drivers classify exceptions by it. The mapping is documented in
 * docs/cometql.md ("Errors and SQLSTATE").
 */

export interface CometqlError {
  readonly kind: "error";
  readonly code: number;
  readonly message: string;
  /** Five characters; what MySQL sends for this class of error. */
  readonly sqlState: string;
}

/**
 * SQLSTATE by CometQL code, for errors that do not name their own: the class MySQL gives the
 * closest error of its own (42000 ER_PARSE_ERROR / ER_NOT_SUPPORTED_YET, 22001 ER_DATA_TOO_LONG,
 * 42S02 ER_NO_SUCH_TABLE, 28000 ER_ACCESS_DENIED_ERROR, …).
 */
const SQLSTATE_BY_CODE: Readonly<Record<number, string>> = {
  2: "42000", // not implemented (ER_NOT_SUPPORTED_YET)
  3: "42000", // syntax (ER_PARSE_ERROR)
  10: "HY000", // read only / not available (ER_OPEN_AS_READONLY)
  11: "22001", // too long (ER_DATA_TOO_LONG)
  12: "HY000", // invalid value (ER_TRUNCATED_WRONG_VALUE_FOR_FIELD)
  13: "HY000", // key values missing (ER_UPDATE_WITHOUT_KEY_IN_SAFE_MODE)
  14: "42S22", // not a column (ER_BAD_FIELD_ERROR)
  15: "42S02", // table doesn't exist (ER_NO_SUCH_TABLE)
  16: "28000", // authentication (ER_ACCESS_DENIED_ERROR)
  17: "HY000", // too short
  403: "28000", // not logged in
  500: "HY000", // server or storage failure
};

/** The SQLSTATE of a CometQL code when the error does not name one. */
export function sqlStateOfCode(code: number): string {
  return SQLSTATE_BY_CODE[code] ?? "HY000";
}

export function cometqlError(code: number, message: string, sqlState?: string): CometqlError {
  return { kind: "error", code, message, sqlState: sqlState ?? sqlStateOfCode(code) };
}

export function isCometqlError(v: unknown): v is CometqlError {
  return typeof v === "object" && v !== null && (v as CometqlError).kind === "error";
}

/**
 * The catalogue of docs/protocol/cometql.md §8, plus the few texts of our own additions (marked).
 */
export const Errors = {
  // 2: not implemented
  orNotImplemented: cometqlError(2, "Operator OR is not yet implemented"),
  orderByNotImplemented: cometqlError(2, "Token ORDER BY is not yet implemented"),
  /** ours: comparison operators other than =, IN, LIKE (the original silently read them as =). */
  operatorNotImplemented: (op: string) =>
    cometqlError(2, `Operator ${op.toUpperCase()} is not yet implemented`),
  /** ours: a command byte we do not serve. */
  unknownCommand: cometqlError(2, "Unknown command", "08S01"),
  /** ours: more than one statement in a prepared statement (MySQL refuses it too). */
  multiStatementPrepare: cometqlError(2, "Prepared statements hold one statement only", "42000"),
  // 3: syntax
  syntax: cometqlError(3, "Syntax error in query"),
  // 10: read-only / not available
  readOnly: (table: string) => cometqlError(10, `Table \`${table}\` is read only`),
  notReady: (text: string) => cometqlError(10, text),
  // 11: too long
  dataTooLong: cometqlError(11, "Data is too long"),
  channelNameTooLong: cometqlError(11, "Channel name is too long"),
  eventNameTooLong: cometqlError(11, "Channel event_name is too long"),
  hashTooLong: cometqlError(11, "Hash string is too long"),
  /** ours: revoked_tokens.token is varbinary(600) (docs/protocol/cometql.md §9.1). */
  tokenTooLong: cometqlError(11, "Token is too long"),
  // 12: invalid data
  required: (column: string) => cometqlError(12, `field \`${column}\` is required`, "23000"),
  channelNameChars: cometqlError(
    12,
    "The channel name can contain only the characters A-Za-z0-9_-",
  ),
  idNegative: cometqlError(12, "The id field must be non-negative", "22003"),
  /** ours: user ids are stored as `int` (db.sql); the original wrapped larger ones at 2^31. */
  idTooLarge: cometqlError(12, "The id field must be at most 2147483647", "22003"),
  hashChars: cometqlError(12, "Contains an invalid characters in the string hash"),
  // 13: key values missing / duplicates
  selectWithoutKey: cometqlError(
    13,
    "Selection without transferring the requested values of the primary key is not supported",
  ),
  deleteWithoutKey: cometqlError(
    13,
    "Deleting without transferring the requested values of the primary key is not supported",
  ),
  selectColumnTwice: cometqlError(13, "Each column in the select used only once", "42000"),
  conditionColumnTwice: cometqlError(
    13,
    "Each column in the conditions used only once",
    "42000",
  ),
  insertColumnTwice: cometqlError(13, "Each column in the insert used only once", "42000"),
  // 14: column list
  notAColumn: cometqlError(14, "Not a specific column"),
  columnsList: cometqlError(14, "Error in columns list", "21S01"),
  // 15: does not exist
  noTable: cometqlError(15, "Table doesn't exist"),
  noDatabase: cometqlError(15, "Select database failure", "42000"),
  /** ours: `SELECT @@x` for a variable we do not know (MySQL: "Unknown system variable"). */
  unknownVariable: (name: string) => cometqlError(15, `Unknown system variable '${name}'`, "HY000"),
  /** ours: COM_STMT_EXECUTE for a statement id never prepared or already closed. */
  unknownStatement: cometqlError(15, "Unknown prepared statement handler", "HY000"),
  /** ours: a function other than the few constant ones we evaluate. */
  unknownFunction: (name: string) => cometqlError(15, `FUNCTION ${name} does not exist`, "42000"),
  // 16: authentication
  authFailure: cometqlError(16, "Authentication failure"),
  /** docs/protocol/cometql.md §3 step 2: a cluster prefix naming a tenant out of range. */
  invalidDevId: cometqlError(16, "Invalid dev_id value"),
  // 17: too short
  dataTooShort: cometqlError(17, "Data is too short", "42000"),
  channelNameTooShort: cometqlError(17, "Channel name is too short"),
  // 403, 500
  accessDenied: cometqlError(403, "Access denied"),
  execFailed: cometqlError(500, "exec command failed"),
  /** ours: storage or the cluster (Redis) could not be reached (`Storage unavailable: …`). */
  unavailable: (service: string, detail: string) =>
    cometqlError(500, `${service} unavailable: ${detail}`),
  internal: cometqlError(500, "internal server error"),
  // ours: the bounds of `[limits]` (issue 13)
  resultTooLarge: (max: number) =>
    cometqlError(11, `Result set is larger than ${max} bytes ([limits] cometql_result_max_bytes)`),
  tooManyStatements: (max: number) =>
    cometqlError(
      11,
      `Can't create more than ${max} prepared statements ([limits] cometql_prepared_max)`,
    ),
  longDataTooLong: (max: number) =>
    cometqlError(
      11,
      `Parameter data sent with COM_STMT_SEND_LONG_DATA is longer than ${max} bytes ` +
        "([limits] cometql_long_data_max)",
    ),
  nestingTooDeep: (max: number) =>
    cometqlError(3, `Query nested too deeply: more than ${max} levels ([limits] sql_max_depth)`),
  /** ours: a malformed packet; the connection is closed after it. */
  malformed: cometqlError(500, "Malformed packet", "08S01"),
} as const;
