import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, DiskCacheError } from "../mod.ts";
import { counts, rawOpen, tempCache, tempDir, valueFiles } from "./_helpers.ts";

test("DiskCache() without a directory creates a fresh temporary one", () => {
  const a = new DiskCache();
  const b = new DiskCache();
  try {
    assert.notEqual(a.directory, b.directory);
    assert.match(a.directory, /diskcache-/);
    assert.ok(existsSync(join(a.directory, "cache.db")));
  } finally {
    for (const c of [a, b]) {
      c.close();
      rmSync(c.directory, { recursive: true, force: true });
    }
  }
});

test("DiskCache.get() returns what set() stored, for every supported type", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  const values: unknown[] = [
    "",
    "text",
    0,
    42,
    -7,
    1.25,
    2 ** 60,
    Number.MAX_SAFE_INTEGER,
    2n ** 62n,
    -(2n ** 63n),
    true,
    false,
    null,
    new Uint8Array([1, 2, 3]),
    { a: 1, b: [1, 2, { c: "d" }] },
    [1, [2, [3]]],
    new Date(1_700_000_000_123),
    new Map<unknown, unknown>([["x", 1], [2, "y"]]),
    new Set(["a", 1]),
    new Int32Array([1, -2]),
    -0,
    NaN,
    Infinity,
    2n ** 100n,
    JSON.parse('{"__proto__": 5}'),
  ];
  values.forEach((v, i) => cache.set(`k${i}`, v));
  values.forEach((v, i) => assert.deepEqual(cache.get(`k${i}`), v, `value ${i}`));
  const proto = cache.get("k24") as object;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, "a __proto__ key stays an own property");
  assert.deepEqual(Object.keys(proto), ["__proto__"]);
  cache.set("nullproto", Object.assign(Object.create(null), { k: 1 }));
  assert.deepEqual(cache.get("nullproto"), { k: 1 }, "null-prototype objects read back as plain objects");
});

test("DiskCache.get() returns a plain Uint8Array for bytes and ArrayBuffer values", () => {
  using cache = tempCache();
  cache.set("ab", new Uint8Array([5, 6]).buffer);
  const got = cache.get("ab") as Uint8Array;
  assert.equal(got.constructor, Uint8Array);
  assert.deepEqual([...got], [5, 6]);
});

test("DiskCache.get() returns undefined for a missing key", () => {
  using cache = tempCache();
  assert.equal(cache.get("nope"), undefined);
  assert.equal(cache.getEntry("nope"), undefined);
});

test("DiskCache keys: 1, 1n and the same number are one key; structured keys compare by structure", () => {
  using cache = tempCache();
  cache.set(1, "one");
  assert.equal(cache.get(1n), "one");
  cache.set({ b: 1, a: [1, 2] }, "obj");
  assert.equal(cache.get({ a: [1, 2], b: 1 }), "obj");
  assert.equal(cache.get({ a: [2, 1], b: 1 }), undefined);
  cache.set(new Map([["x", 1], ["y", 2]]), "map");
  assert.equal(cache.get(new Map([["y", 2], ["x", 1]])), "map");
  cache.set(new Uint8Array([1, 2]), "bytes");
  assert.equal(cache.get(new Uint8Array([1, 2])), "bytes");
  assert.equal(cache.get("1"), undefined, "the string '1' is not the number 1");
  cache.set(["a"], "array");
  assert.equal(cache.get("a"), undefined);
  cache.set(1.5, "float");
  assert.equal(cache.get(1.5), "float");
  cache.set(true, "bool");
  assert.equal(cache.get(true), "bool");
  assert.equal(cache.get(1), "one");
});

test("DiskCache structured keys: a Map whose distinct keys encode alike is one key whatever its insertion order", () => {
  using cache = tempCache();
  cache.set(new Map<unknown, string>([[[1], "a"], [[1], "b"], [{ k: 1 }, "c"], [{ k: 1 }, "c"]]), "map");
  assert.equal(cache.get(new Map<unknown, string>([[[1], "b"], [{ k: 1 }, "c"], [[1], "a"], [{ k: 1 }, "c"]])), "map");
  assert.equal(cache.get(new Map<unknown, string>([[[1], "b"], [[1], "b"], [{ k: 1 }, "c"], [{ k: 1 }, "c"]])), undefined);
  cache.set(new Set([[2], [1], [2]]), "set");
  assert.equal(cache.get(new Set([[2], [2], [1]])), "set");
  assert.equal(cache.length, 2);
});

