import assert from "node:assert/strict";
import { AF_INET, AF_INET6, compressIpv6, encodeAddress } from "../src/net/socket_address.ts";

Deno.test("sockaddr bytes for IPv4 and IPv6 literals", () => {
  assert.deepEqual(
    [...encodeAddress(AF_INET, "127.0.0.1", 8087)],
    [2, 0, 0x1f, 0x97, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  const v6 = encodeAddress(AF_INET6, "2001:db8::ff00:42", 3307);
  assert.equal(v6.length, 28);
  assert.deepEqual([...v6.subarray(0, 4)], [10, 0, 0x0c, 0xeb]);
  assert.deepEqual(
    [...v6.subarray(8, 24)],
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0, 0x42],
  );
  const mapped = encodeAddress(AF_INET6, "::ffff:10.1.2.3", 1);
  assert.deepEqual([...mapped.subarray(18, 24)], [0xff, 0xff, 10, 1, 2, 3]);
  assert.deepEqual([...encodeAddress(AF_INET6, "::", 1).subarray(8, 24)], Array(16).fill(0));
});

Deno.test("IPv6 text as node:net writes it", () => {
  assert.equal(compressIpv6([0, 0, 0, 0, 0, 0, 0, 1]), "::1");
  assert.equal(compressIpv6([0, 0, 0, 0, 0, 0, 0, 0]), "::");
  assert.equal(compressIpv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), "2001:db8::1:0:0:1");
  assert.equal(compressIpv6([0x2001, 0xdb8, 1, 2, 3, 4, 5, 6]), "2001:db8:1:2:3:4:5:6");
  assert.equal(compressIpv6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), "fe80::");
  assert.equal(compressIpv6([1, 0, 2, 3, 4, 5, 6, 7]), "1:0:2:3:4:5:6:7"); // one zero group stays
});
