// System tests split from test/queue_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, DiskCacheError } from "../../mod.ts";
import { python, run, runJson, runners, tempDir } from "../_helpers.ts";

test("DiskCache queue: processes of different runtimes pull each item exactly once", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    for (let i = 0; i < 200; i++) cache.push(i, { prefix: "jobs" });
  }
  const results = await Promise.all(runners("queue_worker").map((r) => runJson<{ got: number[] }>(r, [dir.path])));
  const all = results.flatMap((r) => r.got).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => i));
});

test("DiskCache.pull() and pop() of a value they cannot read (a Python pickle) throw and leave the item in place", async (t) => {
  const py = python();
  if (py === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  const res = await run(py, [
    "-c",
    `
import sys, diskcache
c = diskcache.Cache(sys.argv[1], disk_min_file_size=64)
c.push(("pickled", 1))
c.push("next")
c.set("pk", ("pickled", 2))
c.set("pkbig", ("x" * 500,))
`,
    dir.path,
  ]);
  assert.equal(res.code, 0, res.stderr);
  using cache = new DiskCache(dir.path);
  assert.throws(() => cache.pull(), (e: Error) => e instanceof DiskCacheError && /pickle/i.test(e.message));
  assert.equal(cache.length, 4);
  assert.throws(() => cache.peek(), DiskCacheError);
  assert.throws(() => cache.pop("pk"), DiskCacheError);
  assert.throws(() => cache.pop("pkbig"), DiskCacheError);
  assert.equal(cache.length, 4, "nothing was removed");
  assert.ok(cache.has("pk") && cache.has("pkbig"));
  assert.deepEqual(cache.check(), []);
  assert.equal(cache.delete(500000000000000), true, "the user can remove it");
  assert.deepEqual(cache.pull(), [500000000000001, "next"]);
});