test("DiskCache.expire() at the very millisecond an item expires leaves it, for set, touch and setStream alike", async () => {
  // 1000.006 s + 0.074 s is 1000.0799999999999 in floating point, below the
  // 1000.08 s the clock reads 74 ms later: the expiry must be computed in ms.
  let now = 1_000_006;
  using cache = tempCache({ clock: () => now });
  cache.set("set", 1, { ttl: 74 });
  cache.set("touched", 1);
  cache.touch("touched", 74);
  await cache.setStream("streamed", new Blob(["x"]).stream(), { ttl: 74 });
  now = 1_000_080;
  assert.equal(cache.get("set"), undefined, "expired at that instant for reads");
  assert.equal(cache.expire(), 0, "but not expired before it");
  now = 1_000_081;
  assert.equal(cache.expire(), 3);
});

test("DiskCache ttl: expired items are invisible to get, has, getEntry, delete and touch", () => {
  let now = 1_000_000;
  using cache = tempCache({ clock: () => now });
  cache.set("k", "v", { ttl: 100, tag: "t" });
  assert.deepEqual(cache.getEntry("k"), { value: "v", expireTime: 1_000_100, storeTime: 1_000_000, tag: "t" });
  now += 99;
  assert.ok(cache.has("k"));
  now += 2;
  assert.equal(cache.get("k"), undefined);
  assert.equal(cache.has("k"), false);
  assert.equal(cache.touch("k", 1000), false);
  assert.equal(cache.delete("k"), false);
  assert.equal(cache.pop("k"), undefined);
  cache.set("z", 1, { ttl: 0 });
  assert.equal(cache.get("z"), undefined, "ttl 0 expires at once");
});

test("DiskCache.add() stores only when absent or expired", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now });
  assert.equal(cache.add("k", 1, { ttl: 10 }), true);
  assert.equal(cache.add("k", 2), false);
  assert.equal(cache.get("k"), 1);
  now = 11;
  assert.equal(cache.add("k", 3), true);
  assert.equal(cache.get("k"), 3);
});

test("DiskCache.add() that loses leaves no value file behind", () => {
  using cache = tempCache({ minFileSize: 16 });
  cache.add("k", "x".repeat(100));
  assert.equal(valueFiles(cache.directory).length, 1);
  assert.equal(cache.add("k", "y".repeat(100)), false);
  assert.equal(valueFiles(cache.directory).length, 1);
  assert.equal(cache.get("k"), "x".repeat(100));
});

test("DiskCache.incr() and decr() count from initial, in numbers and bigints", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now });
  assert.equal(cache.incr("n"), 1);
  assert.equal(cache.incr("n", 41), 42);
  assert.equal(cache.decr("n", 2), 40);
  assert.equal(cache.decr("m", 1, 0), -1);
  assert.equal(cache.incr("big", 1n, 2n ** 60n), 2n ** 60n + 1n);
  assert.equal(cache.incr("s", 1n, Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n);
  assert.equal(cache.get("s"), BigInt(Number.MAX_SAFE_INTEGER) + 1n);
  cache.set("e", 100, { ttl: 5 });
  now = 10;
  assert.equal(cache.incr("e", 1, 7), 8, "an expired counter restarts from initial");
});

test("DiskCache.get() reads integers at and past 2^53 exactly, and huge reals, under every eviction policy", () => {
  // get() reads plain columns; a number the binding cannot read exactly
  // (rounded by bun:sqlite and better-sqlite3, refused by node:sqlite) is
  // read again through the statement that casts it to text.
  const values: unknown[] = [
    2n ** 53n,
    -(2n ** 53n),
    2n ** 53n + 1n,
    -(2n ** 53n) - 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e300,
    -1e300,
    2 ** 60,
    0.5,
  ];
  for (const evictionPolicy of ["least-recently-stored", "least-recently-used", "least-frequently-used", "none"] as const) {
    using cache = tempCache({ evictionPolicy, statistics: true });
    values.forEach((v, i) => cache.set(i, v));
    values.forEach((v, i) => assert.equal(cache.get(i), v, `${evictionPolicy}: value ${i}`));
    assert.equal(cache.get(values.length), undefined);
    assert.deepEqual([cache.stats().hits, cache.stats().misses], [values.length, 1], "each read counted once");
  }
});

