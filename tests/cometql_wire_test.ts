/** Packet framing and lenenc (docs/protocol/cometql.md §2.1, §2.6). */
import { PacketReader, PacketTooLarge } from "../src/cometql/wire/packet_reader.ts";
import { PayloadReader, WireWriter } from "../src/cometql/wire/wire_buffer.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

function encodedLenenc(n: number): number[] {
  const w = new WireWriter();
  w.lenenc(n);
  return [...w.view()];
}

Deno.test("lenenc integers are MySQL's: 1, fc+2, fd+3, fe+8 bytes (no off-by-one)", () => {
  assertEquals(encodedLenenc(250), [250]);
  assertEquals(encodedLenenc(251), [0xfc, 251, 0]);
  assertEquals(encodedLenenc(65535), [0xfc, 0xff, 0xff]);
  assertEquals(encodedLenenc(65536), [0xfd, 0, 0, 1]);
  assertEquals(encodedLenenc(16777215), [0xfd, 0xff, 0xff, 0xff]);
  assertEquals(encodedLenenc(16777216), [0xfe, 0, 0, 0, 1, 0, 0, 0, 0]);
  for (const n of [0, 250, 251, 65535, 65536, 16777215, 16777216, 2 ** 40]) {
    assertEquals(new PayloadReader(new Uint8Array(encodedLenenc(n))).lenenc(), n);
  }
});

Deno.test("length-encoded strings choose the length prefix by UTF-8 byte count", () => {
  for (
    const s of ["", "abc", "é".repeat(83), "é".repeat(126), "x".repeat(300), "ж".repeat(40000)]
  ) {
    const w = new WireWriter();
    w.lenencText(s);
    const r = new PayloadReader(w.view());
    const n = r.lenenc();
    assertEquals(new TextDecoder().decode(r.bytesN(n)), s);
    assertEquals(r.remaining, 0);
  }
});

Deno.test("packets carry a 3-byte length and consecutive sequence ids", () => {
  const w = new WireWriter();
  w.seq = 1;
  w.packet(new Uint8Array([1, 2, 3]));
  w.packet(new Uint8Array(0));
  assertEquals([...w.view()], [3, 0, 0, 1, 1, 2, 3, 0, 0, 0, 2]);
});

Deno.test("a payload of 16 MiB or more is split into 0xffffff-byte packets (+ empty tail)", () => {
  const w = new WireWriter();
  w.beginPacket();
  w.raw(new Uint8Array(0xffffff).fill(7));
  w.endPacket();
  const bytes = w.view();
  assertEquals(bytes.length, 4 + 0xffffff + 4);
  assertEquals([...bytes.subarray(0, 4)], [0xff, 0xff, 0xff, 0]);
  assertEquals([...bytes.subarray(4 + 0xffffff)], [0, 0, 0, 1]);
  assertEquals(w.seq, 2);

  const reader = new PacketReader(64 << 20);
  reader.push(bytes);
  const p = reader.next()!;
  assertEquals(p.payload.length, 0xffffff);
  assertEquals(p.firstSeq, 0);
  assertEquals(p.seq, 1);
  assertEquals(reader.next(), undefined);
});

Deno.test("the reader returns every packet of one read, in order, and waits for partial ones", () => {
  const reader = new PacketReader(1 << 20);
  reader.push(new Uint8Array([1, 0, 0, 0, 0x0e, 2, 0, 0, 0, 0x03, 0x41, 5, 0]));
  assertEquals([...reader.next()!.payload], [0x0e]);
  assertEquals([...reader.next()!.payload], [0x03, 0x41]);
  assertEquals(reader.next(), undefined);
  reader.push(new Uint8Array([0, 0, 0x03]));
  assertEquals(reader.next(), undefined);
  reader.push(new Uint8Array([0x61, 0x62, 0x63, 0x64]));
  assertEquals(new TextDecoder().decode(reader.next()!.payload), "\x03abcd");
});

Deno.test("a packet longer than the reader's limit is refused before it is buffered", () => {
  const reader = new PacketReader(100);
  reader.push(new Uint8Array([200, 0, 0, 0, 1, 2]));
  let thrown: unknown;
  try {
    reader.next();
  } catch (e) {
    thrown = e;
  }
  assert(thrown instanceof PacketTooLarge);
});
