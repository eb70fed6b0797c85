/** docs/protocol/websocket.md §3 — command matching, the name checker and every validation text. */
import { assertEquals } from "./helpers/assert.ts";
import { type BrowserCommand, parseCommand } from "../src/ws/browser_commands.ts";
import { readCheckedName } from "../src/ws/checked_name.ts";

const CHANNEL_CHARS = "The channel name can only contain characters A-Za-z0-9_-";
const EVENT_CHARS = "The event name can only contain characters A-Za-z0-9_-";
const anon = (p: string) => parseCommand(p, false);
const auth = (p: string) => parseCommand(p, true);

Deno.test("§3.0: the name checker accepts 0–65 AZ09 bytes up to \\n", () => {
  assertEquals(readCheckedName("web_a-B9\nrest", 0), { ok: true, value: "web_a-B9", next: 9 });
  assertEquals(readCheckedName("", 0), { ok: true, value: "", next: 0 });
  assertEquals(readCheckedName("a".repeat(65), 0), { ok: true, value: "a".repeat(65), next: 65 });
  assertEquals(readCheckedName("a".repeat(66), 0), { ok: false, problem: "length" });
  assertEquals(readCheckedName("web.x", 0), { ok: false, problem: "chars" });
  assertEquals(readCheckedName("web_x\r\n", 0), { ok: false, problem: "chars" });
});

Deno.test("§3.0: keywords are prefixes, one separator byte is skipped, others close", () => {
  assertEquals(anon("pipe_count web_a 123"), {
    kind: "invalid",
    errors: [
      { error: CHANNEL_CHARS, number_messages: -1 },
      { error: "Invalid pipe name.", number_messages: -1 },
    ],
  });
  assertEquals(anon("pipe_count\tweb_a\n123"), { kind: "pipeCount", pipe: "web_a", marker: "123" });
  assertEquals(anon("statistics\n{}"), { kind: "ignored" });
  assertEquals(anon("cgi_call\nx"), { kind: "ignored" });
  for (const p of ["web_pipe\nweb_a", "unsubscription\nweb_a", "ping", "", "web_pipe_count"]) {
    assertEquals(anon(p), { kind: "unknown" }, p);
  }
});

Deno.test("§3.1: subscription replaces the set; names are maximal AZ09 runs", () => {
  assertEquals(anon("subscription\nweb_room\ntrack_lobby\nuser_status_7"), {
    kind: "subscription",
    pipes: ["web_room", "track_lobby", "user_status_7"],
    errors: [],
    close: false,
  });
  assertEquals(anon("subscription\n").kind === "subscription" && anon("subscription\n"), {
    kind: "subscription",
    pipes: [],
    errors: [],
    close: false,
  });
  const split = anon("subscription\nweb_a.EV,web_b web_c\r\nweb_d");
  assertEquals(split.kind === "subscription" && split.pipes, [
    "web_a",
    "EV",
    "web_b",
    "web_c",
    "web_d",
  ]);
  const short = anon("subscription\nweb_a\nx\nweb_b");
  assertEquals(short.kind === "subscription" && short.pipes, ["web_a"]);
});

Deno.test("§3.1: too long names and too long lists close; the 33rd name is refused", () => {
  assertEquals(anon(`subscription\nweb_a\n${"n".repeat(65)}`), {
    kind: "subscription",
    pipes: ["web_a"],
    errors: [{ code: "403", error: "Channel name is too long" }],
    close: true,
  });
  const ok64 = anon(`subscription\n${"n".repeat(64)}`);
  assertEquals(ok64.kind === "subscription" && ok64.close, false);
  assertEquals(anon(`subscription\n${"a".repeat(2177)}`), {
    kind: "subscription",
    pipes: [],
    errors: [{ code: "403", error: "Too many letters" }],
    close: true,
  });
  const names = Array.from({ length: 40 }, (_, i) => `web_${i}`);
  assertEquals(anon(`subscription\n${names.join("\n")}`), {
    kind: "subscription",
    pipes: names.slice(0, 32),
    errors: [{ code: "403", error: "Too many letters" }],
    close: false,
  });
});

Deno.test("resume keeps the bounds of subscription: 64-byte names, the 33rd pipe refused", () => {
  const names = Array.from({ length: 40 }, (_, i) => `web_${i}`);
  assertEquals(anon(`resume\n${"n".repeat(64)}\n${"m".repeat(65)}\n${names.join("\n")}`), {
    kind: "resume",
    pipes: ["n".repeat(64), ...names.slice(0, 31)].map((pipe) => ({ pipe })),
    errors: [
      { error: `[resume] invalid channel name "${"m".repeat(65)}"` },
      { error: "[resume] more than 32 channels" },
    ],
  });
});

Deno.test("§3.1 [BUG] fix: an anonymous private_ name is skipped alone", () => {
  const a = anon("subscription\nweb_a\nprivate_x\nweb_b");
  assertEquals(a.kind === "subscription" && a.pipes, ["web_a", "web_b"]);
  const b = auth("subscription\nweb_a\nprivate_x\nweb_b");
  assertEquals(b.kind === "subscription" && b.pipes, ["web_a", "private_x", "web_b"]);
});

Deno.test("§3.2: web_pipe2 parses pipe, event, auth type and a multi-line body", () => {
  assertEquals(anon('web_pipe2\nweb_room\nsay\n*\n{"text":"hi"}\nline2'), {
    kind: "webPipe",
    pipe: "web_room",
    event: "say",
    body: '{"text":"hi"}\nline2',
    anonymous: false,
  });
  assertEquals(auth("web_pipe2\n@web_room\n\n*\nbody"), {
    kind: "webPipe",
    pipe: "web_room",
    event: "",
    body: "body",
    anonymous: true,
  });
  assertEquals(auth("web_pipe2\nwebauth_x\nev\n*\n"), {
    kind: "webPipe",
    pipe: "webauth_x",
    event: "ev",
    body: "",
    anonymous: false,
  });
});