test("DiskCache.incr() refuses a non-integer value and an overflow, leaving the value", () => {
  using cache = tempCache();
  cache.set("s", "text");
  assert.throws(() => cache.incr("s"), (e: Error) => e instanceof TypeError && /"s".*not an integer/.test(e.message));
  assert.equal(cache.get("s"), "text");
  cache.set("f", 1.5);
  assert.throws(() => cache.incr("f"), TypeError);
  cache.set("max", 2n ** 63n - 1n);
  assert.throws(() => cache.incr("max"), RangeError);
  assert.equal(cache.get("max"), 2n ** 63n - 1n);
});

test("DiskCache.pop() removes and returns, for inline and file values", () => {
  using cache = tempCache({ minFileSize: 64 });
  cache.set("a", { x: 1 });
  cache.set("b", "z".repeat(1000));
  assert.deepEqual(cache.pop("a"), { x: 1 });
  assert.equal(cache.pop("b"), "z".repeat(1000));
  assert.equal(cache.pop("a"), undefined);
  assert.equal(cache.length, 0);
  assert.deepEqual(valueFiles(cache.directory), []);
});

test("DiskCache.touch() sets and clears expiry", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now });
  cache.set("k", 1, { ttl: 10 });
  assert.equal(cache.touch("k", 1000), true);
  now = 500;
  assert.equal(cache.get("k"), 1);
  assert.equal(cache.touch("k"), true);
  assert.equal(cache.getEntry("k")?.expireTime, null);
  now = 1e12;
  assert.equal(cache.get("k"), 1);
});

test("DiskCache.delete() and length", () => {
  using cache = tempCache();
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("a", 3);
  assert.equal(cache.length, 2);
  assert.equal(cache.delete("a"), true);
  assert.equal(cache.delete("a"), false);
  assert.equal(cache.length, 1);
});

test("DiskCache value files: large values live in xx/yy/*.val, replaced and deleted files are removed", () => {
  using cache = tempCache({ minFileSize: 1000 });
  cache.set("small", "s".repeat(999));
  assert.deepEqual(valueFiles(cache.directory), []);
  cache.set("big", "b".repeat(1000));
  const [first] = valueFiles(cache.directory);
  assert.match(first!, /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{28}\.val$/);
  assert.equal(statSync(join(cache.directory, first!)).size, 1000);
  cache.set("big", new Uint8Array(5000));
  const [second] = valueFiles(cache.directory);
  assert.notEqual(second, first);
  assert.equal(valueFiles(cache.directory).length, 1);
  assert.ok(
    !existsSync(join(cache.directory, first!.slice(0, 2))) || first!.slice(0, 2) === second!.slice(0, 2),
    "empty directories of the removed file are pruned",
  );
  assert.deepEqual(cache.get("big"), new Uint8Array(5000));
  cache.delete("big");
  assert.deepEqual(valueFiles(cache.directory), []);
});

test("DiskCache value file removed or truncated behind the cache's back reads as a miss", () => {
  using cache = tempCache({ minFileSize: 100 });
  cache.set("gone", "g".repeat(500));
  cache.set("short", new Uint8Array(500).fill(1));
  const byKey = valueFiles(cache.directory);
  assert.equal(byKey.length, 2);
  for (const f of byKey) {
    const size = statSync(join(cache.directory, f)).size;
    assert.equal(size, 500);
  }
  unlinkSync(join(cache.directory, byKey[0]!));
  truncateSync(join(cache.directory, byKey[1]!), 10);
  assert.equal(cache.get("gone"), undefined);
  assert.equal(cache.get("short"), undefined);
  assert.equal(cache.pop("gone"), undefined);
});

test("DiskCache settings persist: a second open without options sees them", () => {
  using dir = tempDir();
  const a = new DiskCache(dir.path, { sizeLimit: 12345678, cullLimit: 3, evictionPolicy: "least-recently-used", minFileSize: 100 });
  a.close();
  using b = new DiskCache(dir.path);
  assert.equal(b.sizeLimit, 12345678);
  assert.equal(b.cullLimit, 3);
  assert.equal(b.evictionPolicy, "least-recently-used");
  assert.equal(b.minFileSize, 100);
  using c = new DiskCache(dir.path, { cullLimit: 5 });
  assert.equal(c.cullLimit, 5);
  assert.equal(c.sizeLimit, 12345678);
});

