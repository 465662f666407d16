// System tests split from test/recipes_stampede_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache } from "../../mod.ts";
import { runJson, runners, tempDir } from "../_helpers.ts";

test("memoizeStampede computes a missing value once across processes of every runtime", async () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  const procs = runners("stampede_worker");
  const results = await Promise.all(procs.map((r) => runJson<{ ids: number[] }>(r, [dir.path])));
  for (const r of results) assert.deepEqual(r.ids, [1, 1, 1]);
  using cache = new DiskCache(dir.path);
  assert.equal(cache.get("calls"), 1, `${procs.length} processes, one call of the function`);
});
