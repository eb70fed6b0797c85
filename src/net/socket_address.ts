/**
 * Socket addresses for the libc transport (libc_listener.ts, libc_socket.ts): `struct sockaddr_in`
 * / `sockaddr_in6` from an IP literal, and IPv6 text written the way node:net writes it (RFC 5952:
 * the longest run of zero groups becomes `::`).
 */

export const AF_INET = 2, AF_INET6 = 10;

/** sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) for an IP literal and a port. */
export function encodeAddress(family: number, ip: string, port: number): Uint8Array {
  const bytes = new Uint8Array(family === AF_INET6 ? 28 : 16);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, family, true);
  view.setUint16(2, port, false);
  if (family === AF_INET) {
    ip.split(".").forEach((part, i) => bytes[4 + i] = Number(part));
  } else {
    const groups = expandIpv6(ip);
    groups.forEach((g, i) => view.setUint16(8 + 2 * i, g, false));
  }
  return bytes;
}

/** The eight 16-bit groups of an IPv6 literal (with `::` and a dotted IPv4 tail). */
function expandIpv6(ip: string): number[] {
  let text = ip.replace(/%.*$/, "");
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16));
}

/** IPv6 text of eight 16-bit groups. */
export function compressIpv6(groups: number[]): string {
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}
