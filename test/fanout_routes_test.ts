// FanoutCache's delegation table (src/_fanout_routes.ts) against the two
// classes: every DiskCache method has a row, every routed row a FanoutCache
// method, every shared member the same parameters, returns and getters (the
// Drift check, compiled with the library), and every method routed by key
// degrades as its row says when its shard is locked. A method added to DiskCache, or a FanoutCache method that
// picks its own fallback (as getFile once did), fails here. tsc compiles this
// file, so the type assertions below are checked too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, FanoutCache, type Key, Timeout } from "../mod.ts";
import { type DiskCacheMethod, type Drift, NO_DRIFT, type Route, type RoutedTo, ROUTES } from "../src/_fanout_routes.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

// Every routed method exists on FanoutCache, and no method marked "none" does.
const routedAreOffered: [Exclude<Exclude<DiskCacheMethod, RoutedTo<"none">>, keyof FanoutCache>] extends [never] ? true
  : false = true;
const noneAreAbsent: [Extract<RoutedTo<"none">, keyof FanoutCache>] extends [never] ? true : false = true;
// Every member they share has the same parameters, returns and getters (src/_fanout_routes.ts compiles only then).
const nothingDrifted: [Drift] extends [never] ? true : false = NO_DRIFT;

/** The names of a class's prototype methods (getters and the constructor left out). */
function methodsOf(proto: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(proto))
    .filter(([name, d]) => name !== "constructor" && typeof d.value === "function")
    .map(([name]) => name);
}

const routes: Record<string, Route> = ROUTES;

/** A call of each method routed by key, on `key` (a file to read from, a path to write to). */
function callsFor(key: Key, source: string, out: string): Record<RoutedTo<"key">, (c: FanoutCache) => unknown> {
  return {
    set: (c) => c.set(key, 1),
    get: (c) => c.get(key),
    getEntry: (c) => c.getEntry(key),
    has: (c) => c.has(key),
    delete: (c) => c.delete(key),
    add: (c) => c.add(key, 1),
    incr: (c) => c.incr(key),
    decr: (c) => c.decr(key),
    pop: (c) => c.pop(key),
    touch: (c) => c.touch(key, 1000),
    setStream: (c) => c.setStream(key, new Blob(["streamed"]).stream()),
    getStream: (c) => c.getStream(key),
    setFile: (c) => c.setFile(key, source),
    getFile: (c) => c.getFile(key, out),
    setAsync: (c) => c.setAsync(key, 1),
    deleteAsync: (c) => c.deleteAsync(key),
  };
}

test("FanoutCache delegation: every DiskCache method has a route, and FanoutCache offers exactly the routed ones", () => {
  assert.ok(routedAreOffered && noneAreAbsent && nothingDrifted);
  const fanout = new Set(methodsOf(FanoutCache.prototype));
  for (const name of methodsOf(DiskCache.prototype)) {
    const route = routes[name];
    assert.ok(route, `DiskCache.${name} has no row in ROUTES (src/_fanout_routes.ts): say how FanoutCache routes it`);
    if (route.to === "none") {
      assert.ok(!fanout.has(name), `FanoutCache.${name} exists but its route is "none"`);
      assert.match(route.why, /use FanoutCache\.\w+\(name\)/, "a method left out says what to use instead");
    } else {
      assert.ok(fanout.has(name), `FanoutCache has no ${name}, routed to "${route.to}"`);
    }
  }
  for (const name of Object.keys(routes)) {
    assert.ok(methodsOf(DiskCache.prototype).includes(name), `ROUTES has a row for ${name}, which DiskCache lacks`);
  }
});

test("FanoutCache delegation: each method routed by key degrades as its row says when the key's shard stays locked", async () => {
  using dir = tempDir();
  // Without WAL, an exclusive lock keeps readers out too, so reads degrade as writes do.
  using cache = new FanoutCache(join(dir.path, "c"), { shards: 2, timeout: 20, sqliteJournalMode: "delete" });
  const source = join(dir.path, "source.txt");
  writeFileSync(source, "from a file");
  cache.set("k", "x".repeat(100_000));
  cache.set("other", 1);
  const calls = callsFor("k", source, join(dir.path, "out.txt"));
  const many: Record<RoutedTo<"keys">, [(c: FanoutCache) => unknown, unknown]> = {
    getMany: [(c) => c.getMany(["k"]), [undefined]],
    setMany: [(c) => c.setMany([["k", 1]]), 0],
    deleteMany: [(c) => c.deleteMany(["k"]), 0],
  };
  const byKey = Object.entries(routes).filter(([, r]) => r.to === "key");
  const db = rawOpen(join(cache.shardOf("k").directory, "cache.db"));
  db.exec("BEGIN EXCLUSIVE");
  try {
    for (const [name, route] of byKey) {
      const call = (calls as Record<string, (c: FanoutCache) => unknown>)[name];
      assert.ok(call, `no sample call for ${name}: add one to this test`);
      assert.equal(await call(cache), (route as { busy: unknown }).busy, `${name} on a busy shard`);
    }
    for (const [name, [call, busy]] of Object.entries(many)) {
      assert.deepEqual(call(cache), busy, `${name} on a busy shard`);
    }
    assert.equal(
      cache.get("other"),
      cache.shardOf("other") === cache.shardOf("k") ? undefined : 1,
      "the other shard still answers",
    );
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  // (stats() itself would wait on the exclusive lock, so timeouts are read now.)
  assert.equal(
    cache.stats().timeouts,
    byKey.length + Object.keys(many).length,
    "each degraded call counted one timeout",
  );
  assert.equal(cache.get("k"), "x".repeat(100_000), "nothing was changed");
  assert.deepEqual(cache.check(), [], "no file left behind by the refused stream and file writes");
});

test("FanoutCache delegation: a bulk removal retries a busy shard, then throws Timeout with the count removed so far", () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 2, timeout: 1 });
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  for (const k of keys) cache.set(k, 1);
  const busy = cache.shards[1]!;
  const onFirst = keys.filter((k) => cache.shardOf(k) === cache.shards[0]).length;
  const db = rawOpen(join(busy.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.throws(() => cache.clear(), (e: Error) => e instanceof Timeout && e.removed === onFirst);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.stats().timeouts, 100);
  assert.equal(cache.clear(), keys.length - onFirst);
});

