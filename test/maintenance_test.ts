import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, Timeout } from "../mod.ts";
import { join } from "node:path";
import { rawOpen, tempCache } from "./_helpers.ts";

test("DiskCache.expire() removes only expired items, in batches, and returns the count", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now, cullLimit: 0, minFileSize: 10 });
  for (let i = 0; i < 250; i++) cache.set(i, i % 2 ? "a value kept in a file" : i, { ttl: i < 230 ? 100 : 10_000 });
  cache.set("forever", 1);
  now = 500;
  assert.equal(cache.expire(), 230);
  assert.equal(cache.length, 21);
  assert.equal(cache.expire(), 0);
  assert.equal(cache.expire(20_000), 20);
  assert.equal(cache.get("forever"), 1);
});

test("DiskCache.evict() removes one tag's items, with and without the tag index", () => {
  for (const tagIndex of [false, true]) {
    using cache = tempCache({ tagIndex });
    for (let i = 0; i < 150; i++) cache.set(i, i, { tag: i % 3 === 0 ? "three" : 7 });
    assert.equal(cache.evict("three"), 50);
    assert.equal(cache.evict(7), 100);
    assert.equal(cache.evict("none"), 0);
    assert.equal(cache.length, 0);
  }
});

test("DiskCache.cull() brings volume() under sizeLimit, with inline and with file values", () => {
  for (const minFileSize of [100_000, 1000]) {
    using cache = tempCache({ cullLimit: 0, minFileSize, sizeLimit: 2 ** 30 });
    cache.transact(() => {
      for (let i = 0; i < 300; i++) cache.set(i, new Uint8Array(5000).fill(i));
    });
    assert.ok(cache.volume() > 1_000_000);
    cache.updateSettings({ sizeLimit: 500_000 });
    const removed = cache.cull();
    assert.ok(removed > 100, `removed ${removed}`);
    assert.ok(cache.volume() <= 500_000, `volume ${cache.volume()} with minFileSize ${minFileSize}`);
    assert.equal(cache.has(299), true, "the newest items stay under least-recently-stored");
    assert.equal(cache.has(0), false);
    assert.equal(cache.stats().evictions, removed);
  }
});

test("DiskCache.cull() counts what a victim frees as a write's culling does: inline values too, not ten at a time", () => {
  // Two values of 5,000 bytes stored inline are about three 4 KiB pages: cull() used to count
  // an inline victim as freeing nothing, so it removed a whole batch of ten for a small excess.
  for (const minFileSize of [100_000, 1000]) {
    using cache = tempCache({ cullLimit: 0, minFileSize, sizeLimit: 2 ** 30 });
    cache.transact(() => {
      for (let i = 0; i < 100; i++) cache.set(i, new Uint8Array(5000).fill(i));
    });
    const limit = cache.volume() - 6000;
    cache.updateSettings({ sizeLimit: limit });
    const removed = cache.cull();
    assert.ok(cache.volume() <= limit, `volume ${cache.volume()} over ${limit} with minFileSize ${minFileSize}`);
    assert.ok(removed >= 2 && removed < 10, `removed ${removed} with minFileSize ${minFileSize}`);
    assert.equal(cache.has(removed - 1), false);
    assert.equal(cache.has(removed), true, "the oldest went first, and no more than needed");
  }
});

test("DiskCache refuses a value larger than the whole sizeLimit instead of evicting everything", () => {
  using cache = tempCache({ sizeLimit: 50_000, minFileSize: 1000 });
  cache.set("small", new Uint8Array(2000));
  assert.throws(() => cache.set("huge", new Uint8Array(60_000)), (e: Error) => e instanceof RangeError && /60000 bytes.*sizeLimit of 50000/.test(e.message));
  assert.deepEqual(cache.get("small"), new Uint8Array(2000));
  using unlimited = tempCache({ sizeLimit: 50_000, evictionPolicy: "none" });
  assert.equal(unlimited.set("huge", new Uint8Array(60_000)), true, "policy none never evicts, so nothing is refused");
});

test("DiskCache.clear() removes everything and its files", () => {
  using cache = tempCache({ minFileSize: 10 });
  for (let i = 0; i < 120; i++) cache.set(i, "value in a file " + i);
  assert.equal(cache.clear(), 120);
  assert.equal(cache.length, 0);
  assert.equal(cache.volume() < 200_000, true);
});

test("DiskCache batch operations report what they removed when a Timeout stops them", () => {
  using cache = tempCache({ timeout: 30 });
  for (let i = 0; i < 10; i++) cache.set(i, i, { tag: "t" });
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.throws(() => cache.evict("t"), (e: Error) => e instanceof Timeout && e.name === "Timeout" && (e as Timeout & { removed: number }).removed === 0);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.evict("t"), 10);
});

test("DiskCache.updateSettings() persists for other processes and reloadSettings() sees them", () => {
  using a = tempCache();
  using b = new DiskCache(a.directory);
  a.updateSettings({ cullLimit: 3, evictionPolicy: "least-recently-used", sqliteSynchronous: 2 });
  assert.equal(a.cullLimit, 3);
  assert.equal(b.cullLimit, 10);
  b.reloadSettings();
  assert.equal(b.cullLimit, 3);
  assert.equal(b.evictionPolicy, "least-recently-used");
  assert.throws(() => a.updateSettings({ cullLimit: -1 }), RangeError);
  assert.throws(() => a.updateSettings({ size: 5 } as never), /unknown setting "size"/);
  using c = new DiskCache(a.directory);
  assert.equal(c.settings.sqliteSynchronous, 2);
});

test("DiskCache under policy none never evicts by size, and stats() shows the limit", () => {
  using cache = tempCache({ evictionPolicy: "none", sizeLimit: 10_000, minFileSize: 1000 });
  for (let i = 0; i < 20; i++) cache.set(i, new Uint8Array(5000));
  assert.equal(cache.cull(), 0);
  assert.equal(cache.length, 20);
  const s = cache.stats();
  assert.equal(s.sizeLimit, 10_000);
  assert.equal(s.count, 20);
  assert.ok(s.volume > 100_000);
  assert.equal(s.evictions, 0);
});
