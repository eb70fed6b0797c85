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
