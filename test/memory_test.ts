// The in-process memory tier (issue 16): exactness against this process's
// own writes, rollbacks, expiry, the byte bound, statistics, and coherence
// with another connection. Processes of other runtimes: system/memory_processes_test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { Deque, DiskCache, FanoutCache, Index } from "../mod.ts";
import { objectRowsDriver, rawOpen, tempCache, tempDir } from "./_helpers.ts";

const MEMORY = { maxBytes: 2 ** 20 };

test("DiskCache.get() with memory: a second read comes from memory, and stats() shows the tier", () => {
  using cache = tempCache({ memory: MEMORY, statistics: true });
  cache.set("a", "x".repeat(100));
  assert.equal(cache.stats().memory?.entries, 0);
  assert.equal(cache.get("a"), "x".repeat(100));
  assert.equal(cache.get("a"), "x".repeat(100));
  assert.equal(cache.get("missing"), undefined);
  const { hits, misses, memory } = cache.stats();
  assert.deepEqual({ hits, misses }, { hits: 2, misses: 1 }, "tier hits count as hits");
  assert.equal(memory?.entries, 1);
  assert.equal(memory?.hits, 1);
  assert.equal(memory?.maxBytes, 2 ** 20);
  assert.ok(memory!.bytes >= 200 && memory!.bytes <= 2 ** 20);
});

test("DiskCache.get() with memory: without the option, stats() has no memory field", () => {
  using cache = tempCache();
  cache.set("a", 1);
  cache.get("a");
  assert.equal(cache.stats().memory, undefined);
});

test("DiskCache.get() with memory returns a fresh value each time: mutating it never changes the cache", () => {
  using cache = tempCache({ memory: MEMORY, minFileSize: 64 });
  const values: [string, unknown][] = [
    ["object", { list: [1, 2], when: new Date(0), map: new Map([["k", 1]]) }],
    ["bytes", new Uint8Array([1, 2, 3])],
    ["file bytes", new Uint8Array(100).fill(7)],
    ["file text", "t".repeat(100)],
    ["file object", { big: "o".repeat(100) }],
    ["number", 1.5],
    ["bigint", 2n ** 60n],
  ];
  for (const [key, value] of values) cache.set(key, value);
  for (const [key, value] of values) {
    const first = cache.get(key) as Record<string, unknown> | Uint8Array;
    assert.deepEqual(first, value, key);
    if (first instanceof Uint8Array) first[0] = 99;
    else if (typeof first === "object") (first as Record<string, unknown>).extra = true;
    const second = cache.get(key);
    assert.deepEqual(second, value, `${key} after mutating what the first read returned`);
    if (typeof first === "object") assert.notEqual(second, first);
    const third = cache.get(key);
    if (typeof third === "object") assert.notEqual(third, second, `${key}: every hit answers its own copy`);
  }
  assert.equal(cache.stats().memory?.entries, values.length);
});

test("DiskCache with memory: every own write is seen at once", () => {
  using cache = tempCache({ memory: MEMORY, tagIndex: true });
  const warm = (...keys: string[]) => keys.forEach((k) => cache.get(k));
  cache.set("a", 1, { tag: "t" });
  cache.set("b", 2, { tag: "t" });
  cache.set("c", 3);
  warm("a", "b", "c");
  cache.set("a", 10);
  assert.equal(cache.get("a"), 10, "set");
  assert.equal(cache.incr("a", 5), 15);
  assert.equal(cache.get("a"), 15, "incr");
  assert.equal(cache.add("a", 0), false);
  assert.equal(cache.delete("a"), true);
  assert.equal(cache.get("a"), undefined, "delete");
  assert.equal(cache.add("a", "added"), true);
  assert.equal(cache.get("a"), "added", "add");
  assert.equal(cache.pop("a"), "added");
  assert.equal(cache.get("a"), undefined, "pop");
  warm("b", "c");
  assert.equal(cache.evict("t"), 1);
  assert.equal(cache.get("b"), undefined, "evict(tag)");
  assert.equal(cache.get("c"), 3);
  assert.equal(cache.setMany([["c", 4], ["d", 5]]), 2);
  assert.deepEqual([cache.get("c"), cache.get("d")], [4, 5], "setMany");
  assert.equal(cache.deleteMany(["c"]), 1);
  assert.equal(cache.get("c"), undefined, "deleteMany");
  warm("d");
  assert.equal(cache.clear(), 1);
  assert.equal(cache.get("d"), undefined, "clear");
  assert.equal(cache.stats().memory?.entries, 0);
});

