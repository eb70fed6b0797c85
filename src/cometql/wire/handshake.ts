/**
 * Connection phase (docs/protocol/cometql.md §2.2–§2.3): HandshakeV10, HandshakeResponse41,
 * mysql_native_password, and the AuthSwitchRequest we add for clients that start with another
 * plugin (MySQL 8's caching_sha2_password) — docs/compatibility.md point 2.
 */
import {
  AUTH_PLUGIN,
  Capability,
  CHARSET_UTF8MB4,
  SERVER_CAPABILITIES,
  ServerStatus,
} from "./mysql_constants.ts";
import { HANDSHAKE_VERSION } from "../execution/server_variables.ts";
import { encodeUtf8, MalformedPacket, PayloadReader, type WireWriter } from "./wire_buffer.ts";

export const SCRAMBLE_LENGTH = 20;

/**
 * 20 fresh bytes in 0x01–0x7F: never NUL, so clients that read part 2 as a C string are safe
 * (docs/protocol/cometql.md §2.2; the original used 0x00–0xFD).
 */
export function makeScramble(): Uint8Array {
  const s = crypto.getRandomValues(new Uint8Array(SCRAMBLE_LENGTH));
  for (let i = 0; i < s.length; i++) s[i] = (s[i] % 0x7f) + 1;
  return s;
}

/** Protocol::HandshakeV10, sequence id 0 (docs/protocol/cometql.md §2.2). */
export function writeHandshake(w: WireWriter, connectionId: number, scramble: Uint8Array): void {
  w.beginPacket();
  w.u8(0x0a);
  w.textNul(HANDSHAKE_VERSION);
  w.u32(connectionId);
  w.raw(scramble.subarray(0, 8));
  w.u8(0);
  w.u16(SERVER_CAPABILITIES & 0xffff);
  w.u8(CHARSET_UTF8MB4);
  w.u16(ServerStatus.AUTOCOMMIT);
  w.u16(SERVER_CAPABILITIES >>> 16);
  w.u8(SCRAMBLE_LENGTH + 1);
  w.raw(new Uint8Array(10));
  w.raw(scramble.subarray(8));
  w.u8(0);
  w.textNul(AUTH_PLUGIN);
  w.endPacket();
}

/** Protocol::AuthSwitchRequest: "use mysql_native_password with this scramble". */
export function writeAuthSwitch(w: WireWriter, scramble: Uint8Array): void {
  w.beginPacket();
  w.u8(0xfe);
  w.textNul(AUTH_PLUGIN);
  w.raw(scramble);
  w.u8(0);
  w.endPacket();
}

export interface HandshakeResponse {
  readonly capabilities: number;
  /** A 32-byte SSLRequest: the client wants TLS, which we do not offer. */
  readonly sslRequest: boolean;
  readonly user: string;
  readonly authResponse: Uint8Array;
  /** Only when the client set CONNECT_WITH_DB. */
  readonly database?: string;
  /** Only when the client set PLUGIN_AUTH. */
  readonly plugin?: string;
}

/**
 * Parses HandshakeResponse41 (docs/protocol/cometql.md §2.3); throws MalformedPacket when fields
 * are missing.
 */
export function parseHandshakeResponse(payload: Uint8Array): HandshakeResponse {
  const r = new PayloadReader(payload);
  const capabilities = r.u32("client flags");
  if (!(capabilities & Capability.PROTOCOL_41)) throw new MalformedPacket("pre-4.1 client");
  r.u32("max packet");
  r.u8("charset");
  r.bytesN(23, "reserved");
  if (r.remaining === 0 && capabilities & Capability.SSL) {
    return { capabilities, sslRequest: true, user: "", authResponse: new Uint8Array(0) };
  }
  r.need(1, "user name");
  const user = r.textNul();
  let authResponse: Uint8Array;
  if (capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    authResponse = r.bytesN(r.lenenc("auth length"), "auth data");
  } else if (capabilities & Capability.SECURE_CONNECTION) {
    authResponse = r.bytesN(r.u8("auth length"), "auth data");
  } else {
    authResponse = r.bytesNul();
  }
  let database: string | undefined;
  if (capabilities & Capability.CONNECT_WITH_DB && r.remaining > 0) database = r.textNul();
  let plugin: string | undefined;
  if (capabilities & Capability.PLUGIN_AUTH && r.remaining > 0) plugin = r.textNul();
  return { capabilities, sslRequest: false, user, authResponse, database, plugin };
}

async function sha1(...parts: Uint8Array[]): Promise<Uint8Array> {
  let size = 0;
  for (const p of parts) size += p.length;
  const joined = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-1", joined));
}

/**
 * mysql_native_password (docs/protocol/cometql.md §2.3): the client sends SHA1(pw) XOR
 * SHA1(scramble ‖ SHA1(SHA1(pw))). An empty password is an empty response (so it matches only an
 * empty configured password).
 */
export async function nativePasswordMatches(
  password: string,
  scramble: Uint8Array,
  response: Uint8Array,
): Promise<boolean> {
  if (password === "") return response.length === 0;
  if (response.length !== SCRAMBLE_LENGTH) return false;
  const stage1 = await sha1(encodeUtf8(password));
  const stage2 = await sha1(stage1);
  const mask = await sha1(scramble, stage2);
  let diff = 0;
  for (let i = 0; i < SCRAMBLE_LENGTH; i++) diff |= (stage1[i] ^ mask[i]) ^ response[i];
  return diff === 0;
}

/**
 * Whether to ask the client to redo the login with mysql_native_password: it named another
 * plugin, or sent a response that cannot be a native-password answer for this password
 * (MySQL 8 sends 32 bytes; some clients send nothing until asked).
 */
export function needsAuthSwitch(response: HandshakeResponse, password: string): boolean {
  if (response.plugin !== undefined && response.plugin !== AUTH_PLUGIN) return true;
  const n = response.authResponse.length;
  return n === 0 ? password !== "" : n !== SCRAMBLE_LENGTH;
}
