import { test } from "node:test";
import assert from "node:assert/strict";
import { memoize } from "../mod.ts";
import { tempCache } from "./_helpers.ts";

test("DiskCache.memoize() caches results by name and arguments, with cacheKey()", () => {
  using cache = tempCache();
  let calls = 0;
  const add = cache.memoize(function add(a: number, b: number) {
    calls++;
    return a + b;
  }, { ttl: 60_000, tag: "math" });
  assert.equal(add(1, 2), 3);
  assert.equal(add(1, 2), 3);
  assert.equal(add(2, 1), 3);
  assert.equal(calls, 2);
  assert.deepEqual(add.cacheKey(1, 2), ["add", 1, 2]);
  assert.equal(cache.getEntry(add.cacheKey(1, 2))?.tag, "math");
  assert.equal(cache.evict("math"), 2);
  add(1, 2);
  assert.equal(calls, 3);
});

test("memoize() options: typed, ignore, key, name; refuses nameless functions", () => {
  using cache = tempCache();
  let calls = 0;
  const f = memoize(cache, (x: unknown, _log?: unknown) => (calls++, String(x)), { name: "f", typed: true, ignore: [1] });
  f(1, "a");
  f(1, "b");
  f(1n);
  assert.equal(calls, 2, "ignored argument; 1 and 1n cached apart when typed");
  const g = memoize(cache, (o: { id: number; at: number }) => (calls++, o.id), { name: "g", key: (o) => o.id });
  g({ id: 5, at: 1 });
  g({ id: 5, at: 2 });
  assert.equal(calls, 3);
  assert.throws(() => memoize(cache, (() => 1) as () => number), /no name/);
  assert.throws(() => memoize(cache, function h() {}, { expire: 1 } as never), /unknown option "expire"/);
});

test("memoize() of an async function stores the resolved value, never caches a rejection, and shares concurrent calls", async () => {
  using cache = tempCache();
  let calls = 0;
  let fail = true;
  const load = cache.memoize(async function load(id: number) {
    calls++;
    await new Promise((r) => setTimeout(r, 20));
    if (fail) throw new Error("flaky");
    return { id };
  });
  await assert.rejects(load(1), /flaky/);
  assert.equal(cache.get(load.cacheKey(1)), undefined, "the rejection is not cached");
  fail = false;
  const [a, b, c] = await Promise.all([load(1), load(1), load(1)]);
  assert.deepEqual([a, b, c], [{ id: 1 }, { id: 1 }, { id: 1 }]);
  assert.equal(calls, 2, "three concurrent calls shared one computation");
  assert.deepEqual(cache.get(load.cacheKey(1)), { id: 1 }, "the resolved value is stored");
  assert.ok(load(1) instanceof Promise, "a hit still returns a promise");
});
