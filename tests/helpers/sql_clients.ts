/**
 * Ways to talk to the CometQL port in tests: a raw MySQL-protocol client that exposes every
 * packet (for wire-format assertions), and runners for the real clients installed on the
 * machine (the `mysql` command-line client and PHP with mysqli/PDO).
 */
import { createHash } from "node:crypto";

/** One reply as a MySQL client sees it. */
export type Reply =
  | { kind: "ok"; affectedRows: number; insertId: number; status: number; warnings: number }
  | { kind: "err"; code: number; sqlState: string; message: string }
  | { kind: "eof"; status: number; warnings: number }
  | {
    kind: "rows";
    columns: { name: string; type: number; length: number }[];
    rows: (string | null)[][];
    /** Status of the final EOF. */
    status: number;
  };

export interface RawPacket {
  seq: number;
  payload: Uint8Array;
}

const te = new TextEncoder();
const td = new TextDecoder();

/** SHA1(pw) XOR SHA1(scramble ‖ SHA1(SHA1(pw))), computed independently of the server code. */
export function nativePasswordToken(password: string, scramble: Uint8Array): Uint8Array {
  if (password === "") return new Uint8Array(0);
  const sha1 = (b: Uint8Array) => new Uint8Array(createHash("sha1").update(b).digest());
  const s1 = sha1(te.encode(password));
  const s2 = sha1(s1);
  const mask = sha1(new Uint8Array([...scramble, ...s2]));
  return s1.map((b, i) => b ^ mask[i]);
}

export function lenenc(n: number): number[] {
  if (n < 251) return [n];
  if (n < 0x10000) return [0xfc, n & 0xff, n >> 8];
  if (n < 0x1000000) return [0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16];
  const out = [0xfe];
  for (let i = 0; i < 8; i++) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return out;
}

export interface LoginOptions {
  user?: string;
  password?: string;
  database?: string;
  /** Plugin name the client announces (e.g. `caching_sha2_password` like MySQL 8). */
  plugin?: string;
  /** Raw auth response to send instead of the native-password token. */
  authResponse?: Uint8Array;
  /** Set CLIENT_MULTI_STATEMENTS (default true, as the mysql CLI does). */
  multiStatements?: boolean;
}

/** A MySQL client with no library in between. */
export class RawMysqlClient {
  private buf = new Uint8Array(0);
  handshake!: {
    version: string;
    connectionId: number;
    capabilities: number;
    scramble: Uint8Array;
    charset: number;
    status: number;
    plugin: string;
  };