test("DiskCache with memory: expiry is checked on every hit, and expire(), cull() and touch() are seen", () => {
  const clock = { now: 1_000_000 };
  using cache = tempCache({ memory: MEMORY, clock: () => clock.now });
  cache.set("short", "s", { ttl: 100 });
  cache.set("long", "l", { ttl: 10_000 });
  cache.set("forever", "f");
  for (const k of ["short", "long", "forever"]) cache.get(k);
  clock.now += 100;
  assert.equal(cache.get("short"), undefined, "expired at its expiry instant, although memory held it");
  assert.equal(cache.get("long"), "l");
  assert.equal(cache.touch("long", 50), true);
  clock.now += 60;
  assert.equal(cache.get("long"), undefined, "touch() gave it a shorter life");
  cache.set("e", 1, { ttl: 10 }); // its write culls "short" and "long"
  cache.get("e");
  assert.equal(cache.expire(clock.now + 20), 1);
  assert.equal(cache.get("e"), undefined);
  assert.equal(cache.get("forever"), "f");
  cache.set("p", "v", { ttl: 10 });
  cache.get("p");
  clock.now += 20;
  assert.equal(cache.cull(), 1);
  assert.equal(cache.get("p"), undefined);
});

test("DiskCache with memory: a transaction that rolls back leaves nothing it wrote in memory", () => {
  using cache = tempCache({ memory: MEMORY });
  cache.set("a", "committed");
  cache.get("a");
  assert.throws(() =>
    cache.transact(() => {
      cache.set("a", "uncommitted");
      assert.equal(cache.get("a"), "uncommitted", "inside, the transaction sees its own write");
      cache.set("new", "uncommitted");
      cache.get("new");
      throw new Error("roll back");
    }), /roll back/);
  assert.equal(cache.get("a"), "committed");
  assert.equal(cache.get("new"), undefined);
  // A savepoint (nested transact) that rolls back, inside an outer one that commits.
  cache.transact(() => {
    cache.set("b", "outer");
    assert.throws(() =>
      cache.transact(() => {
        cache.set("a", "inner");
        cache.delete("b");
        throw new Error("inner");
      }), /inner/);
    cache.set("c", "outer");
  });
  assert.equal(cache.get("a"), "committed");
  assert.equal(cache.get("b"), "outer");
  assert.equal(cache.get("c"), "outer");
  // A write that fails (a value the codec refuses) changes nothing either.
  assert.throws(() => cache.set("a", () => 1), TypeError);
  assert.equal(cache.get("a"), "committed");
});

test("DiskCache with memory: another connection's writes are seen at once with staleness 0", () => {
  using dir = tempDir();
  using reader = new DiskCache(dir.path, { memory: MEMORY });
  using writer = new DiskCache(dir.path);
  writer.set("k", "v1");
  assert.equal(reader.get("k"), "v1");
  assert.equal(reader.get("k"), "v1");
  writer.set("k", "v2");
  assert.equal(reader.get("k"), "v2");
  writer.delete("k");
  assert.equal(reader.get("k"), undefined);
  writer.set("k", "v3");
  assert.equal(reader.get("k"), "v3");
  writer.clear();
  assert.equal(reader.get("k"), undefined);
});

