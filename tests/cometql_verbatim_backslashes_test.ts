/**
 * The opt-in legacy reading of string literals, `[cometql] verbatim_backslashes` (server-wide)
 * and `verbatim_backslashes_dev_ids` (per tenant), with real PHP: code written for CppComet that
 * never escaped (`'" . json_encode($m) . "'`) keeps working when the option is on, while MySQL's
 * unescaping stays the default, where the tutorial's escaped code is right.
 */
import { runPhp } from "./helpers/sql_clients.ts";
import { startTestServer } from "./helpers/server.ts";
import { assertEquals } from "./helpers/assert.ts";
import { pipeListener } from "./helpers/fake_subscriber.ts";

/** What the PHP code publishes: json_encode escapes `"`, `/` and non-ASCII with backslashes. */
const JSON_TEXT = '{"text":"say \\"hi\\" \\u00e9","path":"a\\/b"}';
/** The same after MySQL unescaping of the unescaped text: no longer JSON. */
const BROKEN = '{"text":"say "hi" u00e9","path":"a/b"}';
/** mysqli_real_escape_string's output read verbatim: every backslash doubled, quotes escaped. */
const DOUBLED = '{\\"text\\":\\"say \\\\\\"hi\\\\\\" \\\\u00e9\\",\\"path\\":\\"a\\\\/b\\"}';

/** The two ways PHP code builds the INSERT: CppComet-era unescaped, and the tutorial's escaped. */
const php = (port: number, user: string) => `
  $c = mysqli_connect("127.0.0.1", "${user}", "CometQLPassword", "CometQL_v1", ${port});
  $m = json_encode(["text" => "say \\"hi\\" é", "path" => "a/b"]);
  mysqli_query($c, "INSERT INTO pipes_messages (name, event, message) VALUES ('legacy', 'raw', '" . $m . "')");
  $e = mysqli_real_escape_string($c, $m);
  mysqli_query($c, "INSERT INTO pipes_messages (name, event, message) VALUES ('legacy', 'escaped', '" . $e . "')");
  echo $m;
`;

Deno.test("verbatim_backslashes with real PHP", async (t) => {
  await t.step(
    "default (MySQL): escaped code is exact, unescaped code loses backslashes",
    async () => {
      const server = await startTestServer("[cometql]\nverbatim_backslashes_dev_ids = 15\n");
      try {
        const sub = pipeListener(server.node, "legacy", 0);
        assertEquals(await runPhp(php(server.qlPort, "root")), JSON_TEXT);
        assertEquals(sub.data(), [BROKEN, JSON_TEXT]);
        sub.stop();

        // Tenant 15 is listed: its literals keep their backslashes, as CppComet kept them.
        const tenant = pipeListener(server.node, "legacy", 15);
        await runPhp(php(server.qlPort, "15"));
        assertEquals(tenant.data(), [JSON_TEXT, DOUBLED]);
        tenant.stop();
      } finally {
        await server.stop();
      }
    },
  );

  await t.step("server-wide: every tenant reads literals verbatim", async () => {
    const server = await startTestServer("[cometql]\nverbatim_backslashes = true\n");
    try {
      const sub = pipeListener(server.node, "legacy", 0);
      await runPhp(php(server.qlPort, "root"));
      assertEquals(sub.data(), [JSON_TEXT, DOUBLED]);
      sub.stop();
    } finally {
      await server.stop();
    }
  });
});