test("DiskCache data survives close and reopen", () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { minFileSize: 10 });
    cache.set("k", { deep: ["value"] });
    cache.set("f", "file-backed value");
  }
  using again = new DiskCache(dir.path);
  assert.deepEqual(again.get("k"), { deep: ["value"] });
  assert.equal(again.get("f"), "file-backed value");
});

test("DiskCache.close() is idempotent and later calls throw DiskCacheError", () => {
  using cache = tempCache();
  cache.set("a", 1);
  cache.close();
  cache.close();
  assert.throws(() => cache.get("a"), (e: Error) => e instanceof DiskCacheError && /closed/.test(e.message));
  assert.throws(() => cache.set("a", 2), DiskCacheError);
  assert.throws(() => cache.length, DiskCacheError);
});

test("DiskCache culls on write to stay near sizeLimit", () => {
  using cache = tempCache({ sizeLimit: 200_000, minFileSize: 1000, cullLimit: 10 });
  for (let i = 0; i < 100; i++) cache.set(i, new Uint8Array(10_000));
  assert.ok(cache.volume() < 200_000 + 10_000 + 100_000, `volume ${cache.volume()}`);
  assert.equal(cache.get(0), undefined, "the oldest item was evicted first");
  assert.deepEqual(cache.get(99), new Uint8Array(10_000));
});

test("DiskCache culls expired items on write, even under policy none", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now, evictionPolicy: "none" });
  for (let i = 0; i < 5; i++) cache.set(i, i, { ttl: 10 });
  assert.equal(cache.length, 5);
  now = 100;
  cache.set("fresh", 1);
  assert.equal(cache.length, 1);
});

// LFU would count the new item's 0 hits too, and python-diskcache evicts it
// before b; culling on write never evicts the row it just stored, so a goes.
for (
  const [policy, cullLimit, gone] of [
    ["least-recently-used", 1, ["b"]],
    ["least-frequently-used", 2, ["b", "a"]],
    ["least-recently-stored", 1, ["a"]],
  ] as const
) {
  test(`DiskCache under ${policy} evicts ${gone.join(" and ")} first`, () => {
    let now = 0;
    using dir = tempDir();
    const cache = new DiskCache(dir.path, { clock: () => now, evictionPolicy: policy, sizeLimit: 0, cullLimit: 0 });
    cache.set("a", 1);
    now = 1000;
    cache.set("b", 2);
    now = 2000;
    cache.get("a");
    cache.get("a");
    cache.get("b");
    now = 3000;
    cache.get("a");
    cache.close(); // pending access updates are written on close
    // One write over a 0-byte limit evicts exactly cullLimit items.
    using again = new DiskCache(dir.path, { clock: () => (now = 4000), cullLimit });
    again.set("c", 3);
    const left = ["a", "b", "c"].filter((k) => again.has(k));
    assert.deepEqual(left, ["a", "b", "c"].filter((k) => !(gone as readonly string[]).includes(k)));
  });
}

test("DiskCache LRU/LFU hits are recorded without the write lock and land with the next write", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now, evictionPolicy: "least-recently-used", timeout: 50 });
  cache.set("a", 1);
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    now = 5000;
    assert.equal(cache.get("a"), 1, "a hit under LRU does not wait for the writer");
  } finally {
    db.exec("ROLLBACK");
  }
  cache.set("b", 2);
  const row = db.prepare("SELECT access_time FROM Cache WHERE key = 'a'").get() as { access_time: number };
  db.close();
  assert.equal(row.access_time, 5, "access_time (seconds) was written with the next write");
});

test("DiskCache.stats() counts hits and misses over connections, without blocking reads on a writer", () => {
  using dir = tempDir();
  using a = new DiskCache(dir.path, { statistics: true, minFileSize: 10 });
  a.set("k", 1);
  a.set("f", "a file-backed value");
  const b = new DiskCache(dir.path);
  assert.equal(b.statistics, true, "the setting is shared");
  b.get("k");
  b.get("f");
  b.get("nope");
  b.getEntry("k");
  b.close(); // b's counts are added on close
  a.get("missing");
  assert.deepEqual(counts(a.stats()), { hits: 3, misses: 2, evictions: 0 });
  assert.deepEqual(counts(a.stats({ reset: true })), { hits: 3, misses: 2, evictions: 0 });
  assert.deepEqual(counts(a.stats()), { hits: 0, misses: 0, evictions: 0 });
  a.stats({ enable: false });
  a.get("k");
  assert.deepEqual(counts(a.stats()), { hits: 0, misses: 0, evictions: 0 });
  using c = new DiskCache(dir.path);
  assert.equal(c.statistics, false);
  assert.throws(() => a.stats({ enable: "yes" as never }), TypeError);
});

