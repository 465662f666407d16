// How a cache shows itself in console.log (src/_closed.ts's fields()): a
// field whose read fails shows the error's first line, never throws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { inspect } from "node:util";
import { DiskCache } from "../mod.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

test("inspecting a cache another connection holds exclusively shows why count and volume cannot be read, in their place", () => {
  using dir = tempDir();
  // Without WAL, an exclusive lock keeps readers out too.
  using cache = new DiskCache(dir.path, { timeout: 1, sqliteJournalMode: "delete" });
  cache.set("k", 1);
  const db = rawOpen(join(dir.path, "cache.db"));
  db.exec("BEGIN EXCLUSIVE");
  try {
    const shown = inspect(cache);
    assert.match(
      shown,
      new RegExp(
        `^DiskCache \\{ directory: ${
          JSON.stringify(dir.path).replaceAll("/", "\\/")
        }, count: <Cannot count items: [^>\\n]+ stayed locked [^>\\n]+>, volume: <Cannot measure volume: [^>\\n]+> \\}$`,
      ),
    );
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.match(inspect(cache), /count: 1, volume: \d+ \}$/);
});
