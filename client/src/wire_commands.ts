/// <reference lib="dom" />
/**
 * Browser → server command texts (docs/protocol/websocket.md §3). Each is sent as one text frame;
 * the separator is always `\n`.
 */

/** §3.2: publish `body` (already JSON text) to a `web_`/`webauth_`/`@web_` pipe. */
export function webPipeCommand(pipe: string, event: string, body: string): string {
  return `web_pipe2\n${pipe}\n${event}\n*\n${body}`;
}

/** §3.3: history of a pipe; the entries come back carrying `marker` and `history:true`. */
export function pipeLogCommand(pipe: string, marker: string): string {
  return `pipe_log\n${pipe}\n${marker}\n`;
}

/** §3.4: number of subscribed connections of a `web_`/`track_` pipe. */
export function pipeCountCommand(pipe: string, marker: string): string {
  return `pipe_count\n${pipe}\n${marker}\n`;
}

/** §3.5: the subscribers of a `track_` pipe. */
export function trackPipeUsersCommand(pipe: string, marker: string): string {
  return `track_pipe_users\n${pipe}\n${marker}`;
}

/** §3.6: a user's stored profile string. Note the order: marker first. */
export function userDataCommand(marker: string, userId: string): string {
  return `user_data\n${marker}\n${userId}`;
}

/** §3.8: accepted and ignored by the server; kept because the original API exposes it. */
export function statisticsCommand(stats: unknown): string {
  return `statistics\n${JSON.stringify(stats)}`;
}

/**
 * Names the server's checker accepts (docs/protocol/websocket.md §3.0): `A-Za-z0-9_-`, at most 64
 * here.
 */
export function isValidName(name: string, maxLength = 64): boolean {
  return name.length <= maxLength && /^[A-Za-z0-9_-]*$/.test(name);
}

/**
 * Our server's `subscription` with positions (docs/protocol/recovery.md §3): the same complete
 * list, each pipe followed by the last position seen on it, so the server replays what was
 * missed before live messages.
 */
export function resumeCommand(
  pipes: readonly string[],
  positionOf: (pipe: string) => { epoch: string; offset: number } | undefined,
): string {
  const lines = pipes.map((pipe) => {
    const at = positionOf(pipe);
    return at ? `${pipe} ${at.epoch} ${at.offset}` : pipe;
  });
  return `resume\n${lines.join("\n")}`;
}
