/**
 * The comet.conf every test server runs with: ephemeral ports on loopback, SQLite in `dataDir`,
 * admin off. `extra` is appended, so its keys win over these.
 */
export function testConf(dataDir: string, password: string, extra = "", logLevel = 400): string {
  return `[main]
password = ${password}
node_name = test
[db]
file = ${dataDir}/comet.sqlite
[ws]
ip = 127.0.0.1
port = 0
[cometql]
ip = 127.0.0.1
port = 0
[admin]
port = 0
[log]
level = ${logLevel}
${extra}`;
}
