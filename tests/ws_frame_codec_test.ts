/**
 * docs/protocol/websocket.md §2 (framing) with docs/compatibility.md's fixes: every size,
 * ping/pong, fragments.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./helpers/assert.ts";
import { buildFrame, parseFrame } from "./helpers/ws_client.ts";
import { encodeTextFrame, frameOf, FrameReader, type FrameSink } from "../src/ws/frame_codec.ts";
import { pipeMessage } from "../src/core/messages.ts";
import { WireFormat } from "../src/core/wire_format.ts";

function recorder(max = 103840) {
  const events: string[] = [];
  const sink: FrameSink = {
    onMessage: (p) => events.push(`message:${new TextDecoder().decode(p)}`),
    onPing: (p) => events.push(`ping:${new TextDecoder().decode(p)}`),
    onCloseFrame: () => events.push("close"),
    onFrameError: (e) => events.push(`error:${e}`),
  };
  return { events, reader: new FrameReader(max, sink) };
}

const feed = (r: FrameReader, ...frames: Uint8Array[]) => r.push(Buffer.concat(frames));

Deno.test("§2.2: outbound text frames of every size have the right length form", () => {
  for (const n of [0, 1, 122, 123, 124, 125, 126, 127, 65535, 65536, 70000, 300000]) {
    const text = "x".repeat(n);
    const frame = encodeTextFrame(text);
    assertEquals(frame[0], 0x81, `FIN+text for ${n}`);
    assertEquals(frame[1] & 0x80, 0, "server frames are unmasked");
    const parsed = parseFrame(frame);
    assert(parsed, `parses ${n}`);
    assertEquals(parsed.size, frame.length);
    assertEquals(parsed.frame.text.length, n);
    assertEquals(frame[1] & 0x7f, n < 126 ? n : n < 65536 ? 126 : 127);
  }
});

Deno.test("§2.2: payloads of 123–125 bytes are intact (the original corrupted them)", () => {
  for (const n of [123, 124, 125]) {
    const text = "{" + "a".repeat(n - 2) + "}";
    const parsed = parseFrame(encodeTextFrame(text));
    assertEquals(parsed?.frame.text, text);
  }
});

Deno.test("frames are UTF-8 and the cached frame is shared per format", () => {
  const message = pipeMessage("web_room", "say", 'привет \u{1F600} "q"');
  const a = frameOf(message, WireFormat.Original);
  const b = frameOf(message, WireFormat.Original);
  assert(a === b, "built once, then reused");
  assert(message.wire[WireFormat.Original] === a);
  assertEquals(JSON.parse(parseFrame(a)!.frame.text).data, 'привет \u{1F600} "q"');
});

Deno.test("§2.1: masked text and binary frames with 7/16/64-bit lengths", () => {
  const { events, reader } = recorder(200000);
  feed(
    reader,
    buildFrame(1, "abc"),
    buildFrame(2, "bin"),
    buildFrame(1, "x".repeat(300)),
    buildFrame(1, "short-in-16", { lengthForm: 16 }),
    buildFrame(1, "short-in-64", { lengthForm: 64 }),
    buildFrame(1, "y".repeat(70000)),
  );
  assertEquals(events.map((e) => e.length > 40 ? e.slice(0, 12) + e.length : e), [
    "message:abc",
    "message:bin",
    "message:xxxx308",
    "message:short-in-16",
    "message:short-in-64",
    "message:yyyy70008",
  ]);
});

Deno.test("§2.1: frames split across reads at every byte are reassembled", () => {
  const bytes = Buffer.concat([buildFrame(1, "hello"), buildFrame(1, "z".repeat(500))]);
  for (let cut = 1; cut < bytes.length; cut += 7) {
    const { events, reader } = recorder();
    reader.push(Buffer.from(bytes.subarray(0, cut)));
    reader.push(Buffer.from(bytes.subarray(cut)));
    assertEquals(events.length, 2, `cut at ${cut}`);
    assertEquals(events[0], "message:hello");
  }
  const { events, reader } = recorder();
  for (const b of bytes) reader.push(Buffer.from([b]));
  assertEquals(events.length, 2, "one byte per read");
});

Deno.test("compat: fragmented messages are reassembled, control frames may interleave", () => {
  const { events, reader } = recorder();
  feed(
    reader,
    buildFrame(1, "sub", { fin: false }),
    buildFrame(0x9, "p1"),
    buildFrame(0, "scrip", { fin: false }),
    buildFrame(0xa, "pong ignored"),
    buildFrame(0, "tion", { fin: true }),
  );
  assertEquals(events, ["ping:p1", "message:subscription"]);
});

Deno.test("§2.3: a Close frame stops the reader and is reported", () => {
  const { events, reader } = recorder();
  feed(reader, buildFrame(1, "a"), buildFrame(0x8, ""), buildFrame(1, "after"));
  assertEquals(events, ["message:a", "close"]);
});

Deno.test("§2.1: protocol errors close the connection", () => {
  const cases: [Uint8Array[], string][] = [
    [[buildFrame(1, "x", { mask: false })], "error:unmasked frame"],
    [[buildFrame(1, "x", { rsv: 4 })], "error:reserved bits set"],
    [[buildFrame(3, "x")], "error:unknown opcode"],
    [[buildFrame(0xb, "x")], "error:unknown opcode"],
    [[buildFrame(0, "x")], "error:unexpected continuation"],
    [[buildFrame(1, "a", { fin: false }), buildFrame(1, "b")], "error:expected continuation"],
    [[buildFrame(0x9, "p", { fin: false })], "error:bad control frame"],
    [[buildFrame(0x9, "p".repeat(126))], "error:bad control frame"],
  ];
  for (const [frames, expected] of cases) {
    const { events, reader } = recorder();
    feed(reader, ...frames, buildFrame(1, "never"));
    assertEquals(events, [expected]);
  }
});

Deno.test("§8: inbound payload limit applies to frames and to reassembled messages", () => {
  const big = recorder(1000);
  feed(big.reader, buildFrame(1, "a".repeat(1000)), buildFrame(1, "b".repeat(1001)));
  assertEquals(big.events.map((e) => e.slice(0, 20)), [
    "message:aaaaaaaaaaaa",
    "error:message too la",
  ]);
  // the header alone is enough to refuse: no waiting for 1 MB that would never be accepted
  const early = recorder(1000);
  early.reader.push(Buffer.from(buildFrame(1, "c".repeat(5000)).subarray(0, 20)));
  assertEquals(early.events, ["error:message too large"]);
  const parts = recorder(1000);
  feed(
    parts.reader,
    buildFrame(1, "a".repeat(600), { fin: false }),
    buildFrame(0, "a".repeat(600), { fin: true }),
  );
  assertEquals(parts.events, ["error:message too large"]);
});
