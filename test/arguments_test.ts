// Every public entry point refuses an ill-typed argument before touching the
// database, with an error that names the argument and shows what it received,
// and leaves the cache as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Averager, barrier, BoundedSemaphore, Deque, DiskCache, Index, type Key, Lock, memoize, memoizeStampede, type RecipeCache, throttle } from "../mod.ts";
import { refuses, tempCache, tempDir } from "./_helpers.ts";

/** Asserts `fn` throws `type` with a message matching `pattern`. */
// deno-lint-ignore no-explicit-any
const bad = (v: unknown) => v as any;

test("DiskCache methods refuse ill-typed options, naming the option and the value, and write nothing", async () => {
  using cache = tempCache();
  cache.set("keep", "kept");
  using dir = tempDir();
  refuses(() => new DiskCache(dir.path, { readonly: bad("yes") }), TypeError, /"readonly" must be a boolean: received "yes"/);
  refuses(() => cache.keys(bad(null)), TypeError, /Cannot iterate: options must be an object: received null/);
  refuses(() => [...cache.entries({ reverse: bad(1) })], TypeError, /"reverse" must be a boolean: received 1/);
  refuses(() => cache.push(1, bad(7)), TypeError, /Cannot push: options must be an object: received 7/);
  refuses(() => cache.push(1, { prefix: bad(5) }), TypeError, /"prefix" must be a string: received 5/);
  refuses(() => cache.push(1, { side: bad("middle") }), RangeError, /"side" must be "front" or "back": received "middle"/);
  refuses(() => cache.pull({ side: bad("up") }), RangeError, /Cannot pull: "side" must be "front" or "back": received "up"/);
  refuses(() => cache.transact(bad("not a function")), TypeError, /Cannot transact: expected a function: received "not a function"/);
  refuses(() => cache.stats(bad("reset")), TypeError, /Cannot read stats: options must be an object: received "reset"/);
  refuses(() => cache.stats({ reset: bad(1) }), TypeError, /"reset" must be a boolean: received 1/);
  refuses(() => cache.expire(bad("now")), TypeError, /Cannot expire: "now" must be a finite number .*received "now"/);
  refuses(() => cache.expire(Infinity), TypeError, /received Infinity/);
  refuses(() => cache.evict(bad(null)), TypeError, /Cannot evict: "tag" must be a string, number, bigint or Uint8Array: received null/);
  refuses(() => cache.check({ fix: bad("yes") }), TypeError, /Cannot check: "fix" must be a boolean: received "yes"/);
  refuses(() => cache.peekItem({ last: bad(0) }), TypeError, /Cannot peekItem: "last" must be a boolean: received 0/);
  refuses(() => cache.set("k", 1, { tag: bad(2n ** 64n) }), TypeError, /"tag": expected .*received 18446744073709551616n/);
  await assert.rejects(cache.setStream("k", bad({})), /"stream" must be a ReadableStream/);
  assert.deepEqual([...cache.entries()], [["keep", "kept"]]);
});

test("Deque and Index refuse non-integer positions and an eviction policy", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const deque = Deque.fromCache<number>(cache);
  deque.push(1);
  refuses(() => deque.at(1.5), TypeError, /Cannot read Deque\.at: index must be an integer: received 1\.5/);
  refuses(() => deque.rotate(bad("1")), TypeError, /Cannot rotate: steps must be an integer: received "1"/);
  assert.deepEqual([...deque], [1]);
  using dir = tempDir();
  refuses(() => new Index(dir.path, bad({ evictionPolicy: "least-recently-used" })), TypeError, /"evictionPolicy" is always "none"/);
});

test("memoize() refuses a non-function and non-object options", () => {
  using cache = tempCache();
  refuses(() => memoize(cache, bad(42)), TypeError, /Cannot memoize: expected a function: received 42/);
  refuses(() => memoize(cache, function f() {}, bad("opts")), TypeError, /Cannot memoize: options must be an object: received "opts"/);
  refuses(() => memoize(cache, function f() {}, bad(null)), TypeError, /options must be an object: received null/);
});

test("recipes refuse bad options, non-functions and nameless functions", () => {
  using cache = tempCache();
  refuses(() => new Lock(cache, "l", bad("ttl")), TypeError, /Cannot create Lock: options must be an object: received "ttl"/);
  refuses(() => new Lock(cache, "l", { ttl: 0 }), RangeError, /"ttl" must be a positive number of milliseconds: received 0/);
  refuses(() => new Averager(cache, "a", { ttl: bad("1s") }), RangeError, /Cannot create Averager: "ttl" .*received "1s"/);
  refuses(() => new BoundedSemaphore(cache, "s", { value: 0 }), RangeError, /"value" must be a positive integer: received 0/);
  const lockFactory = (c: RecipeCache, key: Key) => new Lock(c, key);
  refuses(() => barrier(cache, bad(null), function f() {}), TypeError, /Cannot create barrier: "lockFactory" must be a function: received null/);
  refuses(() => barrier(cache, lockFactory, () => 1), TypeError, /Cannot create barrier: the function has no name; pass options\.name/);
  refuses(() => throttle(cache, 0, 1, function f() {}), RangeError, /Cannot throttle: "count" must be a positive integer: received 0/);
  refuses(() => throttle(cache, 1.5, 1, function f() {}), RangeError, /received 1\.5/);
  refuses(() => throttle(cache, 1, 0, function f() {}), RangeError, /Cannot throttle: "period" must be a positive number of milliseconds: received 0/);
  refuses(() => throttle(cache, 1, Infinity, function f() {}), RangeError, /received Infinity/);
  refuses(() => throttle(cache, 1, 1000, () => 1), TypeError, /Cannot throttle: the function has no name/);
  refuses(() => memoizeStampede(cache, bad("fn"), { ttl: 1000 }), TypeError, /Cannot memoizeStampede: expected a function: received "fn"/);
  refuses(() => memoizeStampede(cache, function f() {}, bad(undefined)), RangeError, /"ttl" must be a positive number of milliseconds: received undefined/);
  refuses(() => memoizeStampede(cache, function f() {}, { ttl: 1000, beta: 0 }), RangeError, /"beta" must be positive: received 0/);
  refuses(() => memoizeStampede(cache, () => 1, { ttl: 1000 }), TypeError, /Cannot memoizeStampede: the function has no name/);
  assert.equal(cache.length, 0, "no recipe stored anything");
});

test("a recipe's release without acquire, on a default single-slot semaphore, is refused", () => {
  using cache = tempCache();
  const sem = new BoundedSemaphore(cache, "s");
  assert.throws(() => sem.release(), /released more times than acquired by this BoundedSemaphore/);
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.tryAcquire(), false, "the default value is one holder");
  sem.release();
});