test("DiskCache with memory: staleness N never hides a write of this process, by any of its DiskCache objects", () => {
  using dir = tempDir();
  using reader = new DiskCache(dir.path, { memory: { maxBytes: 2 ** 20, staleness: 3_600_000 } });
  using writer = new DiskCache(dir.path);
  using tiered = new DiskCache(dir.path, { memory: { maxBytes: 2 ** 20, staleness: 3_600_000 } });
  writer.set("k", "v1");
  assert.equal(reader.get("k"), "v1");
  assert.equal(reader.get("k"), "v1");
  writer.set("k", "v2");
  assert.equal(reader.get("k"), "v2");
  tiered.set("k", "v3");
  assert.equal(reader.get("k"), "v3");
  assert.equal(tiered.get("k"), "v3");
  reader.set("k", "v4");
  assert.equal(tiered.get("k"), "v4");
  assert.equal(reader.get("k"), "v4");
});

test("DiskCache with memory: maxBytes bounds the tier, least recently read out first", () => {
  using cache = tempCache({ memory: { maxBytes: 4_000 } });
  for (let i = 0; i < 20; i++) cache.set(i, "v".repeat(700)); // ~1,200 bytes each in memory (see COSTS)
  for (let i = 0; i < 3; i++) cache.get(i);
  assert.equal(cache.stats().memory?.entries, 3);
  cache.get(0); // now the most recently read
  cache.get(3); // pushes out the least recently read: 1
  const { memory } = cache.stats();
  assert.ok(memory!.bytes <= 4_000, `bytes ${memory!.bytes}`);
  assert.equal(memory!.entries, 3);
  const before = cache.stats().memory!.hits;
  cache.get(0);
  cache.get(1);
  assert.equal(cache.stats().memory!.hits, before + 1, "0 was kept, 1 was dropped");
  cache.set("huge", "h".repeat(5_000));
  assert.equal(cache.get("huge"), "h".repeat(5_000));
  assert.ok(cache.stats().memory!.bytes <= 4_000, "a value larger than the bound is never kept");
});

test("DiskCache with memory: when every value was read, the oldest still leaves first, and a new value is kept", () => {
  using cache = tempCache({ memory: { maxBytes: 4_000 } });
  for (let i = 0; i < 5; i++) cache.set(i, "v".repeat(700)); // ~1,200 bytes each in memory (see COSTS)
  cache.set("big", "b".repeat(1_500)); // ~2,250 bytes: room for it takes two of those
  for (let i = 0; i < 3; i++) cache.get(i);
  for (let i = 0; i < 3; i++) cache.get(i); // all three read from memory
  const hits = () => cache.stats().memory!.hits;
  let before = hits();
  cache.get(3); // every entry had a second chance; then the oldest, 0, leaves
  cache.get(3);
  assert.equal(hits(), before + 1, "the value just loaded is kept");
  before = hits();
  cache.get(1);
  cache.get(2);
  assert.equal(hits(), before + 2, "1 and 2 were kept");
  cache.get(0);
  assert.equal(hits(), before + 2, "0 was dropped");
  cache.get("big"); // drops two entries at once
  const { memory } = cache.stats();
  assert.ok(memory!.bytes <= 4_000, `bytes ${memory!.bytes}`);
  assert.equal(memory!.entries, 2);
  before = hits();
  cache.get("big");
  assert.equal(hits(), before + 1);
});

test("DiskCache with memory: tier hits count as accesses for the least-recently-used policy", () => {
  const clock = { now: 1_000_000 };
  using cache = tempCache({ memory: MEMORY, evictionPolicy: "least-recently-used", clock: () => clock.now });
  cache.set("a", 1);
  cache.get("a");
  clock.now += 5_000;
  cache.get("a"); // from memory
  cache.set("b", 2); // a write carries the pending access
  const db = rawOpen(join(cache.directory, "cache.db"));
  try {
    const row = db.prepare("SELECT access_time FROM Cache WHERE key = 'a'").get() as { access_time: number };
    assert.equal(row.access_time, clock.now / 1000);
  } finally {
    db.close();
  }
});

