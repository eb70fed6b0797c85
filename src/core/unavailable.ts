/**
 * Which failures mean "a backend the core depends on is unavailable" (storage or the cluster),
 * so transports can answer them with a clear error without importing storage or cluster code.
 */
import { ClusterUnavailableError } from "../cluster/cluster_error.ts";
import { StorageError } from "../storage/storage.ts";

export interface Unavailable {
  /** What is down, as shown to clients. */
  service: "Storage" | "Cluster";
  detail: string;
}

/** The unavailable backend behind `e`, or undefined for any other failure (a bug). */
export function unavailableBackend(e: unknown): Unavailable | undefined {
  if (e instanceof StorageError) return { service: "Storage", detail: e.message };
  if (e instanceof ClusterUnavailableError) return { service: "Cluster", detail: e.message };
  return undefined;
}
