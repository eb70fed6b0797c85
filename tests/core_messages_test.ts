/**
 * Server → browser frames are byte-identical to the spec's examples (docs/protocol/websocket.md
 * §4.2).
 */
import { assertEquals } from "./helpers/assert.ts";
import {
  errorMessage,
  escapeForOriginalClient,
  pipeMessage,
  presenceMessage,
  privateMessage,
  queuedPrivateMessage,
  serverInfo,
  trackMessage,
  webPipeMessage,
} from "../src/core/messages.ts";
import {
  historyMessage,
  pipeCountMessage,
  trackUsersMessage,
  userDataMessage,
  userStatusMessage,
  webPipeAnswer,
} from "../src/ws/command_replies.ts";
import { WireFormat } from "../src/core/wire_format.ts";

const T = 1700000000;
const O = WireFormat.Original;

Deno.test("S1 serverInfo matches the spec example", () => {
  assertEquals(
    serverInfo(true, "Tq9wZ3", T).text(O),
    '{"authorized":true,"data":"Tq9wZ3","event":"serverInfo","message_send_time":1700000000,"pipe":"sys","server":"CppComet community 4.09 (AGPL license)"}',
  );
});

Deno.test("S3/S4 web_pipe2 carry the E′ escaping for 4.x clients and the raw body for ours", () => {
  const body = '{"text":"hi"}';
  assertEquals(
    webPipeMessage("web_room", "say", body, 42, T).text(O),
    '{"data":"{\\\\\\"text\\\\\\":\\\\\\"hi\\\\\\"}","event":"say","message_send_time":1700000000,"pipe":"web_room","user_id":42}',
  );
  assertEquals(
    webPipeAnswer("web_room", body, 3, undefined, T).text(O),
    '{"data":{"message":"{\\\\\\"text\\\\\\":\\\\\\"hi\\\\\\"}","number_messages":3},"event":"answer","message_send_time":1700000000,"pipe":"_answer_to_web_room"}',
  );
  assertEquals(
    JSON.parse(webPipeMessage("web_room", "say", body, 42, T).text(WireFormat.Clean)).data,
    body,
  );
});

Deno.test("E′ escapes like MySQL but leaves apostrophes alone (docs/protocol/websocket.md §4.3)", () => {
  assertEquals(escapeForOriginalClient(`a\\b"c'd\n\r\0\x1a`), `a\\\\b\\"c'd\\n\\r\\0\\Z`);
});

Deno.test("S5–S14 match the spec examples", () => {
  assertEquals(
    pipeMessage("news", "tick", '{"n":1}', T).text(O),
    '{"data":"{\\"n\\":1}","event":"tick","message_send_time":1700000000,"pipe":"news"}',
  );
  assertEquals(
    historyMessage("news", "tick", '{"n":1}', 0, 1699999940, "m").text(O),
    '{"data":"{\\"n\\":1}","event":"tick","fromQueue":true,"message_send_time":1699999940,"pipe":"news","user_id":0}',
  );
  assertEquals(
    JSON.parse(historyMessage("news", "tick", "x", 0, T, "4815162342").text(WireFormat.Clean)),
    {
      data: "x",
      event: "tick",
      fromQueue: true,
      history: true,
      marker: "4815162342",
      message_send_time: T,
      pipe: "news",
      user_id: 0,
    },
  );
  assertEquals(
    privateMessage("notice", "hello").text(O),
    '{"data":"hello","event":"notice","pipe":"msg"}',
  );
  assertEquals(
    queuedPrivateMessage("notice", "hello", T).text(O),
    '{"data":"hello","event":"notice","fromQueue":true,"message_send_time":1700000000,"pipe":"msg"}',
  );
  assertEquals(
    presenceMessage(42, true).text(O),
    '{"data":"online","event":"online","pipe":"user_status_42"}',
  );
  assertEquals(
    trackMessage("track_lobby", "subscription", 42, "AbCdEfGhIjKlMnOpQrStUvWxYz012345", T).text(O),
    '{"data":{"user_id":42,"uuid":"AbCdEfGhIjKlMnOpQrStUvWxYz012345"},"event":"subscription","message_send_time":1700000000,"pipe":"track_lobby"}',
  );
  assertEquals(
    pipeCountMessage(3, "4815162342", T).text(O),
    '{"data":["user_in_pipe",3],"event":"user_in_pipe","marker":"4815162342","message_send_time":1700000000,"pipe":"_answer_pipe_count"}',
  );
  assertEquals(
    trackUsersMessage([{ user_id: 42, uuid: "AbCd" }, { user_id: 0, uuid: "Zz" }], "4815162342", T)
      .text(O),
    '{"_info":"answer for track_pipe_users","data":[{"user_id":42,"uuid":"AbCd"},{"user_id":0,"uuid":"Zz"}],"event":"answer","marker":"4815162342","message_send_time":1700000000,"pipe":"_answer"}',
  );
  assertEquals(
    userDataMessage(7, '{"nick":"bob"}', "4815162342", T).text(O),
    '{"data":{"user_data":"{\\"nick\\":\\"bob\\"}","user_id":7},"event":"answer","marker":"4815162342","message_send_time":1700000000,"pipe":"_answer"}',
  );
  assertEquals(
    userStatusMessage(7, T - 60, T).text(O),
    '{"data":{"data":60,"last_online_time":60},"event":"user_status_7","message_send_time":1700000000,"pipe":"_answer_user_status"}',
  );
});

Deno.test("S2 errors and the legacy format (MAJOR < 4) match the spec examples", () => {
  assertEquals(
    errorMessage({ error: "Channel name is too long", code: "403" }, T).text(O),
    '{"data":{"code":"403","error":"Channel name is too long"},"event":"error","message_send_time":1700000000,"pipe":"sys"}',
  );
  assertEquals(
    errorMessage({
      error: "Error code 401(Invalid request, session ID not found)",
      error_code: 401,
      info: "Closed due to error. See last message.",
    }, T).text(WireFormat.Legacy),
    '{"api_data":"for major_version < 4","data":"{\\"error\\":\\"Error code 401(Invalid request, session ID not found)\\",\\"error_code\\":401,\\"info\\":\\"Closed due to error. See last message.\\"}","event":"error","event_name":"error","message_send_time":1700000000,"pipe":"sys"}',
  );
});
