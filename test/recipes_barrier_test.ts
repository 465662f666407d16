// barrier (src/recipes/barrier.ts): one call at a time, in one process (a
// gate holds the first call inside until the others have tried the lock),
// across processes of every runtime, and on both cache types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { barrier, type DiskCache, type FanoutCache, type Key, Lock, type RecipeCache, type RecipeOptions } from "../mod.ts";
import { recipeCaches, tempCache, tempDir, until } from "./_helpers.ts";

/**
 * Calls a barrier-guarded function three times at once. The first call in
 * stays inside until the locks of the others were tried `tries` times, so a
 * barrier that let two in would show `most > 1`.
 */
async function threeAtOnce(cache: DiskCache | FanoutCache): Promise<number> {
  let inside = 0, most = 0, tries = 0;
  const counted = (c: RecipeCache, k: Key, o: RecipeOptions) => {
    const lock = new Lock(c, k, o);
    const tryAcquire = lock.tryAcquire.bind(lock);
    lock.tryAcquire = () => (tries++, tryAcquire());
    return lock;
  };
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const guarded = barrier(cache, counted, async function guarded() {
    most = Math.max(most, ++inside);
    await gate;
    inside--;
  });
  const calls = Promise.all([guarded(), guarded(), guarded()]);
  await until(() => tries >= 6); // each waiting call tried more than once while the first was inside
  open();
  await calls;
  return most;
}

test("barrier runs one call at a time", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  assert.equal(await threeAtOnce(cache), 1, "barrier runs one call at a time");
});

for (const [kind, open] of recipeCaches) {
  test(`barrier works on a ${kind}`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    assert.equal(await threeAtOnce(cache), 1);
  });
}
