/**
 * Perl's DBD::MariaDB against CometQL: it reads the handshake's server version and quit with
 * "older than 4.1.0" on the original's `CppComet community 4.09` (docs/compatibility.md point 2).
 * Placeholders bound client-side (the default) and server-side (`mariadb_server_prepare`).
 */
import { startTestServer } from "./helpers/server.ts";
import { assertEquals } from "./helpers/assert.ts";
import { pipeListener } from "./helpers/fake_subscriber.ts";

const TRICKY = `{"name":"O'Brien","text":"say \\"hi\\" \\\\ C:\\\\path\nлиния ✓ 😀"}`;

const SCRIPT = `
use strict; use warnings; use DBI; use JSON::PP; use Encode;
my ($port, $message, $serverPrepare) = @ARGV;
$message = decode("UTF-8", $message);
my $dbh = DBI->connect("DBI:MariaDB:database=CometQL_v1;host=127.0.0.1;port=$port",
  "root", "CometQLPassword",
  { RaiseError => 1, PrintError => 0, mariadb_server_prepare => $serverPrepare });
my %out = (version => $dbh->{mariadb_serverinfo});
$dbh->do("INSERT INTO pipes_messages (name, event, message) VALUES (?, ?, ?)", undef,
  "perl_pipe", "e", $message);
$dbh->do("INSERT INTO users_data (id, data) VALUES (?, ?)", undef, 71, $message);
$out{rows} = $dbh->selectall_arrayref("SELECT id, data FROM users_data WHERE id = ?", undef, 71);
eval { $dbh->do("SELECT * FROM nope") };
$out{error} = [$dbh->err + 0, $dbh->state, $dbh->errstr];
print JSON::PP->new->canonical->utf8->encode(\\%out);
`;

Deno.test("Perl DBD::MariaDB", async (t) => {
  const server = await startTestServer();
  const stats = server.node.stats;
  const listener = pipeListener(server.node, "perl_pipe");
  try {
    for (const serverPrepare of [0, 1]) {
      await t.step(`placeholders, mariadb_server_prepare = ${serverPrepare}`, async () => {
        listener.clear();
        const executes = stats.qlStmtExecutes;
        const run = await new Deno.Command("perl", {
          args: ["-e", SCRIPT, String(server.qlPort), TRICKY, String(serverPrepare)],
          stdout: "piped",
          stderr: "piped",
          stdin: "null",
        }).output();
        const stderr = new TextDecoder().decode(run.stderr);
        assertEquals(run.code, 0, stderr);
        assertEquals(JSON.parse(new TextDecoder().decode(run.stdout)), {
          version: "5.7.0-CppComet community 4.09 (AGPL license)",
          rows: [["71", TRICKY]],
          error: [15, "42S02", "Table doesn't exist"],
        });
        assertEquals(listener.data(), [TRICKY]);
        // Server-side prepares reach the server as COM_STMT_EXECUTE (two INSERTs, the SELECT and
        // the failing SELECT, whose ERR 15 comes at EXECUTE); client-side ones do not.
        assertEquals(stats.qlStmtExecutes - executes, serverPrepare ? 4 : 0);
      });
    }
  } finally {
    listener.stop();
    await server.stop();
  }
});
