// Buffered hits, misses and LRU/LFU access times reach the database when a
// process of any runtime ends normally without close().
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { rawOpen, runJson, runners, tempDir } from "../_helpers.ts";

test("a process that exits without close() still writes its buffered hits, misses and access times (every runtime, natural end and process.exit)", async () => {
  const runs = runners("exit_flush_worker");
  assert.ok(runs.length >= 3, "Deno, Bun and Node at least");
  for (const r of runs) {
    for (const how of ["natural end", "after a timer", "process.exit"]) {
      using dir = tempDir();
      {
        using cache = new DiskCache(dir.path, { statistics: true, evictionPolicy: "least-recently-used", clock: () => 1_000_000 });
        cache.set("a", 1);
      }
      const clock = 2_000_000_000_000;
      await runJson(r, [dir.path, how, String(clock)]);
      const db = rawOpen(join(dir.path, "cache.db"));
      const setting = (key: string) => Number((db.prepare("SELECT value FROM Settings WHERE key = ?").get(key) as { value: number }).value);
      const accessed = Number((db.prepare("SELECT access_time FROM Cache WHERE key = 'a'").get() as { access_time: number }).access_time);
      const found = [setting("hits"), setting("misses"), accessed];
      db.close();
      assert.deepEqual(found, [3, 1, clock / 1000], `${r.name}, ${how}`);
    }
  }
});