  private constructor(readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<RawMysqlClient> {
    const client = new RawMysqlClient(await Deno.connect({ hostname: "127.0.0.1", port }));
    const p = await client.readPacket();
    const b = p.payload;
    let i = 1;
    const nul = b.indexOf(0, i);
    const version = td.decode(b.subarray(i, nul));
    i = nul + 1;
    const dv = new DataView(b.buffer, b.byteOffset);
    const connectionId = dv.getUint32(i, true);
    i += 4;
    const part1 = b.slice(i, i + 8);
    i += 9;
    const capLow = dv.getUint16(i, true);
    const charset = b[i + 2];
    const status = dv.getUint16(i + 3, true);
    const capHigh = dv.getUint16(i + 5, true);
    const authLen = b[i + 7];
    i += 18;
    const part2 = b.slice(i, i + authLen - 9);
    i += authLen - 8;
    const plugin = td.decode(b.subarray(i, b.indexOf(0, i)));
    client.handshake = {
      version,
      connectionId,
      capabilities: capLow | (capHigh << 16),
      scramble: new Uint8Array([...part1, ...part2]),
      charset,
      status,
      plugin,
    };
    return client;
  }

  /** Opens and logs in; resolves with the client and the reply to the login. */
  static async login(port: number, options: LoginOptions = {}): Promise<[RawMysqlClient, Reply]> {
    const client = await RawMysqlClient.open(port);
    return [client, await client.sendLogin(options)];
  }

  async sendLogin(options: LoginOptions): Promise<Reply> {
    const password = options.password ?? "CometQLPassword";
    const flags = 0x0200 | 0x8000 | 0x80000 | 0x20000 |
      (options.multiStatements === false ? 0 : 0x10000) |
      (options.database !== undefined ? 0x8 : 0);
    const auth = options.authResponse ?? nativePasswordToken(password, this.handshake.scramble);
    const body = [
      ...u32(flags),
      ...u32(1 << 24),
      45,
      ...new Uint8Array(23),
      ...te.encode(options.user ?? "root"),
      0,
      auth.length,
      ...auth,
      ...(options.database !== undefined ? [...te.encode(options.database), 0] : []),
      ...te.encode(options.plugin ?? "mysql_native_password"),
      0,
    ];
    await this.write(new Uint8Array(body), 1);
    let reply = await this.readPacket();
    if (reply.payload[0] === 0xfe && reply.payload.length > 1) {
      // AuthSwitchRequest: answer with the native-password token for the new scramble.
      const nul = reply.payload.indexOf(0, 1);
      const scramble = reply.payload.slice(nul + 1, nul + 21);
      await this.write(nativePasswordToken(password, scramble), reply.seq + 1);
      reply = await this.readPacket();
    }
    return parseSimple(reply.payload);
  }

  /** Writes one packet (payload < 16 MiB). */
  async write(payload: Uint8Array, seq = 0): Promise<void> {
    const packet = new Uint8Array(4 + payload.length);
    packet.set([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, seq]);
    packet.set(payload, 4);
    await this.writeRaw(packet);
  }

  async writeRaw(bytes: Uint8Array): Promise<void> {
    let rest = bytes;
    while (rest.length > 0) rest = rest.subarray(await this.conn.write(rest));
  }

  /** Command byte + text. */
  command(cmd: number, text: string | Uint8Array = ""): Promise<void> {
    const body = typeof text === "string" ? te.encode(text) : text;
    return this.write(new Uint8Array([cmd, ...body]));
  }

  async readPacket(): Promise<RawPacket> {
    for (;;) {
      if (this.buf.length >= 4) {
        const size = this.buf[0] | (this.buf[1] << 8) | (this.buf[2] << 16);
        if (this.buf.length >= 4 + size) {
          const packet = { seq: this.buf[3], payload: this.buf.slice(4, 4 + size) };
          this.buf = this.buf.slice(4 + size);
          return packet;
        }
      }
      const chunk = new Uint8Array(65536);
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("connection closed by server");
      const joined = new Uint8Array(this.buf.length + n);
      joined.set(this.buf);
      joined.set(chunk.subarray(0, n), this.buf.length);
      this.buf = joined;
    }
  }

  /** Resolves true once the server closed the connection (within `ms`). */
  async closedByServer(ms = 2000): Promise<boolean> {
    const timer = setTimeout(() => this.conn.close(), ms);
    try {
      for (;;) await this.readPacket();
    } catch {
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads one reply: OK, ERR, EOF, or a whole text result set. */
  async readReply(): Promise<Reply> {
    const first = await this.readPacket();
    const p = first.payload;
    if (p[0] === 0x00 || p[0] === 0xff || (p[0] === 0xfe && p.length < 9)) return parseSimple(p);
    const r = new Reader(p);
    const count = r.lenenc();
    const columns: { name: string; type: number; length: number }[] = [];
    for (let i = 0; i < count; i++) {
      const c = new Reader((await this.readPacket()).payload);
      c.str();
      c.str();
      c.str();
      c.str();
      const name = c.str();
      c.str();
      c.pos += 3; // length of the fixed fields, character set
      const length = c.u16() + c.u16() * 0x10000;
      columns.push({ name, type: c.bytes[c.pos], length });
    }
    await this.readPacket(); // EOF
    const rows: (string | null)[][] = [];
    for (;;) {
      const row = (await this.readPacket()).payload;
      if (row[0] === 0xfe && row.length < 9) {
        return { kind: "rows", columns, rows, status: row[3] | (row[4] << 8) };
      }
      const rr = new Reader(row);
      rows.push(columns.map(() => rr.nullableStr()));
    }
  }

  /** COM_QUERY, then every result (following SERVER_MORE_RESULTS_EXISTS). */
  async query(sql: string): Promise<Reply[]> {
    await this.command(0x03, sql);
    const replies: Reply[] = [];
    for (;;) {
      const reply = await this.readReply();
      replies.push(reply);
      if (reply.kind === "err" || !("status" in reply) || !(reply.status & 0x0008)) return replies;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

export class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  u8(): number {
    return this.bytes[this.pos++];
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  lenenc(): number {
    const f = this.u8();
    if (f < 251) return f;
    if (f === 0xfc) return this.u16();
    if (f === 0xfd) return this.u16() | (this.u8() << 16);
    let n = 0;
    for (let i = 0; i < 8; i++) n += this.u8() * 2 ** (8 * i);
    return n;
  }
  str(): string {
    const n = this.lenenc();
    const s = td.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  nullableStr(): string | null {
    if (this.bytes[this.pos] === 0xfb) {
      this.pos++;
      return null;
    }
    return this.str();
  }
}

export function parseSimple(p: Uint8Array): Reply {
  const r = new Reader(p);
  const head = r.u8();
  if (head === 0x00) {
    const affectedRows = r.lenenc();
    const insertId = r.lenenc();
    return { kind: "ok", affectedRows, insertId, status: r.u16(), warnings: r.u16() };
  }
  if (head === 0xff) {
    const code = r.u16();
    const marker = String.fromCharCode(r.u8());
    const sqlState = td.decode(p.subarray(r.pos, r.pos + 5));
    if (marker !== "#") throw new Error("ERR without SQLSTATE marker");
    return { kind: "err", code, sqlState, message: td.decode(p.subarray(r.pos + 5)) };
  }
  if (head === 0xfe) return { kind: "eof", warnings: r.u16(), status: r.u16() };
  throw new Error(`unexpected packet header 0x${head.toString(16)}`);
}

/** Runs the `mysql` command-line client (MariaDB's) in batch mode against the CometQL port. */
export async function runMysqlCli(
  port: number,
  sql: string,
  extraArgs: string[] = [],
  password = "CometQLPassword",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("mysql", {
    args: [
      "-h",
      "127.0.0.1",
      "-P",
      String(port),
      "-u",
      "root",
      `-p${password}`,
      ...extraArgs,
      "-e",
      sql,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

/** Runs a PHP snippet (without `<?php`); resolves with its standard output. */
export async function runPhp(code: string): Promise<string> {
  const out = await new Deno.Command("php", {
    args: ["-d", "display_errors=stderr", "-r", code],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stderr = td.decode(out.stderr);
  if (out.code !== 0) throw new Error(`php exited with ${out.code}: ${stderr}`);
  return td.decode(out.stdout);
}

/**
 * The SQLSTATE MySQL sends for each class of CometQL error (docs/cometql.md, "Errors and
 * SQLSTATE"), written out here from MySQL's own error list rather than imported from the server.
 */
export function expectedSqlState(code: number, message: string): string {
  const byMessage: Record<string, string> = {
    "Unknown command": "08S01",
    "Malformed packet": "08S01",
    "Error in columns list": "21S01",
    "The id field must be non-negative": "22003",
    "The id field must be at most 2147483647": "22003",
    "Select database failure": "42000",
    "Unknown prepared statement handler": "HY000",
    "Data is too short": "42000",
    "Prepared statements hold one statement only": "42000",
  };
  if (byMessage[message]) return byMessage[message];
  if (/^field `.*` is required$/.test(message)) return "23000";
  if (/^Each column in the .* used only once$/.test(message)) return "42000";
  if (message.startsWith("Unknown system variable")) return "HY000";
  if (/^FUNCTION .* does not exist$/.test(message)) return "42000";
  const byCode: Record<number, string> = {
    2: "42000",
    3: "42000",
    11: "22001",
    14: "42S22",
    15: "42S02",
    16: "28000",
    403: "28000",
  };
  return byCode[code] ?? "HY000";
}

/**
 * Runs a Python 3 script (the `python3` on PATH, where .ci/run installs PyMySQL and
 * mysql-connector-python) with `args`; resolves with its standard output.
 */
export async function runPython(code: string, args: string[] = []): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stderr = td.decode(out.stderr);
  if (out.code !== 0) throw new Error(`python3 exited with ${out.code}: ${stderr}`);
  return td.decode(out.stdout);
}