test("DiskCache tagIndex creates and drops the partial tag index; policies create theirs", () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { tagIndex: true, evictionPolicy: "least-frequently-used" });
    assert.equal(cache.tagIndex, true);
  }
  const names = () => {
    const db = rawOpen(join(dir.path, "cache.db"));
    try {
      return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);
    } finally {
      db.close();
    }
  };
  assert.ok(names().includes("Cache_tag_rowid"));
  assert.ok(names().includes("Cache_access_count"));
  new DiskCache(dir.path, { tagIndex: false }).close();
  assert.ok(!names().includes("Cache_tag_rowid"));
});

test("DiskCache LRU: 1,000 pending hits are written at once when the lock is free, and kept for later when it is not", () => {
  let now = 1000;
  using cache = tempCache({ clock: () => now, evictionPolicy: "least-recently-used", timeout: 20 });
  cache.transact(() => {
    for (let i = 0; i < 1000; i++) cache.set(i, i);
  });
  const db = rawOpen(join(cache.directory, "cache.db"));
  const touchedAt = (t: number) => (db.prepare("SELECT COUNT(*) AS n FROM Cache WHERE access_time = ?").get(t) as { n: number }).n;
  try {
    now = 1500; // less than a second since the open: no timed write
    for (let i = 0; i < 999; i++) assert.equal(cache.get(i), i);
    assert.equal(touchedAt(1.5), 0, "999 hits are still pending");
    assert.equal(cache.get(999), 999);
    assert.equal(touchedAt(1.5), 1000, "the 1,000th hit wrote them all, with no write of ours");
    // Another connection holds the write lock: the flush gives up at once and keeps the hits.
    now = 1900;
    db.exec("BEGIN IMMEDIATE");
    try {
      for (let i = 0; i < 1000; i++) assert.equal(cache.get(i), i, "hits never wait for the writer");
    } finally {
      db.exec("ROLLBACK");
    }
    assert.equal(touchedAt(1.9), 0);
    now = 11_000;
    cache.set("other", 1);
    assert.equal(touchedAt(1.9), 1000, "the kept hits landed with the next write");
  } finally {
    db.close();
  }
});

test("DiskCache drops pending LRU hits when another process switches the policy, instead of adding times as LFU counts", () => {
  using dir = tempDir();
  const now = 1_700_000_000_000;
  using a = new DiskCache(dir.path, { clock: () => now, evictionPolicy: "least-recently-used" });
  a.set("k", 1);
  assert.equal(a.get("k"), 1); // a pending access time, not yet written
  using b = new DiskCache(dir.path);
  b.updateSettings({ evictionPolicy: "least-frequently-used" });
  a.reloadSettings();
  assert.equal(a.evictionPolicy, "least-frequently-used");
  a.set("other", 2);
  const db = rawOpen(join(dir.path, "cache.db"));
  const row = db.prepare("SELECT access_count FROM Cache WHERE key = 'k'").get() as { access_count: number };
  db.close();
  assert.equal(row.access_count, 0, "the LRU time was not added as a count");
});

test("DiskCache under LRU opened read-only serves hits without recording them", () => {
  using dir = tempDir();
  {
    using w = new DiskCache(dir.path, { evictionPolicy: "least-recently-used" });
    w.set("k", "v");
  }
  const before = statSync(join(dir.path, "cache.db")).mtimeMs;
  {
    using r = new DiskCache(dir.path, { readonly: true });
    for (let i = 0; i < 1500; i++) assert.equal(r.get("k"), "v");
  }
  assert.equal(statSync(join(dir.path, "cache.db")).mtimeMs, before);
});

