// Averager (src/recipes/averager.ts): the running mean, pop(), across
// processes of every runtime and on both cache types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Averager } from "../mod.ts";
import { recipeCaches, tempCache, tempDir } from "./_helpers.ts";

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
