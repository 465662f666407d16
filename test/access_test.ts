// LRU/LFU hits that a connection records without the write lock: when they
// reach the database, and on which row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { rawOpen, sleep, tempCache, tempDir, until } from "./_helpers.ts";

test("LRU: pending hits of a connection that went idle are written by a timer, which waits out a busy lock", async () => {
  using dir = tempDir();
  let now = 1_700_000_000_000;
  using cache = new DiskCache(dir.path, { clock: () => now, evictionPolicy: "least-recently-used" });
  cache.set("k", 1);
  now += 500; // less than a second since the open: the hit stays pending
  const db = rawOpen(join(dir.path, "cache.db"));
  const accessTime = () => (db.prepare("SELECT access_time FROM Cache WHERE key = 'k'").get() as { access_time: number }).access_time;
  try {
    db.exec("BEGIN IMMEDIATE");
    assert.equal(cache.get("k"), 1, "a hit never waits for the lock");
    await sleep(1500); // the timer meets the lock held, and tries again later
    db.exec("ROLLBACK");
    // Polled until the timer wrote it (bounded only so that a broken timer fails instead of hanging).
    await until(() => accessTime() === now / 1000, 60_000);
    assert.equal(accessTime(), now / 1000, "the timer wrote the hit");
    assert.equal(cache.length, 1);
  } finally {
    db.close();
  }
});

test("Hits inside a transaction or a read snapshot stay pending until the next write, and a timer with nothing left to write stops", async () => {
  using dir = tempDir();
  let now = 1_700_000_000_000;
  using cache = new DiskCache(dir.path, { clock: () => now, evictionPolicy: "least-recently-used", statistics: true });
  cache.set("k", 1);
  now += 5000; // past the interval, but no write may start inside a transaction or a snapshot
  cache.transact(() => assert.equal(cache.get("k"), 1));
  assert.deepEqual(cache.getMany(["k", "nope"]), [1, undefined]);
  assert.deepEqual([cache.stats().hits, cache.stats().misses], [2, 1]);
  const db = rawOpen(join(dir.path, "cache.db"));
  try {
    const accessTime = () => (db.prepare("SELECT access_time FROM Cache WHERE key = 'k'").get() as { access_time: number }).access_time;
    now += 10;
    assert.equal(cache.get("k"), 1, "a hit arms the timer");
    cache.set("other", 2); // and a write takes the pending hits first
    assert.equal(accessTime(), now / 1000);
    await sleep(1500); // the timer finds nothing to write
    assert.equal(accessTime(), now / 1000);
  } finally {
    db.close();
  }
});

test("DiskCache.incr() of a live item under LRU and LFU records the access like a hit", () => {
  for (const evictionPolicy of ["least-recently-used", "least-frequently-used"] as const) {
    let now = 1000;
    using cache = tempCache({ evictionPolicy, clock: () => now });
    cache.set("n", 1);
    now = 9000;
    assert.equal(cache.incr("n", 2), 3);
    const db = rawOpen(join(cache.directory, "cache.db"));
    const row = db.prepare("SELECT access_time, access_count FROM Cache WHERE key = 'n'").get() as { access_time: number; access_count: number };
    db.close();
    if (evictionPolicy === "least-recently-used") assert.equal(row.access_time, 9);
    else assert.equal(row.access_count, 1);
  }
});
