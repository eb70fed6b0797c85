/**
 * Runs the server as a separate process (`deno run -A main.ts --conf FILE`, or a bundled build)
 * for tests of what only a process has: exit codes, signals, pidfile, restarts on the same data.
 * Ports are ephemeral; they are read back from the server's `listening:` log line.
 */

/** The V8 flags `deno task start` and `deno task compile` give the server (see README). */
export const SERVER_V8_FLAGS = "--v8-flags=--max-semi-space-size=2";
export const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;

export interface CometProcess {
  pid: number;
  wsPort: number;
  qlPort: number;
  /** 0 when the admin port is off. */
  adminPort: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: Deno.Signal): void;
  /** The exit status; rejects if the process is still running after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<Deno.CommandStatus>;
  /** SIGKILL if still running (test cleanup). */
  dispose(): Promise<void>;
}

export async function spawnComet(
  confPath: string,
  options: {
    /** What to run instead of main.ts, e.g. a bundled build. */
    script?: string;
    cwd?: string;
    env?: Record<string, string>;
    startTimeoutMs?: number;
    /** The process's open-file limit (`ulimit -n`), for tests of running out of descriptors. */
    nofile?: number;
  } = {},
): Promise<CometProcess> {
  const args = ["run", "-A", SERVER_V8_FLAGS, options.script ?? MAIN_TS, "--conf", confPath];
  // `exec` keeps the pid: signals reach the server itself.
  const command = options.nofile === undefined
    ? [Deno.execPath(), ...args]
    : ["sh", "-c", `ulimit -n ${options.nofile} && exec "$0" "$@"`, Deno.execPath(), ...args];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: options.env,
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let status: Deno.CommandStatus | undefined;
  const statusPromise = child.status.then(async (s) => {
    await pumped;
    status = s;
    return s;
  });

  const waitForOutput = async (pattern: RegExp, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(text)) {
      if (status) throw new Error(`exited (${status.code}) before ${pattern}:\n${text}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const exited = async (timeoutMs = 15_000) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms:\n${text}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([statusPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const kill = (signal: Deno.Signal) => {
    if (!status) child.kill(signal);
  };

  try {
    await waitForOutput(/listening: .*\n/, options.startTimeoutMs ?? 30_000);
  } catch (e) {
    kill("SIGKILL");
    await statusPromise;
    throw e;
  }
  const m = /listening: ws [^\s,]+:(\d+), cometql [^\s,]+:(\d+)(?:, admin [^\s,]+:(\d+))?/.exec(
    text,
  )!;
  return {
    pid: child.pid,
    wsPort: Number(m[1]),
    qlPort: Number(m[2]),
    adminPort: Number(m[3] ?? 0),
    output: () => text,
    waitForOutput,
    kill,
    exited,
    dispose: async () => {
      kill("SIGKILL");
      await statusPromise;
    },
  };
}

/** A port that was free a moment ago (for listeners whose port 0 means "off"). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
