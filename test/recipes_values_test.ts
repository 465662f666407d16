// What the recipes make of the values they find under their keys
// (src/recipes/): integers Python stored past 2^53 (unpickled as bigints),
// pairs that are not theirs, a count replaced or removed while held, and a
// store of one's own that hands back the pickle set() was given.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Averager, BoundedSemaphore, type RecipeStore, RLock, throttle } from "../mod.ts";
import { pickle } from "../src/format/pickle.ts";
import { tempCache } from "./_helpers.ts";

test("Averager reads a total and count stored past 2^53 as numbers; a pair of anything else is no average, and add() starts it again", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const avg = new Averager(cache, "a");
  cache.set("a", pickle([2n ** 60n, 2n ** 59n]));
  assert.equal(avg.get(), 2);
  cache.set("a", pickle(["ten", 1]));
  assert.equal(avg.get(), undefined);
  avg.add(4);
  assert.equal(avg.get(), 4, "the unreadable pair was replaced");
});

test("Averager on a RecipeStore of one's own, which hands back the pickle set() was given, reads it", () => {
  const map = new Map<string, unknown>();
  const id = (k: unknown) => JSON.stringify(k);
  const store: RecipeStore = {
    get: (k) => map.get(id(k)),
    getEntry: (k) => map.has(id(k)) ? { value: map.get(id(k)), expireTime: null } : undefined,
    set: (k, v) => map.set(id(k), v),
    add: (k, v) => !map.has(id(k)) && !!map.set(id(k), v),
    delete: (k) => map.delete(id(k)),
    has: (k) => map.has(id(k)),
    pop: (k) => {
      const v = map.get(id(k));
      map.delete(id(k));
      return v;
    },
    transact: (fn) => fn(),
  };
  const avg = new Averager(store, "a");
  avg.add(2);
  avg.add(4);
  assert.equal(avg.get(), 3);
  assert.equal(avg.pop(), 3);
  assert.equal(avg.get(), undefined);
});

test("throttle replaces a bucket it cannot read (not a pair, a pair of strings) with a full one, and caps a tally stored past 2^53 at count", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  for (const stored of ["not a bucket", pickle([1]), pickle(["then", "ten"]), pickle([0, 2n ** 60n])]) {
    cache.set("bucket", stored);
    const sleeps: number[] = [];
    let calls = 0;
    const t = throttle(cache, 2, 1000, function bucket() {
      return ++calls;
    }, { clock: () => 0, sleep: (ms) => Promise.resolve(void sleeps.push(ms)) });
    assert.equal(await t(), 1);
    assert.equal(await t(), 2);
    assert.deepEqual(sleeps, [], `${String(stored)}: count calls at once`);
    cache.delete("bucket");
  }
});

test("RLock refuses a pair whose count is not an integer (someone else's value); reads a count stored past 2^53", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const lock = new RLock(cache, "r");
  cache.set("r", pickle(["someone", "many"]));
  assert.equal(lock.tryAcquire(), false);
  assert.equal(lock.locked(), true);
  cache.set("r", pickle(["someone", 2n ** 60n]));
  assert.equal(lock.tryAcquire(), false, "held by someone else, many times over");
  cache.set("r", pickle(["someone", 0]));
  assert.equal(lock.tryAcquire(), true, "a count of 0 is free");
  lock.release();
});

test("BoundedSemaphore.release() of a slot whose count was replaced or removed meanwhile succeeds and leaves the key as it found it", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const sem = new BoundedSemaphore(cache, "s", { value: 2 });
  assert.equal(sem.tryAcquire(), true);
  cache.set("s", "not a count");
  sem.release();
  assert.equal(cache.get("s"), "not a count", "not ours to change");
  cache.delete("s");
  assert.equal(sem.tryAcquire(), true);
  cache.delete("s");
  sem.release();
  assert.equal(cache.has("s"), false, "an expired count stays expired: every slot is free");
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.tryAcquire(), false, "two slots, as before");
});