test("DiskCache with memory: a value file removed behind the cache's back reads as a miss before it is kept", () => {
  using cache = tempCache({ memory: MEMORY, minFileSize: 10 });
  cache.set("f", "file value");
  const db = rawOpen(join(cache.directory, "cache.db"));
  const { filename } = db.prepare("SELECT filename FROM Cache").get() as { filename: string };
  db.close();
  unlinkSync(join(cache.directory, filename));
  assert.equal(cache.get("f"), undefined);
  assert.equal(cache.stats().memory?.entries, 0);
});

test("DiskCache with memory: values this library cannot read throw as they do without the tier", () => {
  using cache = tempCache({ memory: MEMORY });
  cache.set("pickle", 1);
  cache.set("not cbor", 1);
  cache.set("no bytes", 1);
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.prepare("UPDATE Cache SET mode = 4, value = x'80' WHERE key = 'pickle'").run();
  db.prepare("UPDATE Cache SET mode = 5, value = x'ff' WHERE key = 'not cbor'").run();
  db.prepare("UPDATE Cache SET mode = 2, value = 7 WHERE key = 'no bytes'").run();
  db.close();
  assert.throws(() => cache.get("pickle"), { name: "DiskCacheError", message: /Python pickle/ });
  assert.throws(() => cache.get("not cbor"), { name: "DiskCacheError", message: /not valid CBOR/ });
  assert.throws(() => cache.get("no bytes"), { name: "DiskCacheError", message: /mode 2/ });
  assert.equal(cache.stats().memory?.entries, 0);
});

test("DiskCache with memory: keys of every kind keep apart in memory", () => {
  using cache = tempCache({ memory: MEMORY });
  const keys = ["1", 1, 1.5, 2n ** 62n, new Uint8Array([1]), [1], { a: 1 }, "\u0000x", new Uint8Array(5000).fill(1), "\uFEFFbom", "bom", "😀".repeat(20)];
  keys.forEach((k, i) => cache.set(k, i));
  for (let round = 0; round < 2; round++) keys.forEach((k, i) => assert.equal(cache.get(k), i));
  assert.equal(cache.get(1n), 1, "1 and 1n are one key");
  keys.forEach((k, i) => cache.set(k, i + 100));
  keys.forEach((k, i) => assert.equal(cache.get(k), i + 100));
  for (let round = 0; round < 2; round++) keys.forEach((k, i) => assert.equal(cache.get(k), i + 100));
  assert.equal(cache.stats().memory?.entries, keys.length, "every key has its own entry");
  assert.ok(cache.stats().memory!.hits >= keys.length * 3, "and every second read is a hit");
});

test("DiskCache with memory: a tier mostly missed steps aside, and comes back", () => {
  using cache = tempCache({ memory: MEMORY, statistics: true });
  for (let i = 0; i < 600; i++) cache.set(i, i);
  for (let i = 0; i < 600; i++) assert.equal(cache.get(i), i); // all misses: the tier steps aside
  cache.set(0, "new");
  for (let i = 0; i < 300; i++) assert.equal(cache.get(0), "new"); // read from the database meanwhile
  const stepped = cache.stats().memory!.hits;
  for (let i = 0; i < 2_000; i++) assert.equal(cache.get(0), "new");
  assert.ok(cache.stats().memory!.hits > stepped, "back to serving from memory");
  assert.equal(cache.stats().hits, 2_900);
});

test("DiskCache with memory: reads inside getMany and transactions go to the database", () => {
  using cache = tempCache({ memory: MEMORY });
  cache.set("a", 1);
  cache.get("a");
  assert.deepEqual(cache.getMany(["a", "b"]), [1, undefined]);
  assert.equal(cache.transact(() => cache.get("a")), 1);
  assert.equal(cache.stats().memory?.hits, 0);
});

test("DiskCache with memory: a read-only cache keeps a tier too", () => {
  using dir = tempDir();
  using writer = new DiskCache(dir.path);
  writer.set("k", "v1");
  using reader = new DiskCache(dir.path, { readonly: true, memory: MEMORY });
  assert.equal(reader.get("k"), "v1");
  assert.equal(reader.get("k"), "v1");
  writer.set("k", "v2");
  assert.equal(reader.get("k"), "v2");
  assert.equal(reader.stats().memory?.hits, 1);
});

