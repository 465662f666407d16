// incr()/decr() are typed by their arguments: number arguments give a
// number, a bigint delta or initial gives a bigint (issue 12). tsc compiles
// this file (npm test builds it), so each annotation below is a type test;
// `@ts-expect-error` marks what must not compile. The runtime half checks
// that the values have the types the signatures promise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { FanoutCache } from "../mod.ts";
import { rawOpen, tempCache, tempDir } from "./_helpers.ts";

test("DiskCache.incr() and decr() return a number for number arguments and a bigint for bigint ones", () => {
  using cache = tempCache();
  const n: number = cache.incr("hits");
  const m: number = cache.incr("hits", 5);
  const o: number = cache.decr("hits", 1, 10);
  const b: bigint = cache.incr("ids", 1n);
  const c: bigint = cache.incr("ids2", 1, 10n);
  const d: bigint = cache.decr("ids", 1n);
  // @ts-expect-error a number delta never gives a bigint
  const wrong: bigint = cache.incr("hits");
  // @ts-expect-error a bigint delta never gives a number
  const wrong2: number = cache.incr("ids", 1n);
  const unknown: number | bigint = cache.incr("u", 1 as number | bigint);
  assert.deepEqual([n, m, o, b, c, d, typeof wrong, typeof wrong2, unknown], [1, 6, 5, 1n, 11n, 0n, "number", "bigint", 1]);
});

test("DiskCache.incr() with a number delta refuses a result past 2^53 and stores nothing; a bigint delta counts on", () => {
  using cache = tempCache();
  cache.set("n", Number.MAX_SAFE_INTEGER);
  assert.throws(() => cache.incr("n"), (e: Error) => e instanceof RangeError && /"n".*MAX_SAFE_INTEGER.*bigint delta/.test(e.message));
  assert.throws(() => cache.decr("m", 1, -Number.MAX_SAFE_INTEGER), RangeError);
  assert.equal(cache.get("n"), Number.MAX_SAFE_INTEGER);
  assert.equal(cache.get("m"), undefined);
  assert.equal(cache.incr("n", 1n), 2n ** 53n);
  cache.set("small", 5n);
  assert.equal(cache.incr("small", 1n), 6n, "a bigint delta gives a bigint even in the safe range");
  assert.equal(cache.incr("small"), 7, "a number delta gives a number for a value stored as a bigint");
});

test("FanoutCache.incr() and decr() are typed like DiskCache's, plus undefined for a busy shard", () => {
  using dir = tempDir();
  using cache = new FanoutCache(join(dir.path, "f"), { shards: 2 });
  const n: number | undefined = cache.incr("hits");
  const b: bigint | undefined = cache.incr("ids", 1n);
  const d: number | undefined = cache.decr("hits", 2);
  const e: bigint | undefined = cache.decr("ids", 1, 5n);
  // @ts-expect-error a number delta never gives a bigint
  const wrong: bigint | undefined = cache.incr("hits");
  assert.deepEqual([n, b, d, e, typeof wrong], [1, 1n, -1, 0n, "number"]);
});

test("DiskCache.incr() of a live item restamps store_time as python-diskcache does, keeps ttl and tag; of an expired one starts afresh", () => {
  // python-diskcache's incr sets store_time = now and the policy's hit column
  // on a live row, and keeps expire_time and tag: under least-recently-stored
  // a counter in use stays clear of culling. Pinned here for every policy.
  for (const evictionPolicy of ["least-recently-stored", "least-recently-used", "least-frequently-used", "none"] as const) {
    let now = 1_700_000_000_000;
    using cache = tempCache({ evictionPolicy, clock: () => now });
    cache.set("n", 1, { ttl: 60_000, tag: "t" });
    cache.set("newer", "x");
    now += 1_000;
    assert.equal(cache.incr("n"), 2);
    assert.deepEqual(cache.getEntry("n"), { value: 2, storeTime: now, expireTime: now - 1_000 + 60_000, tag: "t" }, evictionPolicy);
    const db = rawOpen(join(cache.directory, "cache.db"));
    const order = (db.prepare("SELECT key FROM Cache ORDER BY store_time").all() as { key: string }[]).map((r) => r.key);
    db.close();
    assert.deepEqual(order, ["newer", "n"], "least-recently-stored culls the untouched item first: the counter was restamped");
    now += 60_000; // expired: counts from the initial value, without the old ttl or tag
    assert.equal(cache.incr("n", 1, 10), 11);
    assert.deepEqual(cache.getEntry("n"), { value: 11, storeTime: now, expireTime: null, tag: null }, evictionPolicy);
  }
});
