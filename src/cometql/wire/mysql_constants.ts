/**
 * Numbers of the MySQL client/server protocol that CometQL speaks (docs/protocol/cometql.md §2).
 * Values are MySQL's; only the ones this server sends or reads are listed.
 */

/** Capability flags (docs/protocol/cometql.md §2.2). */
export const Capability = {
  LONG_PASSWORD: 0x1,
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  NO_SCHEMA: 0x10,
  COMPRESS: 0x20,
  ODBC: 0x40,
  LOCAL_FILES: 0x80,
  IGNORE_SPACE: 0x100,
  PROTOCOL_41: 0x200,
  INTERACTIVE: 0x400,
  SSL: 0x800,
  IGNORE_SIGPIPE: 0x1000,
  TRANSACTIONS: 0x2000,
  RESERVED: 0x4000,
  SECURE_CONNECTION: 0x8000,
  MULTI_STATEMENTS: 0x10000,
  MULTI_RESULTS: 0x20000,
  PS_MULTI_RESULTS: 0x40000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 0x200000,
} as const;

/**
 * What we advertise: the original's word 0xC00FFFFF minus SSL and COMPRESS, which it advertised
 * without implementing (docs/protocol/cometql.md §2.2; docs/compatibility.md: SSL is not advertised
 * unless implemented), and minus LOCAL_FILES (LOAD DATA LOCAL is not a CometQL statement).
 */
export const SERVER_CAPABILITIES = Capability.LONG_PASSWORD | Capability.FOUND_ROWS |
  Capability.LONG_FLAG | Capability.CONNECT_WITH_DB | Capability.NO_SCHEMA | Capability.ODBC |
  Capability.IGNORE_SPACE | Capability.PROTOCOL_41 | Capability.INTERACTIVE |
  Capability.IGNORE_SIGPIPE | Capability.TRANSACTIONS | Capability.RESERVED |
  Capability.SECURE_CONNECTION | Capability.MULTI_STATEMENTS | Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS | Capability.PLUGIN_AUTH;

/**
 * Server status flags carried by every OK and EOF packet (docs/protocol/cometql.md §2.6;
 * docs/compatibility.md point 2).
 */
export const ServerStatus = {
  AUTOCOMMIT: 0x0002,
  MORE_RESULTS_EXISTS: 0x0008,
} as const;

/** Command bytes (docs/protocol/cometql.md §2.5). */
export const Command = {
  QUIT: 0x01,
  INIT_DB: 0x02,
  QUERY: 0x03,
  FIELD_LIST: 0x04,
  STATISTICS: 0x09,
  PING: 0x0e,
  STMT_PREPARE: 0x16,
  STMT_EXECUTE: 0x17,
  STMT_SEND_LONG_DATA: 0x18,
  STMT_CLOSE: 0x19,
  STMT_RESET: 0x1a,
  SET_OPTION: 0x1b,
  RESET_CONNECTION: 0x1f,
} as const;

/** Column types used in column definitions and the binary protocol. */
export const enum ColumnType {
  Decimal = 0x00,
  Tiny = 0x01,
  Short = 0x02,
  Long = 0x03,
  Float = 0x04,
  Double = 0x05,
  Null = 0x06,
  Timestamp = 0x07,
  LongLong = 0x08,
  Int24 = 0x09,
  Date = 0x0a,
  Time = 0x0b,
  DateTime = 0x0c,
  Year = 0x0d,
  VarChar = 0x0f,
  Bit = 0x10,
  Json = 0xf5,
  NewDecimal = 0xf6,
  Enum = 0xf7,
  Set = 0xf8,
  TinyBlob = 0xf9,
  MediumBlob = 0xfa,
  LongBlob = 0xfb,
  Blob = 0xfc,
  VarString = 0xfd,
  String = 0xfe,
  Geometry = 0xff,
}

/** Column definition flags. */
export const ColumnFlag = { NOT_NULL: 0x0001, PRI_KEY: 0x0002, BINARY: 0x0080 } as const;

/** utf8mb4_general_ci: announced in the handshake and on text columns (bytes pass through). */
export const CHARSET_UTF8MB4 = 45;
/** `binary`, MySQL's charset for numeric columns. */
export const CHARSET_BINARY = 63;

/**
 * Longest payload of one wire packet; longer payloads are split (docs/protocol/cometql.md §2.1).
 */
export const MAX_PACKET_PAYLOAD = 0xffffff;

export const AUTH_PLUGIN = "mysql_native_password";