test("DiskCache with memory: after close() a read throws the closed error", () => {
  const cache = tempCache({ memory: MEMORY });
  cache.set("a", 1);
  cache.get("a");
  cache[Symbol.dispose]();
  assert.throws(() => cache.get("a"), { name: "DiskCacheError", message: /closed/ });
});

test("DiskCache refuses a bad memory option", () => {
  using dir = tempDir();
  for (
    const [memory, error] of [
      [1, TypeError],
      [null, TypeError],
      [{}, RangeError],
      [{ maxBytes: 0 }, RangeError],
      [{ maxBytes: 1.5 }, RangeError],
      [{ maxBytes: 10, staleness: -1 }, RangeError],
      [{ maxBytes: 10, staleness: Infinity }, RangeError],
      [{ maxBytes: 10, stale: 1 }, TypeError],
    ] as const
  ) {
    assert.throws(() => new DiskCache(dir.path, { memory: memory as never }), error, JSON.stringify(memory));
  }
});

test("FanoutCache, Deque and Index pass the memory option through; FanoutCache splits maxBytes over its shards", () => {
  using dir = tempDir();
  using fanout = new FanoutCache(join(dir.path, "f"), { shards: 4, memory: { maxBytes: 4_000_000 } });
  fanout.set("a", 1);
  fanout.get("a");
  assert.equal(fanout.get("a"), 1);
  const stats = fanout.stats();
  assert.equal(stats.memory?.maxBytes, 4_000_000);
  assert.equal(stats.memory?.hits, 1);
  assert.throws(() => new FanoutCache(join(dir.path, "g"), { shards: 2, memory: { maxBytes: -1 } }), RangeError);
  using index = new Index(join(dir.path, "i"), { memory: MEMORY });
  index.set("k", "v");
  assert.equal(index.get("k"), "v");
  assert.equal(index.get("k"), "v");
  assert.equal(index.cache.stats().memory?.hits, 1);
  using deque = new Deque(join(dir.path, "d"), { memory: MEMORY });
  deque.push("x");
  assert.equal(deque.cache.stats().memory?.maxBytes, MEMORY.maxBytes);
});

test("DiskCache with memory: a database locked past the timeout throws Timeout, as without the tier", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { memory: MEMORY, sqliteJournalMode: "delete", timeout: 50 });
  cache.set("k", 1);
  const db = rawOpen(join(dir.path, "cache.db"));
  try {
    db.exec("PRAGMA journal_mode = delete");
    db.exec("BEGIN EXCLUSIVE");
    assert.throws(() => cache.get("k"), { name: "Timeout" });
    db.exec("ROLLBACK");
    assert.equal(cache.get("k"), 1);
    assert.equal(cache.get("k"), 1);
    db.exec("BEGIN EXCLUSIVE");
    assert.throws(() => cache.get("k"), { name: "Timeout" }, "the data_version read waits for the lock too");
    db.exec("ROLLBACK");
    // With staleness, data_version was just read: the read of a key not in memory meets the lock.
    using stale = new DiskCache(dir.path, { memory: { maxBytes: 2 ** 20, staleness: 3_600_000 }, timeout: 50 });
    assert.equal(stale.get("k"), 1);
    db.exec("BEGIN EXCLUSIVE");
    assert.equal(stale.get("k"), 1, "from memory, no lock needed");
    assert.throws(() => stale.get("other"), { name: "Timeout" });
    db.exec("ROLLBACK");
  } finally {
    db.close();
  }
});

test("DiskCache with memory: on a driver that returns rows as objects (bun:sqlite's way)", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { memory: MEMORY, driver: objectRowsDriver() });
  using other = new DiskCache(dir.path);
  cache.set("k", 1);
  assert.equal(cache.get("k"), 1);
  other.set("k", 2);
  assert.equal(cache.get("k"), 2);
  assert.equal(cache.get("k"), 2);
  assert.equal(cache.stats().memory?.hits, 1);
});

