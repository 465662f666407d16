// BoundedSemaphore (src/recipes/semaphore.ts): value holders at once, in one
// process and across processes of every runtime; per-holder ttl; a killed
// holder's slot comes back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSemaphore } from "../mod.ts";
import { recipeCaches, tempCache, tempDir } from "./_helpers.ts";

test("BoundedSemaphore allows value holders and refuses over-release", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const s = new BoundedSemaphore(cache, "s", { value: 2 });
  await s.acquire();
  await s.acquire();
  assert.equal(s.tryAcquire(), false);
  s.release();
  s.release();
  assert.throws(() => s.release(), RangeError);
  assert.throws(() => new BoundedSemaphore(cache, "s", { value: 0 }), RangeError);
});

for (const [kind, open] of recipeCaches) {
  test(`BoundedSemaphore works on a ${kind}`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    const sem = new BoundedSemaphore(cache, "s", { value: 2, ttl: 60_000 });
    await sem.acquire();
    await sem.acquire();
    assert.equal(new BoundedSemaphore(cache, "s", { value: 2 }).tryAcquire(), false);
    sem.release();
    sem.release();
    assert.throws(() => sem.release(), RangeError);
  });
}

test("BoundedSemaphore: a holder past its ttl loses its slot to a newcomer and its release() says so; a newcomer's release() works", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let now = 1_000_000;
  const clock = () => now;
  const a = new BoundedSemaphore(cache, "s", { value: 2, ttl: 1000, clock });
  const b = new BoundedSemaphore(cache, "s", { value: 2, ttl: 1000, clock });
  assert.equal(a.tryAcquire(), true);
  assert.equal(a.tryAcquire(), true);
  assert.equal(b.tryAcquire(), false);
  now += 500;
  a.release(); // before its ttl: fine
  now += 700; // a's remaining slot (taken at 0) is past its ttl
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.tryAcquire(), true);
  assert.equal(new BoundedSemaphore(cache, "s", { value: 2, clock }).tryAcquire(), false, "never more than value holders");
  assert.throws(() => a.release(), /ttl ran out/);
  b.release();
  b.release();
  assert.throws(() => b.release(), RangeError);
  assert.throws(() => new BoundedSemaphore(cache, "s", { clock: 5 as never }), /"clock" must be a function/);
  // The key holds python-diskcache's count of free slots; a value that is not a count is held by someone this cannot read.
  cache.set("count", 1);
  assert.equal(new BoundedSemaphore(cache, "count", { value: 2 }).tryAcquire(), true);
  assert.equal(new BoundedSemaphore(cache, "count", { value: 2 }).tryAcquire(), false, "the stored count said one slot was free");
  cache.set("odd", [["t", "never"], 5, [7, null]]);
  assert.equal(new BoundedSemaphore(cache, "odd").tryAcquire(), false);
  // Past its ttl, a holder keeps its slot until someone needs it; the one whose ttl ran out first goes first.
  const first = new BoundedSemaphore(cache, "k", { value: 2, ttl: 1000, clock });
  const second = new BoundedSemaphore(cache, "k", { value: 2, ttl: 1000, clock });
  assert.equal(second.tryAcquire(), true);
  now -= 100; // first's slot runs out 100 ms before second's (whatever the order in the list)
  assert.equal(first.tryAcquire(), true);
  now += 5000;
  assert.equal(new BoundedSemaphore(cache, "k", { value: 2, ttl: 1000, clock }).tryAcquire(), true);
  assert.throws(() => first.release(), /ttl ran out/);
  second.release(); // past its ttl, but nobody needed its slot
});

for (const [kind, open] of recipeCaches) {
  test(`BoundedSemaphore on a ${kind} keeps a stored count's expiry on the cache's clock`, () => {
    using dir = tempDir();
    let now = 1_000_000; // the cache's clock stands in 1970
    using cache = open(dir.path, { clock: () => now });
    // python-diskcache's BoundedSemaphore(expire=60) stores its count with a ttl.
    cache.set("s", 2, { ttl: 60_000 });
    const sem = () => new BoundedSemaphore(cache, "s", { value: 2, clock: () => now });
    assert.equal(sem().tryAcquire(), true);
    assert.equal(cache.getEntry("s")?.expireTime, 1_060_000, "the count keeps its expiry");
    now += 10;
    assert.equal(sem().tryAcquire(), true);
    assert.equal(sem().tryAcquire(), false, "two holders of two slots: no third");
  });
}
