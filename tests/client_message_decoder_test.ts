/**
 * Decoding server frames in the browser client (docs/protocol/websocket.md §2.2, §4, §9.5). We
 * announce v=5.0, so bodies arrive exactly as published and are decoded without the original's
 * backslash-stripping heuristics.
 */
import assert from "node:assert/strict";
import {
  decodeData,
  isServerInfo,
  normalizeUserCount,
  parseFrame,
  serverInfoAuthorized,
  serverInfoRealUserKey,
  signalsOf,
  toCometEvent,
} from "../client/src/message_decoder.ts";

Deno.test("frame: one JSON object per line; bad lines and objects without data are skipped", () => {
  const frame = [
    '{"data":"a","event":"e","pipe":"web_x"}',
    '{"data":"b","event":"e","pipe":"web_x"',
    '{"event":"nodata","pipe":"web_x"}',
    "[1,2]",
    "",
    '{"data":{"n":1},"event":"e","pipe":"web_y"}',
  ].join("\n");
  assert.deepEqual(parseFrame(frame).map((m) => m.data), ["a", { n: 1 }]);
});

Deno.test("data: JSON text is parsed, anything else is kept byte for byte", () => {
  assert.deepEqual(decodeData('{"text":"hi"}'), { text: "hi" });
  assert.equal(decodeData("123"), 123);
  assert.equal(decodeData('"quoted"'), "quoted");
  assert.equal(decodeData("a\\b"), "a\\b"); // published `a\b` arrives exactly
  assert.equal(decodeData("a\\\\b"), "a\\\\b");
  assert.equal(decodeData("it's"), "it's");
  assert.equal(decodeData("Привет, мир"), "Привет, мир");
  assert.equal(decodeData("online"), "online");
  assert.equal(decodeData('say "hi"'), 'say "hi"');
  assert.deepEqual(decodeData(["user_in_pipe", 3]), ["user_in_pipe", 3]);
});

Deno.test("data: a JSON body with backslashes and apostrophes survives the wire", () => {
  const published = JSON.stringify({ text: 'it\'s a \\ and a "quote"\nnew line' });
  const frame = JSON.stringify({ data: published, event: "m", pipe: "web_room", user_id: 3 });
  const [msg] = parseFrame(frame);
  assert.deepEqual(toCometEvent(msg).data, { text: 'it\'s a \\ and a "quote"\nnew line' });
});

Deno.test("event object: data and server_info of §9.5, user_id defaults to 0", () => {
  const [live] = parseFrame(
    '{"data":"{\\"n\\":1}","event":"tick","message_send_time":1,"pipe":"news"}',
  );
  assert.deepEqual(toCometEvent(live), {
    data: { n: 1 },
    server_info: {
      user_id: 0,
      pipe: "news",
      event: "tick",
      history: false,
      recovered: false,
      offset: undefined,
      marker: undefined,
      uuid: undefined,
    },
  });
  const [history] = parseFrame(
    '{"data":"x","event":"e","fromQueue":true,"history":true,"marker":"0123456789",' +
      '"message_send_time":5,"pipe":"web_room","user_id":42}',
  );
  assert.deepEqual(toCometEvent(history).server_info, {
    user_id: 42,
    pipe: "web_room",
    event: "e",
    history: true,
    recovered: false,
    offset: undefined,
    marker: "0123456789",
    uuid: undefined,
  });
  const [replayed] = parseFrame(
    '{"data":"r","epoch":"0a1b2c3d4e5f","event":"e","message_send_time":5,"offset":17,' +
      '"pipe":"web_room","recovered":true,"user_id":0}',
  );
  assert.deepEqual(
    [toCometEvent(replayed).server_info.recovered, toCometEvent(replayed).server_info.offset],
    [true, 17],
  );
});

Deno.test("signals: pipe, pipe.event, marker, then the catch-all", () => {
  assert.deepEqual(signalsOf({ data: 1, pipe: "web_x", event: "say" }), [
    "web_x",
    "web_x.say",
    "comet_server_msg",
  ]);
  assert.deepEqual(signalsOf({ data: 1, pipe: "msg", event: "notice" }), [
    "msg",
    "msg.notice",
    "comet_server_msg",
  ]);
  assert.deepEqual(signalsOf({ data: 1, event: "notice" }), [
    "msg.notice",
    "msg",
    "comet_server_msg",
  ]);
  assert.deepEqual(
    signalsOf({ data: 1, pipe: "_answer_pipe_count", event: "user_in_pipe", marker: "m1" }),
    ["_answer_pipe_count", "_answer_pipe_count.user_in_pipe", "m1", "comet_server_msg"],
  );
});

Deno.test("serverInfo: recognised, auth state and real user key (first space → _)", () => {
  const [info] = parseFrame(
    '{"authorized":true,"data":"ab cd ef","event":"serverInfo","message_send_time":1,"pipe":"sys"}',
  );
  assert.equal(isServerInfo(info), true);
  assert.equal(serverInfoAuthorized(info), true);
  assert.equal(serverInfoRealUserKey(info), "ab_cd ef");
  assert.equal(serverInfoAuthorized({ data: "", authorized: "true" }), true);
  assert.equal(serverInfoAuthorized({ data: "", authorized: false }), false);
  assert.equal(isServerInfo({ data: "", pipe: "sys", event: "error" }), false);
});

Deno.test("pipe_count data: the array and the documented object form read the same", () => {
  const fromArray = normalizeUserCount(["user_in_pipe", 4]) as unknown as {
    [0]: string;
    [1]: number;
    user_in_pipe: number;
  };
  assert.equal(fromArray[1], 4);
  assert.equal(fromArray.user_in_pipe, 4);
  const fromObject = normalizeUserCount({ user_in_pipe: 2 }) as unknown as typeof fromArray;
  assert.equal(fromObject[1], 2);
  assert.equal(fromObject.user_in_pipe, 2);
  assert.equal(normalizeUserCount("odd"), "odd");
});
