/** docs/protocol/websocket.md §1.2 (URL by position) and §1.4 (handshake error texts). */
import { assertEquals } from "./helpers/assert.ts";
import { WireFormat } from "../src/core/wire_format.ts";
import { parseWsUrl } from "../src/ws/ws_url.ts";

/**
 * The error texts of docs/protocol/websocket.md §1.4, byte for byte (the 418 one ends in a newline
 * inside the text).
 */
const NO_KEY = "Error code 401(Invalid request, session ID not found)";
const NO_USER_ID = "Error code 401(Invalid request, the user ID can not be found)";
const NO_DEV_ID = "Error code 406(Invalid request, no public key found [1])";
const NO_VERSION = "Error code 418(Invalid request Not assigned client api version)\n";

const UUID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
const parse = (target: string) => parseWsUrl(target, 100000);

Deno.test("§1.2: the original client's URL", () => {
  assertEquals(parse(`/comet-server/ws/sesion=Tq9wZ3&myid=42&devid=0&v=4.08&uuid=${UUID}&api=js`), {
    key: "Tq9wZ3",
    userId: 42,
    devId: 0,
    major: 4,
    minor: 8,
    format: WireFormat.Original,
    uuid: UUID,
  });
});

Deno.test("§1.2: parameter names are not checked, positions are", () => {
  const r = parse(`/ws/xxxxxx=K&abcd=7&efghi=3&w=5.1&uuid=${UUID}`);
  assertEquals(r, {
    key: "K",
    userId: 7,
    devId: 3,
    major: 5,
    minor: 1,
    format: WireFormat.Clean,
    uuid: UUID,
  });
});

Deno.test("§1.2: anonymous forms of myid become 0", () => {
  for (const myid of ["undefined", "-5", "", "12abc", "1234567890"]) {
    const r = parse(`/ws/sesion=undefined&myid=${myid}&devid=0&v=4.08&api=js`);
    assertEquals("code" in r ? -1 : r.userId, 0, myid);
  }
  const r = parse("/ws/sesion=k&myid=000000000123&devid=0&v=4.08&api=js");
  assertEquals("code" in r ? -1 : r.userId, 123);
});

Deno.test("§1.2: devid above dev_index_size or invalid → 0", () => {
  const dev = (d: string) => {
    const r = parseWsUrl(`/ws/sesion=k&myid=1&devid=${d}&v=4.08&api=js`, 100);
    return "code" in r ? -1 : r.devId;
  };
  assertEquals(dev("100"), 100);
  assertEquals(dev("101"), 0);
  assertEquals(dev("abc"), 0);
  assertEquals(dev(""), 0);
});

Deno.test("§1.2/§4.1: MAJOR chooses the wire format", () => {
  const fmt = (v: string) => {
    const r = parse(`/ws/sesion=k&myid=1&devid=0&v=${v}&api=js`);
    return "code" in r ? r.code : r.format;
  };
  assertEquals(fmt("3.9"), WireFormat.Legacy);
  assertEquals(fmt("4.08"), WireFormat.Original);
  assertEquals(fmt("004.08"), WireFormat.Original);
  assertEquals(fmt("5.0"), WireFormat.Clean);
});

Deno.test("§1.2 [BUG] fix: a short uuid stops at & or space, a long one is cut at 32", () => {
  const uuid = (tail: string) => {
    const r = parse(`/ws/sesion=k&myid=1&devid=0&v=4.08&${tail}`);
    return "code" in r ? "error" : r.uuid;
  };
  assertEquals(uuid("uuid=abc&api=js"), "abc");
  assertEquals(uuid("uuid=abc HTTP/1.1"), "abc");
  assertEquals(uuid(`uuid=${UUID}EXTRA`), UUID);
  assertEquals(uuid("api=js&uuid=abc"), "", "uuid= must directly follow the 4th &");
  assertEquals(uuid("uuid="), "");
});

Deno.test("§1.4: the error cases with their exact texts and formats", () => {
  const legacy = WireFormat.Legacy;
  assertEquals(parse("/ws/"), { code: 401, text: NO_KEY, format: legacy });
  assertEquals(parse("/ws/sesion=abc"), { code: 401, text: NO_USER_ID, format: legacy });
  assertEquals(parse("/ws/sesion=abc&myid=1"), {
    code: 406,
    text: NO_DEV_ID,
    format: legacy,
  });
  assertEquals(parse("/ws/sesion=abc&myid=1&devid=0"), {
    code: 418,
    text: NO_VERSION,
    format: legacy,
  });
  assertEquals(parse("/ws/sesion=abc&myid=1&devid=0&v=4&api=js"), {
    code: 418,
    text: NO_VERSION,
    format: legacy,
  });
  assertEquals(parse("/ws/sesion=abc&myid=1&devid=0&v=4.x&api=js"), {
    code: 418,
    text: NO_VERSION,
    format: WireFormat.Original,
  });
  assertEquals(parse("/ws/sesion=abc&myid=1&devid=0&v=x.1&api=js"), {
    code: 418,
    text: NO_VERSION,
    format: legacy,
  });
});

Deno.test("§1.2: MINOR may end the URL (compat difference: the original wanted another &)", () => {
  const r = parse("/ws/sesion=abc&myid=1&devid=0&v=4.08");
  assertEquals("code" in r ? r.code : r.minor, 8);
});

Deno.test("§1.2: keys of 600 bytes or more are refused", () => {
  const ok = parse(`/ws/sesion=${"a".repeat(599)}&myid=1&devid=0&v=4.08&api=js`);
  assertEquals("code" in ok ? ok.code : ok.key.length, 599);
  const long = parse(`/ws/sesion=${"a".repeat(600)}&myid=1&devid=0&v=4.08&api=js`);
  assertEquals(long, { code: 401, text: NO_KEY, format: WireFormat.Legacy });
});

Deno.test("§1.2: the `=` must be within the first 2000 bytes", () => {
  const r = parse(`/ws/${"x".repeat(2000)}sesion=k&myid=1&devid=0&v=4.08&api=js`);
  assertEquals("code" in r ? r.code : 0, 401);
});
