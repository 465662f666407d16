// System tests split from test/recipes_averager_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Averager, DiskCache } from "../../mod.ts";
import { recipeWorkers, tempDir } from "../_helpers.ts";

test("Averager across processes of every runtime", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  await recipeWorkers((_, i) => ["averager", path, String(i)]);
  using cache = new DiskCache(path);
  assert.equal(new Averager(cache, "avg").get(), 5.5);
});
