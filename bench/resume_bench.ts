/**
 * Resuming many clients at once (docs/protocol/recovery.md): N WebSocket clients subscribe a pipe
 * with `resume` and disconnect; M messages are published over CometQL; then all N reconnect at
 * once and resume from the position they had. Prints the time until every client has its M
 * replayed messages and the `recovered` outcome — from the first connect, and from the moment
 * all were connected (the resume commands alone). Loopback only, bounded in count.
 *
 *   deno run -A bench/resume_bench.ts [--clients=1000] [--missed=100] [--size=100] [--no-pin]
 *
 * The server runs in a child process (this file with --serve=CONF), pinned to CPU 0 and the
 * clients to CPU 1 when `taskset` exists, as bench/ws_fanout_bench.ts does.
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import mysql from "mysql2/promise";

const arg = (name: string, def: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def);
const serveConf = Deno.args.find((a) => a.startsWith("--serve="))?.slice(8);
const PASSWORD = "BenchPassword";
const PIPE = "web_bench_resume";

async function serve(confPath: string): Promise<void> {
  const { loadConfig } = await import("../src/config/config.ts");
  const { Logger } = await import("../src/log.ts");
  const { startServer } = await import("../src/server.ts");
  const config = await loadConfig(confPath);
  const server = await startServer(config, new Logger(config.log.level, config.log.tags));
  console.log(JSON.stringify({ wsPort: server.wsPort, qlPort: server.qlPort }));
  for await (const _ of Deno.stdin.readable) { /* runs until stdin closes */ }
  await server.stop();
  Deno.exit(0);
}

/** A minimal WebSocket client: handshake, masked text frames out, unmasked frames in. */
class ResumeClient {
  socket!: net.Socket;
  private buf: Buffer | null = null;
  private headDone = false;
  replayed = 0;
  outcome: Record<string, unknown> | undefined;
  private onOutcome: (() => void) | undefined;
  private onReady: (() => void) | undefined;

  connect(port: number): Promise<void> {
    return new Promise((ready) => {
      this.onReady = ready;
      this.headDone = false;
      this.buf = null;
      this.socket = net.connect(port, "127.0.0.1", () => {
        this.socket.write(
          `GET /ws/sesion=x&myid=0&devid=0&v=5.0&uuid=${"b".repeat(32)}&api=js HTTP/1.1\r\n` +
            "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        );
      });
      this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
      this.socket.on("error", () => {});
    });
  }

  /** Sends `resume` and resolves once the outcome for the pipe arrived. */
  resume(line: string): Promise<void> {
    this.replayed = 0;
    this.outcome = undefined;
    return new Promise((done) => {
      this.onOutcome = done;
      this.socket.write(maskedText(`resume\n${line}`));
    });
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.socket.once("close", () => r());
      this.socket.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.headDone) {
      const end = buf.indexOf("\r\n\r\n");
      if (end === -1) {
        this.buf = buf;
        return;
      }
      this.headDone = true;
      buf = buf.subarray(end + 4);
    }
    let pos = 0;
    while (buf.length - pos >= 2) {
      let len = buf[pos + 1] & 0x7f;
      let start = pos + 2;
      if (len === 126) {
        if (buf.length - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        start = pos + 4;
      }
      if (buf.length < start + len) break;
      this.onFrame(buf.toString("utf8", start, start + len));
      pos = start + len;
    }
    this.buf = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
  }

  private onFrame(text: string): void {
    for (const line of text.split("\n")) {
      const m = JSON.parse(line);
      if (m.event === "serverInfo") this.onReady?.();
      else if (m.recovered === true) this.replayed++;
      else if (m.pipe === "_recovery") {
        this.outcome = m;
        this.onOutcome?.();
      }
    }
  }
}

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const frame = Buffer.alloc(2 + (payload.length >= 126 ? 2 : 0) + 4 + payload.length);
  frame[0] = 0x81;
  let at = 2;
  if (payload.length >= 126) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
    at = 4;
  } else {
    frame[1] = 0x80 | payload.length;
  }
  at += 4; // mask 0,0,0,0
  payload.copy(frame, at);
  return frame;
}

async function bench(): Promise<void> {
  const clients = arg("clients", 1000);
  const missed = arg("missed", 100);
  const size = arg("size", 100);
  const pin = !Deno.args.includes("--no-pin") && await hasTaskset();
  const dir = await Deno.makeTempDir({ prefix: "comet-bench-" });
  const conf = `${dir}/comet.conf`;
  await Deno.writeTextFile(
    conf,
    `[main]\npassword = ${PASSWORD}\nnode_name = bench\n[db]\nfile = ${dir}/comet.sqlite\n` +
      `[ws]\nip = 127.0.0.1\nport = 0\n[cometql]\nip = 127.0.0.1\nport = 0\n` +
      `[admin]\nport = 0\n[log]\nlevel = 300\n`,
  );
  const denoArgs = ["run", "-A", new URL(import.meta.url).pathname, `--serve=${conf}`];
  const child = new Deno.Command(pin ? "taskset" : Deno.execPath(), {
    args: pin ? ["-c", "0", Deno.execPath(), ...denoArgs] : denoArgs,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  if (pin) {
    await new Deno.Command("taskset", { args: ["-p", "-c", "1", String(Deno.pid)] }).output();
  }
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { wsPort, qlPort } = JSON.parse((await reader.read()).value!);

  const all = Array.from({ length: clients }, () => new ResumeClient());
  await Promise.all(all.map((c) => c.connect(wsPort)));
  await Promise.all(all.map((c) => c.resume(PIPE)));
  const at = all[0].outcome!.data as { epoch: string; offset: number };
  await Promise.all(all.map((c) => c.close()));

  const ql = await mysql.createConnection({
    host: "127.0.0.1",
    port: qlPort,
    user: "root",
    password: PASSWORD,
    database: "CometQL_v1",
  });
  const body = "x".repeat(size);
  for (let i = 0; i < missed; i++) {
    await ql.query("INSERT INTO pipes_messages (name, event, message) VALUES (?, 'n', ?)", [
      PIPE,
      body,
    ]);
  }
  await ql.end();

  const line = `${PIPE} ${at.epoch} ${at.offset}`;
  const t0 = performance.now();
  await Promise.all(all.map((c) => c.connect(wsPort)));
  const t1 = performance.now();
  await Promise.all(all.map((c) => c.resume(line)));
  const t2 = performance.now();
  const complete = all.filter((c) => c.replayed === missed && c.outcome?.event === "recovered");
  console.log(
    `${clients} clients × ${missed} missed messages of ${size} B: ` +
      `${complete.length}/${clients} fully recovered; ` +
      `connect ${(t1 - t0).toFixed(0)} ms + resume ${(t2 - t1).toFixed(0)} ms = ` +
      `${(t2 - t0).toFixed(0)} ms (${((clients * missed) / ((t2 - t1) / 1000)).toFixed(0)} ` +
      `replayed frames/s)`,
  );
  await Promise.all(all.map((c) => c.close()));
  const writer = child.stdin.getWriter();
  await writer.close();
  await child.status;
  await Deno.remove(dir, { recursive: true });
}

async function hasTaskset(): Promise<boolean> {
  try {
    return (await new Deno.Command("taskset", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

if (serveConf) await serve(serveConf);
else await bench();
