// System tests split from test/temporary_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { runJson, runners } from "../_helpers.ts";

test("temporary caches of a process that exits without close() are removed at the exit (every runtime)", async () => {
  const runs = runners("temp_cache_worker");
  assert.ok(runs.length >= 3, "Deno, Bun and Node at least");
  for (const r of runs) {
    for (const how of ["natural end", "process.exit"]) {
      const { directories } = await runJson<{ directories: string[] }>(r, [how]);
      assert.equal(directories.length, 3);
      for (const d of directories) assert.equal(existsSync(d), false, `${r.name}, ${how}: ${d} removed`);
    }
  }
});