Deno.test("§3.2: web_pipe2 validation rows in order, exact texts", () => {
  const err = (p: string, authorized = false) => parseCommand(p, authorized);
  assertEquals(err("web_pipe2\nwebauth_x\nev\n*\nb"), {
    kind: "invalid",
    errors: [{
      error: "[webauth_pipe_msg2] Invalid user auth. In to channel with name like webauth_* " +
        "can not send messages anonim users",
      number_messages: -1,
    }],
  });
  const notWeb: BrowserCommand = {
    kind: "invalid",
    errors: [{
      error: "[pipe_msg2] Invalid channel name. The channel should begin with web_",
      number_messages: -1,
    }],
  };
  assertEquals(err("web_pipe2\nnews\nev\n*\nb", true), notWeb);
  assertEquals(err("web_pipe2\n@webauth_x\nev\n*\nb", true), notWeb);
  assertEquals(err("web_pipe2\nweb_a.b\nev\n*\nb"), {
    kind: "invalid",
    errors: [{ error: CHANNEL_CHARS, number_messages: -1 }],
  });
  assertEquals(err(`web_pipe2\nweb_${"a".repeat(62)}\nev\n*\nb`), {
    kind: "invalid",
    errors: [{ error: "Invalid pipe name length", number_messages: -1 }],
  });
  assertEquals(err("web_pipe2\nweb_a\nev.x\n*\nb"), {
    kind: "invalid",
    errors: [{ error: EVENT_CHARS }],
  });
  assertEquals(err(`web_pipe2\nweb_a\n${"e".repeat(66)}\n*\nb`), {
    kind: "invalid",
    errors: [{ error: "Invalid event name length" }],
  });
  for (
    const p of ["web_pipe2\nweb_a\nev\n**\nb", "web_pipe2\nweb_a\nev\n*", "web_pipe2\nweb_a\nev"]
  ) {
    assertEquals(err(p), {
      kind: "invalid",
      errors: [{ error: "Invalid value auth_type", number_messages: -1 }],
    }, p);
  }
});

Deno.test("§3.3: pipe_log checks pipe and marker with a second error", () => {
  assertEquals(anon("pipe_log\nweb_a\n4815162342\n"), {
    kind: "pipeLog",
    pipe: "web_a",
    marker: "4815162342",
  });
  assertEquals(anon("pipe_log\nweb a\n1\n"), {
    kind: "invalid",
    errors: [
      { error: CHANNEL_CHARS, number_messages: -1 },
      { error: "Invalid channel name.", number_messages: -1 },
    ],
  });
  assertEquals(anon("pipe_log\nweb_a\n0.123\n"), {
    kind: "invalid",
    errors: [
      { error: CHANNEL_CHARS, number_messages: -1 },
      { error: "Invalid marker value.", number_messages: -1 },
    ],
  });
});

Deno.test("§3.4: pipe_count for web_ and track_ only", () => {
  assertEquals(anon("pipe_count\ntrack_a\nm1\n"), {
    kind: "pipeCount",
    pipe: "track_a",
    marker: "m1",
  });
  assertEquals(anon("pipe_count\nnews\nm1\n"), {
    kind: "invalid",
    errors: [{
      error: "[pipe_count] Invalid channel name. The channel should start with web_",
      number_messages: -1,
    }],
  });
  assertEquals(anon("pipe_count\nweb_a\nm.1\n"), {
    kind: "invalid",
    errors: [
      { error: CHANNEL_CHARS, number_messages: -1 },
      { error: "Invalid pipe name.", number_messages: -1 },
    ],
  });
});

Deno.test("§3.5: track_pipe_users splits on whitespace, no charset check", () => {
  assertEquals(anon("track_pipe_users\ntrack_lobby\n4815162342"), {
    kind: "trackPipeUsers",
    pipe: "track_lobby",
    marker: "4815162342",
  });
  assertEquals(anon("track_pipe_users\n  track_a.b   m'1 "), {
    kind: "trackPipeUsers",
    pipe: "track_a.b",
    marker: "m'1",
  });
  assertEquals(anon("track_pipe_users\nweb_a\nm"), {
    kind: "invalid",
    errors: [{
      error: "[track_pipe_users] Invalid channel name. The channel should start with track_",
      user_id: -1,
    }],
  });
});

Deno.test("§3.6: user_data marker and leading integer", () => {
  assertEquals(anon("user_data\nm1\n  42junk"), { kind: "userData", marker: "m1", userId: 42 });
  assertEquals(anon("user_data\nm.1\n42"), {
    kind: "invalid",
    errors: [
      { error: CHANNEL_CHARS, number_messages: -1 },
      { error: "Invalid marker name.", user_data: "", user_id: -1 },
    ],
  });
  assertEquals(anon("user_data\nm1\nabc"), {
    kind: "invalid",
    errors: [{ error: "Invalid user id", user_data: "", user_id: -1 }],
  });
});

Deno.test("§3.7/§3.8: user_status and CometQL_call", () => {
  assertEquals(anon("user_status\n17"), { kind: "userStatus", userId: 17 });
  assertEquals(anon("CometQL_call\nm1\naaa.bbb.ccc"), {
    kind: "cometqlCall",
    marker: "m1",
    token: "aaa.bbb.ccc",
  });
  assertEquals(anon("CometQL_call\nm 1\nt"), {
    kind: "invalid",
    errors: [
      { error: CHANNEL_CHARS, number_messages: -1 },
      { error: "Invalid marker name.", user_data: "", user_id: -1 },
    ],
  });
});
