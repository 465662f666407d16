// System tests split from test/recipes_throttle_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { recipeWorkers, tempDir } from "../_helpers.ts";

test("throttle across processes of every runtime keeps the rate in any window", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  const processes = await recipeWorkers((_, i) => ["throttle", path, String(i)]);
  using cache = new DiskCache(path);
  assert.equal(cache.get("throttled"), processes * 5);
  // The token bucket's promise, whatever the processes' start times: in any
  // window of t ms, at most 5 + 5 * t / 1000 calls (one extra for rounding).
  const times: number[] = [];
  for (let item = cache.pull({ prefix: "calls" }); item; item = cache.pull({ prefix: "calls" })) times.push(item[1] as number);
  times.sort((x, y) => x - y);
  assert.equal(times.length, processes * 5);
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const allowed = 5 + (5 * (times[j]! - times[i]!)) / 1000 + 1;
      assert.ok(j - i + 1 <= allowed, `${j - i + 1} calls within ${times[j]! - times[i]!} ms`);
    }
  }
});