test("DiskCache with memory: staleness N sees this process's writes through a symlinked path to the same directory", () => {
  using dir = tempDir();
  const real = join(dir.path, "cache");
  const link = join(dir.path, "link");
  using writer = new DiskCache(real);
  symlinkSync(real, link);
  using reader = new DiskCache(link, { memory: { maxBytes: 2 ** 20, staleness: 3_600_000 } });
  writer.set("k", 1);
  assert.equal(reader.get("k"), 1);
  assert.equal(reader.get("k"), 1);
  writer.set("k", 2);
  assert.equal(reader.get("k"), 2);
});

// ---------------------------------------------------------------- issue 22 items 17-19

test("DiskCache with memory: staleness N never hides a sibling's write behind this object's own commit (issue 22 #17)", () => {
  using dir = tempDir();
  const staleness = { maxBytes: 2 ** 20, staleness: 3_600_000 };
  using reader = new DiskCache(dir.path, { memory: staleness });
  using writer = new DiskCache(dir.path);
  using tiered = new DiskCache(dir.path, { memory: staleness });
  writer.set("k", "v1");
  assert.equal(reader.get("k"), "v1");
  assert.equal(reader.get("k"), "v1", "now from memory");
  writer.set("k", "v2");
  reader.set("other", 1); // the reader's own commit, after the sibling's
  assert.equal(reader.get("k"), "v2", "a sibling without a tier");
  tiered.set("k", "v3");
  reader.delete("other");
  assert.equal(reader.get("k"), "v3", "a sibling with a tier");
  // Both orders in one transaction of the reader's, and a sibling's write between two of the reader's.
  writer.set("k", "v4");
  reader.transact(() => reader.set("other", 2));
  reader.set("other", 3);
  assert.equal(reader.get("k"), "v4", "after two commits of its own");
});

test("DiskCache with memory: an LRU reader's access flush does not hide a sibling's write (issue 22 #17)", () => {
  using dir = tempDir();
  const clock = { now: 1_700_000_000_000 };
  const options = { clock: () => clock.now, evictionPolicy: "least-recently-used" as const, statistics: true };
  using reader = new DiskCache(dir.path, { ...options, memory: { maxBytes: 2 ** 20, staleness: 3_600_000 } });
  using writer = new DiskCache(dir.path, options);
  writer.set("k", "v1");
  writer.set("x", "x");
  assert.equal(reader.get("k"), "v1");
  assert.equal(reader.get("k"), "v1", "now from memory");
  // A hit past ACCESS_FLUSH_MS writes the pending access times: a commit of the reader's.
  writer.set("k", "v2");
  clock.now += 5_000;
  assert.equal(reader.getEntry("x")?.value, "x");
  assert.equal(reader.get("k"), "v2", "after the flush on a hit");
  assert.equal(reader.get("k"), "v2");
  // stats() writes pending counts: a commit too.
  writer.set("k", "v3");
  reader.stats();
  assert.equal(reader.get("k"), "v3", "after the flush of stats()");
});

test("DiskCache with memory: a data_version check that met a lock is made again, so a sibling's write is not hidden after it (issue 22 #17)", () => {
  using dir = tempDir();
  const options = { sqliteJournalMode: "delete" as const, timeout: 50 };
  using reader = new DiskCache(dir.path, { ...options, memory: { maxBytes: 2 ** 20, staleness: 3_600_000 } });
  using writer = new DiskCache(dir.path, options);
  writer.set("k", 1);
  assert.equal(reader.get("k"), 1);
  assert.equal(reader.get("k"), 1, "now from memory");
  writer.set("k", 2);
  const db = rawOpen(join(dir.path, "cache.db"));
  try {
    db.exec("BEGIN EXCLUSIVE");
    assert.throws(() => reader.get("k"), { name: "Timeout" }, "a sibling wrote: the tier must read data_version, which waits for the lock");
    db.exec("ROLLBACK");
    assert.equal(reader.get("k"), 2, "the check is made again once the lock is gone");
  } finally {
    db.close();
  }
});