test("DiskCache.close() does not throw when its pending statistics cannot be written because another connection holds the lock", () => {
  using cache = tempCache({ statistics: true, timeout: 20 });
  cache.set("k", 1);
  cache.get("k");
  cache.get("missing");
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    cache.close();
  } finally {
    db.exec("ROLLBACK");
  }
  const hits = db.prepare("SELECT value FROM Settings WHERE key = 'hits'").get() as { value: number };
  db.close();
  assert.equal(Number(hits.value), 0, "statistics are best effort: lost, not a failed close");
  assert.throws(() => cache.get("k"), (e: Error) => e instanceof DiskCacheError && /closed/.test(e.message));
});

test("DiskCache read-only refuses a database that is not a cache, a missing directory argument and a file", () => {
  using dir = tempDir();
  const db = rawOpen(join(dir.path, "cache.db"));
  db.exec("CREATE TABLE Other (x)");
  db.close();
  assert.throws(
    () => new DiskCache(dir.path, { readonly: true }),
    (e: Error) => e instanceof DiskCacheError && /cache\.db" is not a cache database/.test(e.message),
  );
  assert.throws(() => new DiskCache(undefined, { readonly: true }), (e: Error) => e instanceof TypeError && /"directory" is required/.test(e.message));
  assert.throws(
    () => new DiskCache(join(dir.path, "cache.db"), { readonly: true }),
    (e: Error) => e instanceof DiskCacheError && /"directory" must be a directory, but ".*cache\.db" is a file/.test(e.message),
  );
});

test("least-recently-used: a hit on a value kept in a file counts as a use, so culling spares it", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now, evictionPolicy: "least-recently-used", minFileSize: 100, cullLimit: 0 });
  const big = new Uint8Array(50_000);
  cache.set("old", big);
  now = 1000;
  cache.set("newer", big);
  now = 2000;
  assert.deepEqual(cache.get("old"), big, "old is read from its file");
  now = 3000;
  cache.set("flush", 1); // the buffered hit is written with the next write
  cache.updateSettings({ sizeLimit: cache.volume() - 10_000 });
  assert.ok(cache.cull() >= 1);
  assert.equal(cache.has("newer"), false, "the least recently used is evicted first");
  assert.equal(cache.has("old"), true, "the file value just read is kept");
});

test("DiskCache.set() never evicts the value it just stored, and culls on write only what the excess needs", () => {
  using cache = tempCache({ sizeLimit: 1_000_000, minFileSize: 1000 });
  for (let i = 0; i < 30; i++) {
    cache.set(i, new Uint8Array(150_000).fill(i));
    const got = cache.get(i);
    assert.ok(got instanceof Uint8Array && got.length === 150_000 && got[0] === i, `set ${i} kept its own value`);
    if (i >= 6) assert.ok(cache.length >= 5, `after set ${i}: ${cache.length} items, not just what 150 KB over 1 MB needs`);
  }
  assert.ok(cache.volume() < 1_000_000 + 150_000 + 100_000, `volume ${cache.volume()}`);
});

test("DiskCache.set() over a zero-length value file (empty setFile or setStream) removes that file", async () => {
  using dir = tempDir();
  const empty = join(dir.path, "empty");
  writeFileSync(empty, "");
  using cache = new DiskCache(join(dir.path, "cache"));
  await cache.setFile("a", empty);
  await cache.setStream("b", new ReadableStream({ start: (c) => c.close() }));
  assert.deepEqual(cache.get("a"), new Uint8Array(0));
  cache.set("a", "small");
  cache.set("b", "small");
  assert.deepEqual(cache.check(), []);
  assert.equal(valueFiles(cache.directory).length, 0);
});

test("DiskCache: a bigint tag within 64 bits is stored, read back and evicted by", () => {
  using cache = tempCache();
  const tag = 2n ** 62n + 1n;
  cache.set("k", 1, { tag });
  cache.set("other", 2, { tag: 5n });
  assert.equal(cache.getEntry("k")?.tag, tag);
  assert.equal(cache.getEntry("other")?.tag, 5);
  assert.equal(cache.evict(tag), 1);
  assert.deepEqual([...cache.keys()], ["other"]);
});

test("DiskCache counts hits of inline values under least-recently-stored when statistics are on", () => {
  using cache = tempCache({ statistics: true });
  cache.set("s", "inline");
  assert.equal(cache.get("s"), "inline");
  assert.equal(cache.get("missing"), undefined);
  const stats = cache.stats();
  assert.equal(stats.hits, 1);
  assert.equal(stats.misses, 1);
});
