/**
 * Which storage several nodes may share (README "Scaling out"): nodes on several hosts share
 * one MySQL; processes on one host may share one SQLite file (WAL, busy timeout). Any other mix
 * would split the history and the offline queues between nodes that believe they are one
 * server, so a node that finds such a mix among the live nodes refuses to start.
 */
export interface NodeIdentity {
  /** `Deno.hostname()`. */
  host: string;
  /** `sqlite:<absolute path>` or `mysql://<host>:<port>/<db>`. */
  storage: string;
}

/** Why `mine` cannot join the nodes already live, or undefined when it can. */
export function storageConflict(mine: NodeIdentity, others: NodeIdentity[]): string | undefined {
  for (const other of others) {
    if (other.storage === mine.storage) {
      if (!mine.storage.startsWith("sqlite:") || other.host === mine.host) continue;
      return `node on host ${other.host} uses the same SQLite path on another machine: ` +
        `a SQLite file can only be shared by processes on one host; use a shared MySQL ([db] host)`;
    }
    return `another live node (host ${other.host}) uses storage ${other.storage}, this one ` +
      `${mine.storage}: all nodes on one Redis must share one storage (one MySQL for several ` +
      `hosts, or one SQLite file for processes on one host)`;
  }
  return undefined;
}
