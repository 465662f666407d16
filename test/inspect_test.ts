// DiskCache.inspect(), inspectAll() and vacuum() (src/ops/inspect.ts), and the
// `limit` of the removals over many items (src/ops/maintenance.ts), which the
// command-line tool uses to remove in slices it can stop between.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, DiskCacheError, ForeignKey } from "../mod.ts";
import { rawOpen, tempCache, tempDir } from "./_helpers.ts";

test("DiskCache.inspect() tells size, storage, mode, expiry and tag without reading the value", () => {
  let now = 1_700_000_000_000;
  using cache = tempCache({ minFileSize: 100, clock: () => now, statistics: true });
  cache.set("file", "x".repeat(300), { tag: "t", ttl: 5_000 });
  cache.set("int", 42, { tag: 7 });
  cache.set("float", 1.5, { tag: new Uint8Array([1]) });
  cache.set("bytes", new Uint8Array(10));
  cache.set(["structured"], { a: 1 });
  const file = cache.inspect("file")!;
  assert.deepEqual({ ...file, filename: typeof file.filename }, {
    key: "file",
    rawKey: true,
    size: 300,
    storage: "file",
    filename: "string",
    mode: "text",
    storeTime: now,
    expireTime: now + 5_000,
    accessTime: now,
    accessCount: 0,
    tag: "t",
  });
  assert.deepEqual([cache.inspect("int")!.size, cache.inspect("int")!.mode, cache.inspect("int")!.tag], [8, "raw", 7]);
  assert.deepEqual(cache.inspect("float")!.tag, new Uint8Array([1]));
  assert.equal(cache.inspect("bytes")!.size, 10);
  const structured = cache.inspect(["structured"])!;
  assert.deepEqual([structured.rawKey, structured.mode, structured.storage, structured.expireTime], [false, "cbor", "inline", null]);
  assert.equal(cache.inspect("missing"), undefined);
  assert.equal(cache.stats().hits, 0, "no hit counted");
  now += 10_000;
  assert.equal(cache.inspect("file"), undefined, "expired");
});

test("DiskCache.inspectAll() walks live items in either order, and shows foreign keys and modes", () => {
  using cache = tempCache();
  cache.set("b", 1);
  cache.set("a", 2);
  cache.set("gone", 3, { ttl: 0 });
  assert.deepEqual([...cache.inspectAll()].map((i) => i.key), ["b", "a"]);
  assert.deepEqual([...cache.inspectAll({ order: "key" })].map((i) => i.key), ["a", "b"]);
  assert.deepEqual([...cache.inspectAll({ reverse: true })].map((i) => i.key), ["a", "b"]);
  assert.throws(() => cache.inspectAll({ order: "size" as "key" }), RangeError);
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.prepare("UPDATE Cache SET key = x'8004', raw = 0, mode = 9 WHERE key = 'b'").run();
  db.close();
  const [foreign] = [...cache.inspectAll()];
  assert.ok(foreign!.key instanceof ForeignKey);
  assert.equal(foreign!.mode, "unknown");
  assert.equal(cache.inspect(foreign!.key as ForeignKey)!.mode, "unknown");
  cache.close();
  assert.throws(() => cache.inspect("a"), /closed/);
});

test("DiskCache.clear(), expire(), evict() and cull() remove at most `limit` items a call", () => {
  let now = 0;
  using cache = tempCache({ cullLimit: 0, clock: () => now, minFileSize: 1000 });
  cache.setMany(Array.from({ length: 250 }, (_, i) => [i, "v"] as const), { tag: "t", ttl: 10 });
  assert.equal(cache.evict("t", { limit: 0 }), 0);
  assert.equal(cache.evict("t", { limit: 120 }), 120);
  now = 20;
  assert.equal(cache.expire(undefined, { limit: 30 }), 30);
  assert.equal(cache.expire(undefined, {}), 100);
  cache.setMany(Array.from({ length: 250 }, (_, i) => [i, "v"] as const));
  const slices: number[] = [];
  for (let n; (n = cache.clear({ limit: 101 })) > 0;) slices.push(n);
  assert.deepEqual(slices, [101, 101, 48]);
  cache.setMany(Array.from({ length: 30 }, (_, i) => [i, new Uint8Array(10_000)] as const));
  cache.setMany(Array.from({ length: 5 }, (_, i) => [100 + i, 1] as const), { ttl: 1 });
  now = 40;
  cache.updateSettings({ sizeLimit: 150_000 });
  assert.equal(cache.cull({ limit: 3 }), 3, "expired items first, within the limit");
  assert.equal(cache.cull({ limit: 7 }), 7, "2 expired, then 5 by policy");
  assert.ok(cache.volume() > 150_000);
  assert.ok(cache.cull() > 0);
  assert.ok(cache.volume() <= 150_000);
  assert.equal(cache.cull({ limit: 10 }), 0);
  for (const bad of [-1, 1.5, "3", Number.NaN]) assert.throws(() => cache.clear({ limit: bad as number }), /"limit" must be a non-negative safe integer/);
  assert.throws(() => cache.clear(5 as never), /options must be an object/);
  assert.throws(() => cache.clear({ max: 5 } as never), /unknown option "max"/);
});

test("DiskCache.vacuum() gives free pages back, and refuses inside a transaction or on a read-only cache", () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { sqliteAutoVacuum: 0 });
    cache.setMany(Array.from({ length: 1_000 }, (_, i) => [i, "x".repeat(300)] as const));
    cache.clear();
    const before = cache.volume();
    assert.ok(cache.vacuum() > 0);
    assert.ok(cache.volume() < before);
    assert.equal(cache.vacuum(), 0);
    assert.throws(() => cache.transact(() => cache.vacuum()), /Cannot vacuum: a transaction is open/);
    using other = new DiskCache(dir.path, { timeout: 20 });
    cache.transact(() => {
      cache.set("held", 1);
      assert.throws(() => other.vacuum(), (e: Error) => e instanceof DiskCacheError && /vacuum/.test(e.message));
    });
  }
  using ro = new DiskCache(dir.path, { readonly: true });
  assert.throws(() => ro.vacuum(), (e: Error) => e instanceof DiskCacheError && /read-only/.test(e.message));
});
