/**
 * The error a cluster engine gives when it cannot do what a caller needs (Redis unreachable, a
 * command timed out). Callers that answer a client turn it into a clear refusal: a CometQL write
 * that needs the other nodes is never acknowledged while they cannot be reached.
 */
export class ClusterUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ClusterUnavailableError";
  }
}

/** Redis cannot be reached now: nothing was sent. */
export function redisUnreachable(): ClusterUnavailableError {
  return new ClusterUnavailableError("Redis is not reachable");
}

/** A Redis command failed (or timed out) with `e`. */
export function redisFailed(e: unknown): ClusterUnavailableError {
  return new ClusterUnavailableError(`Redis: ${(e as Error)?.message ?? e}`, { cause: e });
}
