/**
 * CometQL errors as values. The code is sent as the MySQL error number with SQLSTATE `HY000`
 * (spec: cometql.md §2.6, §8); texts are the original's, byte for byte.
 */

export interface CometqlError {
  readonly kind: "error";
  readonly code: number;
  readonly message: string;
}

export function cometqlError(code: number, message: string): CometqlError {
  return { kind: "error", code, message };
}

export function isCometqlError(v: unknown): v is CometqlError {
  return typeof v === "object" && v !== null && (v as CometqlError).kind === "error";
}

/** The catalogue of spec §8, plus the few texts of our own additions (marked). */
export const Errors = {
  // 2: not implemented
  orNotImplemented: cometqlError(2, "Operator OR is not yet implemented"),
  orderByNotImplemented: cometqlError(2, "Token ORDER BY is not yet implemented"),
  /** ours: comparison operators other than =, IN, LIKE (the original silently read them as =). */
  operatorNotImplemented: (op: string) =>
    cometqlError(2, `Operator ${op.toUpperCase()} is not yet implemented`),
  /** ours: a command byte we do not serve. */
  unknownCommand: cometqlError(2, "Unknown command"),
  /** ours: more than one statement in a prepared statement (MySQL refuses it too). */
  multiStatementPrepare: cometqlError(2, "Prepared statements hold one statement only"),
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
  // 12: invalid data
  required: (column: string) => cometqlError(12, `field \`${column}\` is required`),
  channelNameChars: cometqlError(
    12,
    "The channel name can contain only the characters A-Za-z0-9_-",
  ),
  idNegative: cometqlError(12, "The id field must be non-negative"),
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
  selectColumnTwice: cometqlError(13, "Each column in the select used only once"),
  conditionColumnTwice: cometqlError(13, "Each column in the conditions used only once"),
  insertColumnTwice: cometqlError(13, "Each column in the insert used only once"),
  // 14: column list
  notAColumn: cometqlError(14, "Not a specific column"),
  columnsList: cometqlError(14, "Error in columns list"),
  // 15: does not exist
  noTable: cometqlError(15, "Table doesn't exist"),
  noDatabase: cometqlError(15, "Select database failure"),
  /** ours: `SELECT @@x` for a variable we do not know (MySQL: "Unknown system variable"). */
  unknownVariable: (name: string) => cometqlError(15, `Unknown system variable '${name}'`),
  /** ours: COM_STMT_EXECUTE for a statement id never prepared or already closed. */
  unknownStatement: cometqlError(15, "Unknown prepared statement handler"),
  /** ours: a function other than the few constant ones we evaluate. */
  unknownFunction: (name: string) => cometqlError(15, `FUNCTION ${name} does not exist`),
  // 16: authentication
  authFailure: cometqlError(16, "Authentication failure"),
  // 17: too short
  dataTooShort: cometqlError(17, "Data is too short"),
  channelNameTooShort: cometqlError(17, "Channel name is too short"),
  // 403, 500
  accessDenied: cometqlError(403, "Access denied"),
  execFailed: cometqlError(500, "exec command failed"),
  storage: (detail: string) => cometqlError(500, `Storage unavailable: ${detail}`),
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
  malformed: cometqlError(500, "Malformed packet"),
} as const;