test("FanoutCache delegation: a method routed by key is async exactly when its row says, and then rejects instead of throwing", async () => {
  using dir = tempDir();
  using cache = new FanoutCache(join(dir.path, "c"), { shards: 2 });
  const source = join(dir.path, "source.txt");
  writeFileSync(source, "from a file");
  cache.set("k", "value");
  const good = callsFor("k", source, join(dir.path, "out.txt"));
  // A symbol cannot be hashed to a shard: the error comes before any shard is reached.
  const bad = callsFor(Symbol("no shard") as never, source, join(dir.path, "out.txt"));
  for (const [name, route] of Object.entries(routes)) {
    if (route.to !== "key") continue;
    const call = (fn: (c: FanoutCache) => unknown) => fn(cache);
    const result = call(good[name as RoutedTo<"key">]);
    if (result instanceof ReadableStream) await result.cancel();
    assert.equal(
      result instanceof Promise,
      route.async === true,
      `${name} returns a promise exactly when its row says async`,
    );
    await result;
    if (route.async) {
      const refused = call(bad[name as RoutedTo<"key">]);
      assert.ok(refused instanceof Promise, `${name} with an unusable key still returns a promise`);
      await assert.rejects(refused as Promise<unknown>, TypeError);
    } else {
      assert.throws(() => call(bad[name as RoutedTo<"key">]), TypeError, `${name} with an unusable key throws`);
    }
  }
});

/** The names of a class's getters. */
function gettersOf(proto: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(proto)).filter(([, d]) => d.get !== undefined).map(([name]) => name);
}

test("FanoutCache offers every getter of DiskCache, answering for the whole cache, on the cache's clock", () => {
  using dir = tempDir();
  let now = 1_000_000;
  using cache = new FanoutCache(dir.path, { shards: 4, sizeLimit: 4 * 2 ** 20, cullLimit: 3, evictionPolicy: "least-frequently-used", clock: () => now });
  using plain = new DiskCache(join(dir.path, "plain"), { sizeLimit: 4 * 2 ** 20, cullLimit: 3, evictionPolicy: "least-frequently-used" });
  const fanout = new Set(gettersOf(FanoutCache.prototype));
  for (const name of gettersOf(DiskCache.prototype)) assert.ok(fanout.has(name), `FanoutCache has no getter ${name}`);
  assert.equal(cache.now, 1_000_000);
  now += 5;
  assert.equal(cache.now, 1_000_005, "the clock option, read afresh");
  assert.deepEqual(cache.settings, plain.settings, "the total sizeLimit and the shared settings, as one DiskCache would say");
  assert.deepEqual(
    [cache.driverName, cache.cullLimit, cache.evictionPolicy, cache.statistics, cache.tagIndex, cache.minFileSize],
    [plain.driverName, plain.cullLimit, plain.evictionPolicy, plain.statistics, plain.tagIndex, plain.minFileSize],
  );
  const updated = cache.updateSettings({ sizeLimit: 8 * 2 ** 20, statistics: true });
  assert.deepEqual(updated, { ...plain.updateSettings({ sizeLimit: 8 * 2 ** 20, statistics: true }) }, "updateSettings returns the settings in force");
  assert.equal(cache.shards[0]!.sizeLimit, 2 ** 21, "each shard holds its share");
  assert.deepEqual(cache.reloadSettings(), updated);
  assert.equal(cache.updateSettings({ sqliteJournalMode: "delete" }).sqliteJournalMode, "delete");
});

test("FanoutCache: expire, evict, cull and clear take { limit }, counted over all shards", () => {
  using dir = tempDir();
  let now = 0;
  using cache = new FanoutCache(dir.path, { shards: 4, clock: () => now, cullLimit: 0 });
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  for (const k of keys) cache.set(k, 1, { ttl: 10, tag: "t" });
  now = 20;
  assert.equal(cache.expire(undefined, { limit: 7 }), 7);
  assert.equal(cache.expire(now, { limit: 0 }), 0);
  assert.equal(cache.cull({ limit: 5 }), 5, "cull removes expired items first");
  assert.equal(cache.length, 28);
  for (const k of keys) cache.set(k, 1, { tag: "t" });
  assert.equal(cache.evict("t", { limit: 11 }), 11);
  assert.equal(cache.clear({ limit: 20 }), 20);
  assert.equal(cache.length, 9);
  assert.equal(cache.clear({}), 9);
  assert.throws(() => cache.clear({ limit: -1 }), (e: Error) => e instanceof RangeError && /Cannot clear: "limit"/.test(e.message));
  assert.throws(() => cache.evict("t", { max: 1 } as never), /Cannot evict: unknown option "max"/);
  assert.throws(() => cache.expire("soon" as never, { limit: 0 }), TypeError, "the arguments are checked even when nothing is to be removed");
  assert.throws(() => cache.evict({} as never, { limit: 0 }), TypeError);
});
