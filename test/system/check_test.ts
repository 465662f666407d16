// System tests split from test/check_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { spawnSync } from "node:child_process";
import { python, tempDir } from "../_helpers.ts";

test("DiskCache.check() lists what SQLite's integrity check finds, and fix rebuilds the database", (t) => {
  const py = python();
  if (py === undefined) return t.skip("python3 is not installed");
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i, { ttl: 60_000 });
  }
  // An index whose definition no longer matches its entries: SQLite refuses to
  // edit its schema from node:sqlite and bun:sqlite, Python's module does not.
  const edit = spawnSync(py, [
    "-c",
    `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA writable_schema = ON")
c.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX Cache_expire_time ON Cache (store_time)' WHERE name = 'Cache_expire_time'")
c.commit()
`,
    join(dir.path, "cache.db"),
  ], { encoding: "utf8" });
  assert.equal(edit.status, 0, edit.stderr);
  using cache = new DiskCache(dir.path);
  const warnings = cache.check();
  assert.equal(warnings.length, 20);
  assert.ok(warnings.every((w) => w.kind === "integrity" && /SQLite integrity check: row \d+ missing from index Cache_expire_time/.test(w.message)));
  assert.equal(cache.check({ fix: true }).length, 20, "fix reports what it found");
  assert.deepEqual(cache.check(), [], "and VACUUM rebuilt the index");
  assert.equal(cache.get("k7"), 7);
});
