/**
 * The pipes_messages table's INSERT (docs/protocol/cometql.md §7.1): publishing to the pipe's
 * subscribers of the same tenant, and the order and texts of its validation errors. Its history
 * (SELECT, DELETE) is in cometql_table_pipes_settings_test.ts, next to the length that bounds it.
 */
import { withCometqlSession } from "./helpers/cometql_session.ts";
import { assertEquals } from "./helpers/assert.ts";
import { fakeSubscriber } from "./helpers/fake_subscriber.ts";

Deno.test("pipes_messages INSERT publishes to subscribers of the same tenant", () =>
  withCometqlSession(async ({ node, okOf }) => {
    const here = fakeSubscriber(0);
    const other = fakeSubscriber(1);
    node.setSubscriptions(here, ["news"]);
    node.setSubscriptions(other, ["news"]);
    const message = `{"text":"it\\'s \\"quoted\\" \\\\ and\\nnew line ✓"}`;
    assertEquals(
      await okOf(
        `insert into pipes_messages (name, event, message) values ('news', 'add', '${message}')`,
      ),
      [0, 0],
    );
    assertEquals(here.received.length, 1);
    assertEquals(here.received[0].data, `{"text":"it's "quoted" \\ and\nnew line ✓"}`);
    assertEquals([here.received[0].event, here.received[0].pipe], ["add", "news"]);
    assertEquals(other.received.length, 0);
    // Without a column list: id, time, name, index, event, message, user_id.
    await okOf("insert into pipes_messages values ('', 0, 'news', 0, 'e2', 'plain', 0)");
    assertEquals(here.received[1].data, "plain");
    // Multi-row VALUES.
    await okOf(
      "insert into pipes_messages (name, event, message) values ('news','a','1'), ('news','b','2')",
    );
    assertEquals(here.received.slice(2).map((m) => m.data), ["1", "2"]);
    node.setSubscriptions(here, []);
    node.setSubscriptions(other, []);
  }));

Deno.test("pipes_messages INSERT validation order and texts (docs/protocol/cometql.md §7.1)", () =>
  withCometqlSession(async ({ okOf, errOf }) => {
    const ins = (cols: string, vals: string) =>
      errOf(`insert into pipes_messages (${cols}) values (${vals})`);
    assertEquals(await ins("event, message", "'e', 'm'"), [12, "field `name` is required"]);
    assertEquals(await ins("name, message", "'abc', 'm'"), [12, "field `event` is required"]);
    assertEquals(await ins("name, event", "'abc', 'e'"), [12, "field `message` is required"]);
    assertEquals(await ins("name, event, message", `'${"p".repeat(65)}', 'e', 'm'`), [
      11,
      "Channel name is too long",
    ]);
    assertEquals(await ins("name, event, message", "'ab', 'e', 'm'"), [
      17,
      "Channel name is too short",
    ]);
    const chars = [12, "The channel name can contain only the characters A-Za-z0-9_-"];
    assertEquals(await ins("name, event, message", "'a b c', 'e', 'm'"), chars);
    assertEquals(await ins("name, event, message", `'abc', '${"e".repeat(65)}', 'm'`), [
      11,
      "Channel event_name is too long",
    ]);
    assertEquals(await ins("name, event, message", "'abc', 'e=1', 'm'"), chars);
    assertEquals(
      await okOf("insert into pipes_messages (name, event, message) values ('abc', '', 'm')"),
      [0, 0],
    );
  }));
