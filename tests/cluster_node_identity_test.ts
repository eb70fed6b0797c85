/** Which storage combinations nodes on one Redis may use (README "Scaling out"). */
import assert from "node:assert/strict";
import { storageConflict } from "../src/cluster/node_identity.ts";

const sqlite = (host: string, path = "/var/lib/comet/comet.sqlite") => ({
  host,
  storage: `sqlite:${path}`,
});
const mysql = (host: string, db = "mysql://db.example:3306/comet_db") => ({ host, storage: db });

Deno.test("supported: one SQLite file on one host; one MySQL for several hosts", () => {
  assert.equal(storageConflict(sqlite("a"), [sqlite("a"), sqlite("a")]), undefined);
  assert.equal(storageConflict(mysql("a"), [mysql("b"), mysql("c")]), undefined);
  assert.equal(storageConflict(sqlite("a"), []), undefined);
});

Deno.test("refused: SQLite across hosts, different files, different databases, mixes", () => {
  assert.match(
    storageConflict(sqlite("a"), [sqlite("b")])!,
    /only be shared by processes on one host/,
  );
  assert.match(storageConflict(sqlite("a", "/x"), [sqlite("a", "/y")])!, /must share one storage/);
  assert.match(storageConflict(mysql("a"), [mysql("b", "mysql://other:3306/comet_db")])!, /share/);
  assert.match(storageConflict(mysql("a"), [sqlite("a")])!, /sqlite:/);
});
