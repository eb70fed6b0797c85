/** The storage conformance suite against the embedded SQLite driver (a fresh file per test). */
import { SqliteStorage } from "../src/storage/sqlite_storage.ts";
import type { RetentionLimits } from "../src/storage/storage.ts";
import { storageConformance } from "./storage_conformance.ts";

storageConformance("sqlite", async (limits: RetentionLimits) => {
  const dir = await Deno.makeTempDir({ prefix: "comet-sqlite-test-" });
  // A directory that does not exist yet: the driver creates it.
  const options = { file: `${dir}/data/comet.sqlite`, limits, busyTimeoutMs: 1000 };
  return {
    create: () => new SqliteStorage(options),
    destroy: () => Deno.remove(dir, { recursive: true }),
  };
});
