/**
 * A CometQL session as a PHP backend would open it (docs/protocol/cometql.md §2.3), via npm mysql2.
 */
import mysql from "mysql2/promise";

export function connectCometql(
  port: number,
  password: string,
  user = "root",
): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: "127.0.0.1",
    port,
    user,
    password,
    database: "CometQL_v1",
  });
}
