// memoizeStampede (src/recipes/stampede.ts): one computation across
// processes of every runtime and concurrent calls; early recomputation in the
// background (awaited through settled()); results it cannot store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, memoizeStampede } from "../mod.ts";
import { countCalls, recipeCaches, tempCache, tempDir, until, withConsole } from "./_helpers.ts";

/** What memoizeStampede names this module in keys (see memoize's `name`). */
const HERE = "@diskcache/diskcache/test/recipes_stampede_test";

test("memoizeStampede recomputes early, once, while serving the cached value", async () => {
  using cache = tempCache();
  let calls = 0;
  // deno-lint-ignore require-await -- the recipe is given an async function, as callers write it
  const f = memoizeStampede(cache, async function f() {
    calls++;
    return calls;
  }, { ttl: 50, beta: 1e9 }); // a huge beta makes every hit look due
  assert.equal(await f(), 1);
  assert.equal(await f(), 1, "the stale value is served");
  await f.settled(); // the background recomputation stored its result
  assert.equal(calls, 2, "one background recomputation");
  assert.equal(await f(), 2, "its result replaced the cached value");
  // The call above started another early recomputation: let it store its result.
  await f.settled();
  assert.throws(() => memoizeStampede(cache, async function g() {}, {} as never), /"ttl"/);
});

test("memoizeStampede: concurrent calls in one process compute once; the others wait for the result", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let calls = 0;
  let finish!: (v: string) => void;
  const gate = new Promise<string>((r) => (finish = r));
  const load = memoizeStampede(cache, async function slow(id: number) {
    calls++;
    return `${await gate} ${id}`;
  }, { ttl: 60_000, beta: 0.5 });
  const looks = countCalls(cache, "getEntry");
  const first = load(1);
  const second = load(1);
  await until(() => looks.count >= 3); // the second call found the marker, waited, and looked again
  finish("value");
  assert.deepEqual(await Promise.all([first, second]), ["value 1", "value 1"]);
  assert.equal(calls, 1);
});

test("memoizeStampede reports a failed background recomputation on console.error by default, and keeps serving the cached value", async () => {
  using cache = tempCache();
  let calls = 0;
  // deno-lint-ignore require-await -- its throw must reach the recipe as a rejection, as from a real backend
  const f = memoizeStampede(cache, async function flaky() {
    if (++calls > 1) throw new Error("backend down");
    return "first";
  }, { ttl: 60_000, beta: 1e9 }); // a huge beta makes every hit look due
  const reported = await withConsole("error", async () => {
    assert.equal(await f(), "first");
    assert.equal(await f(), "first", "served while recomputing in the background");
    await f.settled(); // the background recomputation failed and was reported
  });
  assert.equal(reported.length, 1);
  assert.match(String(reported[0]![0]), new RegExp(`^memoizeStampede\\(${HERE}:flaky\\): background recomputation failed`));
  assert.match(String(reported[0]![1]), /backend down/);
  assert.equal((cache.get(["stampede", `${HERE}:flaky`]) as [string, number])[0], "first", "the failure left the cached value alone");
});

test("memoizeStampede: a background recomputation that ends after close() drops its result quietly; settled() awaits it", async () => {
  using dir = tempDir();
  const cache = new DiskCache(dir.path);
  let calls = 0;
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  const f = memoizeStampede(cache, async function slowly() {
    if (++calls > 1) await gate;
    return calls;
  }, { ttl: 60_000, beta: 1e9 }); // a huge beta makes every hit look due
  assert.equal(await f(), 1);
  assert.equal(await f(), 1, "served while recomputing in the background");
  const reported = await withConsole("error", async () => {
    cache.close();
    finish();
    await f.settled();
  });
  assert.equal(calls, 2);
  assert.deepEqual(reported, [], "nothing logged");
  // With the cache open, settled() is when the result is stored.
  using open = new DiskCache(dir.path);
  const g = memoizeStampede(open, function again() {
    return ++calls;
  }, { ttl: 60_000, beta: 1e9 });
  const first = await g();
  await g();
  await g.settled();
  assert.equal((open.get(["stampede", `${HERE}:again`]) as [number])[0], first + 1);
});

test("memoizeStampede returns a result the cache cannot store, warning once; in the background it goes to onError", async () => {
  using cache = tempCache();
  let calls = 0;
  const warnings = await withConsole("warn", async () => {
    const make = memoizeStampede(cache, function make() {
      calls++;
      return () => calls; // a function: the codec cannot store it
    }, { ttl: 60_000 });
    assert.equal((await make())(), 1);
    assert.equal((await make())(), 2, "not cached: computed again");
  });
  assert.equal(warnings.length, 1, "warned once");
  assert.match(String(warnings[0]![0]), new RegExp(`^memoizeStampede\\(${HERE}:make\\): a result could not be cached`));
  const errors: unknown[] = [];
  const later = memoizeStampede(cache, function later() {
    return ++calls === 3 ? "storable" : () => "not storable";
  }, { ttl: 60_000, beta: 1e9, onError: (error) => void errors.push(error) });
  assert.equal(await later(), "storable");
  assert.equal(await later(), "storable", "served while recomputing");
  await later.settled();
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TypeError, String(errors[0]));
});

for (const [kind, open] of recipeCaches) {
  test(`memoizeStampede works on a ${kind}`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    let calls = 0;
    // deno-lint-ignore require-await -- the recipe is given an async function, as callers write it
    const load = memoizeStampede(cache, async function load(id: number) {
      calls++;
      return { id };
    }, { ttl: 60_000 });
    assert.deepEqual(await load(1), { id: 1 });
    assert.deepEqual(await load(1), { id: 1 });
    assert.equal(calls, 1);
    assert.equal(cache.has(["stampede", `${HERE}:load`, 1, "\u0000computing"]), false, "the computing marker was removed");
  });
}

for (const [kind, open] of recipeCaches) {
  test(`memoizeStampede on a ${kind} reads the remaining ttl on the cache's clock, not Date.now()`, async () => {
    using dir = tempDir();
    // The cache's clock stands in 1970: an expiry measured on it, compared with
    // Date.now(), looked long past, and every hit recomputed early.
    let now = 1_000_000;
    using cache = open(dir.path, { clock: () => now });
    let calls = 0;
    // deno-lint-ignore require-await -- the recipe is given an async function, as callers write it
    const f = memoizeStampede(cache, async function f() {
      return ++calls;
    }, { ttl: 60_000, beta: 1 });
    assert.equal(await f(), 1);
    for (let i = 0; i < 20; i++) assert.equal(await f(), 1);
    await f.settled();
    assert.equal(calls, 1, "a minute of ttl left on the cache's clock: no early recomputation");
    now += 60_001; // past the ttl on the cache's clock
    assert.equal(await f(), 2);
  });
}
