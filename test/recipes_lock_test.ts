// Lock and RLock (src/recipes/lock.ts): exclusion in one process, across
// processes of every runtime, on both cache types; release at the end of a
// `using` block; the README's FanoutCache example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BoundedSemaphore, DiskCacheError, FanoutCache, Lock, memoizeStampede, RLock } from "../mod.ts";
import { countCalls, recipeCaches, tempCache, tempDir, until } from "./_helpers.ts";

test("Lock: one holder at a time in one process; release checks ownership; ttl frees a dead holder", async () => {
  let now = 0;
  using cache = tempCache({ evictionPolicy: "none", clock: () => now });
  const a = new Lock(cache, "l", { ttl: 1000 }), b = new Lock(cache, "l", { ttl: 1000 });
  await a.acquire();
  assert.equal(b.tryAcquire(), false);
  assert.throws(() => b.release(), DiskCacheError);
  let bHas = false;
  const tries = countCalls(b, "tryAcquire");
  const waiting = b.acquire().then(() => (bHas = true));
  await until(() => tries.count >= 3); // b tried, waited, and tried again while this test ran
  assert.equal(bHas, false, "b waits without blocking the event loop");
  a.release();
  await waiting;
  assert.equal(bHas, true);
  now = 5000; // b's holder "died": its ttl ran out
  const c = new Lock(cache, "l");
  assert.equal(c.tryAcquire(), true);
  assert.throws(() => b.release(), /ttl ran out/);
  c.release();
  const controller = new AbortController();
  await a.acquire();
  const aborted = new Lock(cache, "l").acquire({ signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, /aborted/);
  {
    await using _ = new Lock(cache, "m");
    await _.acquire();
    assert.equal(new Lock(cache, "m").locked(), true);
  }
  assert.equal(new Lock(cache, "m").locked(), false);
});

test("RLock re-enters for its holder and excludes others", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const a = new RLock(cache, "r"), b = new RLock(cache, "r");
  await a.acquire();
  await a.acquire();
  assert.equal(b.tryAcquire(), false);
  a.release();
  assert.equal(b.tryAcquire(), false);
  a.release();
  assert.equal(b.tryAcquire(), true);
  assert.throws(() => a.release(), DiskCacheError);
});

test("Lock, RLock and BoundedSemaphore release at the end of an await using block; locked() tells whether anyone holds it", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const lock = new Lock(cache, "l");
  const rlock = new RLock(cache, "r");
  const sem = new BoundedSemaphore(cache, "s");
  {
    await using held = await lock.acquire();
    await using rheld = await rlock.acquire();
    await using sheld = await sem.acquire();
    assert.equal(held, lock);
    assert.equal(rheld, rlock);
    assert.equal(sheld, sem);
    assert.equal(lock.locked(), true);
    assert.equal(rlock.locked(), true);
    assert.equal(sem.tryAcquire(), false);
  }
  assert.equal(lock.locked(), false);
  assert.equal(rlock.locked(), false);
  assert.equal(sem.tryAcquire(), true, "the slot came back");
});

for (const [kind, open] of recipeCaches) {
  test(`Lock and RLock work on a ${kind}`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    const lock = new Lock(cache, "x", { ttl: 60_000 });
    await lock.acquire();
    assert.equal(lock.locked(), true);
    assert.equal(new Lock(cache, "x").tryAcquire(), false);
    lock.release();
    assert.equal(lock.locked(), false, "release() let go: the lock is not left held until its ttl");
    assert.throws(() => lock.release(), DiskCacheError);

    const rlock = new RLock(cache, "r", { ttl: 60_000 });
    await rlock.acquire();
    await rlock.acquire();
    assert.equal(new RLock(cache, "r").tryAcquire(), false);
    rlock.release();
    rlock.release();
    assert.equal(rlock.locked(), false);
  });
}

test("memoizeStampede and Lock on a FanoutCache (the docs/recipes.md example) run together", async () => {
  using dir = tempDir();
  // deno-lint-ignore require-await -- stands for the README's asynchronous renderer
  const expensiveRender = async (page: string) => `<h1>${page}</h1>`;
  {
    // As in docs/recipes.md ("At a glance"), with a temporary directory.
    using cache = new FanoutCache(join(dir.path, "myapp"), { shards: 8, sizeLimit: 4 * 2 ** 30 });
    const render = memoizeStampede(cache, async function render(page: string) {
      return await expensiveRender(page);
    }, { ttl: 60_000 });

    await using _ = await new Lock(cache.cache("locks", { evictionPolicy: "none" }), "nightly-report", { ttl: 600_000 }).acquire();
    assert.equal(await render("home"), "<h1>home</h1>");
    const onFanout = await new Lock(cache, "on-the-fanout-itself", { ttl: 600_000 }).acquire();
    onFanout.release();
  }
  // The example itself, as written, now lives in docs/recipes.md, which
  // test/docs_examples_test.ts runs (and type-checks on Deno) as it stands.
});

for (const [kind, open] of recipeCaches) {
  test(`Lock and RLock on a ${kind}: a holder's ttl runs out on the cache's clock, not the wall clock`, () => {
    using dir = tempDir();
    let now = 1_000_000; // the cache's clock stands in 1970
    using cache = open(dir.path, { clock: () => now });
    for (const make of [(ttl: number) => new Lock(cache, "l", { ttl }), (ttl: number) => new RLock(cache, "r", { ttl })]) {
      const held = make(1000);
      assert.equal(held.tryAcquire(), true);
      assert.equal(make(1000).tryAcquire(), false, "held, with its ttl left on the cache's clock");
      now += 1001;
      const next = make(1000);
      assert.equal(next.tryAcquire(), true, "the holder's ttl ran out on the cache's clock");
      assert.throws(() => held.release(), DiskCacheError);
      next.release();
    }
  });
}
