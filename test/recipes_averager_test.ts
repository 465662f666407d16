// Averager (src/recipes/averager.ts): the running mean, pop(), across
// processes of every runtime and on both cache types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Averager, DiskCache } from "../mod.ts";
import { recipeCaches, recipeWorkers, tempCache, tempDir } from "./_helpers.ts";

test("Averager adds values and gives their mean; refuses NaN", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const avg = new Averager(cache, "a");
  for (const v of [1, 2, 3, 4]) avg.add(v);
  assert.equal(avg.get(), 2.5);
  assert.throws(() => avg.add(NaN), TypeError);
});

test("Averager.pop() returns the mean and forgets it", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const avg = new Averager(cache, "a");
  assert.equal(avg.pop(), undefined);
  avg.add(2);
  avg.add(4);
  assert.equal(avg.pop(), 3);
  assert.equal(avg.get(), undefined);
  assert.equal(avg.pop(), undefined);
});

test("Averager across processes of every runtime", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  await recipeWorkers((_, i) => ["averager", path, String(i)]);
  using cache = new DiskCache(path);
  assert.equal(new Averager(cache, "avg").get(), 5.5);
});

for (const [kind, open] of recipeCaches) {
  test(`Averager works on a ${kind}`, () => {
    using dir = tempDir();
    using cache = open(dir.path);
    const avg = new Averager(cache, "avg");
    for (const v of [1, 2, 3, 4]) avg.add(v);
    assert.equal(avg.get(), 2.5);
    assert.equal(avg.pop(), 2.5);
  });
}
