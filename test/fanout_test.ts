import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, DiskCacheError, FanoutCache, Timeout } from "../mod.ts";
import { compareKeys, storedKeyOrder } from "../src/format/key_order.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

test("FanoutCache routes keys to shards 000.. and offers the DiskCache operations", async () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 4, sizeLimit: 4 * 2 ** 20 });
  for (const s of ["000", "001", "002", "003"]) assert.ok(existsSync(join(dir.path, s, "cache.db")));
  assert.equal(cache.sizeLimit, 4 * 2 ** 20);
  for (let i = 0; i < 100; i++) cache.set(`k${i}`, i, { tag: i % 2 ? "odd" : "even" });
  assert.equal(cache.length, 100);
  assert.equal(new Set(Array.from({ length: 100 }, (_, i) => cache.shardOf(`k${i}`))).size, 4, "keys spread over every shard");
  assert.equal(cache.get("k7"), 7);
  assert.equal(cache.add("k7", 0), false);
  assert.equal(cache.incr("n", 2), 2);
  assert.equal(cache.pop("n"), 2);
  assert.equal(cache.touch("k1", 1000), true);
  assert.deepEqual(cache.getMany(["k1", "nope", "k2"]), [1, undefined, 2]);
  assert.equal(cache.setMany([["x", 1], ["y", 2]]), 2);
  assert.equal(cache.deleteMany(["x", "y", "z"]), 2);
  assert.equal(cache.evict("odd"), 50);
  assert.equal([...cache.keys()].length, 50);
  assert.equal(cache.clear(), 50);
  await cache.setStream("s", new Blob(["streamed"]).stream());
  assert.equal(new TextDecoder().decode(cache.get<Uint8Array>("s")), "streamed");
  assert.deepEqual(cache.check(), []);
  const memo = cache.memoize(function twice(n: number) {
    return n * 2;
  });
  assert.equal(memo(21), 42);
  assert.equal(cache.get(memo.cacheKey(21)), 42);
  assert.throws(() => new FanoutCache(dir.path, { shards: 0 }), RangeError);
});

test("FanoutCache degrades instead of throwing when a shard stays locked, and counts it", () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 2, timeout: 20 });
  const shard = cache.shardOf("key");
  const db = rawOpen(join(shard.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.equal(cache.set("key", 1), false);
    assert.equal(cache.add("key", 1), false);
    assert.equal(cache.incr("key"), undefined);
    assert.equal(cache.delete("key"), false);
    assert.equal(cache.get("key"), undefined, "reads are not blocked by a writer (WAL); a miss here is a real miss");
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.stats().timeouts, 4);
  assert.equal(cache.set("key", 1), true);
});

test("FanoutCache cache(), deque() and index() are named sub-collections", () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 2 });
  const sub = cache.cache("sessions");
  sub.transact(() => sub.set("a", 1));
  assert.equal(cache.cache("sessions"), sub);
  assert.ok(existsSync(join(dir.path, "cache", "sessions", "cache.db")));
  cache.deque("jobs").push(1, 2);
  assert.deepEqual([...cache.deque("jobs")], [1, 2]);
  cache.index("users").set("ada", { admin: true });
  assert.deepEqual(cache.index("users").get("ada"), { admin: true });
  assert.throws(() => cache.cache("../escape"), TypeError);
});

test("FanoutCache without a directory makes a temporary one; read-only opens existing shards as they are", () => {
  const cache = new FanoutCache(undefined, { shards: 2 });
  try {
    assert.equal(cache.shardCount, 2);
    assert.ok(existsSync(join(cache.directory, "000", "cache.db")) && existsSync(join(cache.directory, "001", "cache.db")));
    cache.set("k", "v");
    cache.updateSettings({ cullLimit: 3 });
    assert.ok(cache.shards.every((s) => s.cullLimit === 3 && s.sizeLimit === Math.floor(2 ** 30 / 2)), "other settings are left alone");
    const ro = new FanoutCache(cache.directory, { shards: 2, readonly: true });
    assert.equal(ro.get("k"), "v");
    assert.equal(ro.sizeLimit, 2 * Math.floor(2 ** 30 / 2));
    ro.close();
    cache.close();
    assert.equal(existsSync(cache.directory), false, "closing removes the temporary directory it made");
  } finally {
    rmSync(cache.directory, { recursive: true, force: true });
  }
});

test("FanoutCache closes the shards it opened when a later shard cannot be opened", (t) => {
  if (!existsSync("/proc/self/fd")) return t.skip("needs /proc");
  using dir = tempDir();
  writeFileSync(join(dir.path, "002"), "not a directory");
  const fds = () => readdirSync("/proc/self/fd").length;
  const before = fds();
  assert.throws(() => new FanoutCache(dir.path, { shards: 3 }), (e: Error) => e instanceof DiskCacheError && /"directory" must be a directory/.test(e.message));
  assert.equal(fds(), before, "shards 000 and 001 were closed again");
  rmSync(join(dir.path, "002"));
  using cache = new FanoutCache(dir.path, { shards: 3 });
  cache.set("k", 1);
  assert.equal(cache.get("k"), 1);
});

test("FanoutCache with one shard locked: stats() reads pending counts without waiting, and settings change on every shard or none", () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 4, statistics: true, timeout: 20 });
  const busy = cache.shards[2]!;
  const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => cache.shardOf(k) === busy)!;
  cache.set(key, 1);
  const db = rawOpen(join(busy.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.equal(cache.get(key), 1);
    assert.equal(cache.get("missing"), undefined);
    const stats = cache.stats();
    assert.equal(stats.hits, 1, "the pending hit is counted");
    assert.equal(stats.misses, 1);
    assert.equal(stats.timeouts, 0);
    const before = cache.shards.map((s) => [s.cullLimit, s.tagIndex, s.sizeLimit]);
    assert.throws(() => cache.updateSettings({ cullLimit: 3, sizeLimit: 2 ** 20 }), Timeout);
    assert.throws(() => cache.createTagIndex(), Timeout);
    assert.throws(() => cache.stats({ reset: true }), Timeout);
    assert.deepEqual(cache.shards.map((s) => [s.cullLimit, s.tagIndex, s.sizeLimit]), before, "no shard changed");
    assert.deepEqual(cache.shards.map((s) => s.reloadSettings().cullLimit), before.map((b) => b[0]), "nothing was written either");
    assert.equal(cache.stats().timeouts, 3);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  cache.updateSettings({ cullLimit: 3, sizeLimit: 2 ** 20 });
  cache.createTagIndex();
  assert.ok(cache.shards.every((s) => s.cullLimit === 3 && s.tagIndex && s.sizeLimit === 2 ** 18));
  assert.ok(cache.shards.every((s) => s.reloadSettings().cullLimit === 3));
  cache.dropTagIndex();
  cache.updateSettings({ sqliteJournalMode: "wal", sqliteCacheSize: 4096 });
  assert.throws(() => cache.updateSettings(null as never), (e: Error) => e instanceof TypeError && /expected an object/.test(e.message));
  assert.throws(() => cache.updateSettings({ nope: 1 } as never), TypeError);
  assert.ok(cache.shards.every((s) => !s.tagIndex && s.settings.sqliteCacheSize === 4096));
  const reset = cache.stats({ reset: true });
  assert.equal(reset.hits, 1);
  assert.equal(reset.timeouts, 3);
  assert.deepEqual([cache.stats().hits, cache.stats().timeouts], [0, 0], "reset zeroes what was pending too");
});

test("FanoutCache's sizeLimit is split over the shards, and a value too large for its shard is refused naming the share", async () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 8, sizeLimit: 8 * 2 ** 20 });
  assert.equal(cache.sizeLimit, 8 * 2 ** 20);
  const big = new Uint8Array(2 * 2 ** 20);
  const share = /each of its 8 shards holds 1048576 bytes of the total 8388608/;
  assert.throws(() => cache.set("big", big), (e: Error) => e instanceof RangeError && share.test(e.message));
  await assert.rejects(cache.setStream("big", new Blob([big]).stream()), (e: Error) => e instanceof RangeError && share.test(e.message));
  assert.equal(cache.set("fits", new Uint8Array(2 ** 19)), true);
});

test("FanoutCache.keys({ order: 'key' }) merges the shards into the order one DiskCache gives, both ways", () => {
  using dir = tempDir();
  using fanout = new FanoutCache(join(dir.path, "f"), { shards: 5 });
  using single = new DiskCache(join(dir.path, "s"));
  const keys: unknown[] = [
    -5,
    0,
    1,
    2.5,
    10,
    2 ** 40,
    -(2 ** 31) - 0.5,
    7n,
    "",
    "a",
    "B",
    "ab",
    "é",
    "\u{1F600}",
    "\uFFFD",
    "\uE000",
    "z",
    new Uint8Array([]),
    new Uint8Array([0]),
    new Uint8Array([1, 2]),
    new Uint8Array([255]),
    [1, "x"],
    { a: 1 },
    true,
    null,
  ];
  for (let i = 0; i < 60; i++) keys.push(`s${i}`, i * 37 - 500, new Uint8Array([i, i]));
  for (const k of keys) {
    fanout.set(k as string, 1);
    single.set(k as string, 1);
  }
  const canon = (list: unknown[]) => list.map((k) => (k instanceof Uint8Array ? `bytes:${[...k]}` : typeof k === "bigint" ? Number(k) : k));
  for (const reverse of [false, true]) {
    const want = canon([...single.keys({ order: "key", reverse })]);
    assert.deepEqual(canon([...fanout.keys({ order: "key", reverse })]), want, `reverse: ${reverse}`);
    assert.deepEqual(canon([...fanout.entries({ order: "key", reverse })].map(([k]) => k)), want);
  }
  assert.equal([...fanout.keys()].length, keys.length);
  assert.equal([...fanout.entries({ reverse: true })].length, keys.length);
});

test("FanoutCache.getFile degrades like the other reads when its shard is locked exclusively", async () => {
  using dir = tempDir();
  // Without WAL, a writer's exclusive lock keeps readers out.
  using cache = new FanoutCache(dir.path, { shards: 2, timeout: 20, sqliteJournalMode: "delete" });
  cache.set("f", "x".repeat(100));
  const out = join(dir.path, "out.txt");
  assert.equal(await cache.getFile("f", out), true);
  assert.equal(readFileSync(out, "utf8"), "x".repeat(100));
  const db = rawOpen(join(cache.shardOf("f").directory, "cache.db"));
  db.exec("BEGIN EXCLUSIVE");
  try {
    assert.equal(cache.get("f"), undefined);
    assert.equal(await cache.getFile("f", out), false);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.stats().timeouts, 2);
});

test("FanoutCache.stats() degrades, not throws, when a shard is locked exclusively (journal mode delete)", () => {
  using dir = tempDir();
  // Without WAL, a writer's exclusive lock keeps readers out: the shard's stats read times out.
  using cache = new FanoutCache(dir.path, { shards: 2, timeout: 20, sqliteJournalMode: "delete", statistics: true, sizeLimit: 2 ** 20 });
  const busy = cache.shardOf("a");
  const free = ["b", "c", "d", "e", "f", "g"].find((k) => cache.shardOf(k) !== busy)!;
  cache.set("a", 1);
  cache.set(free, 2);
  assert.equal(cache.get(free), 2);
  const db = rawOpen(join(busy.directory, "cache.db"));
  db.exec("BEGIN EXCLUSIVE");
  try {
    const stats = cache.stats();
    assert.deepEqual(
      [stats.count, stats.hits, stats.timeouts, stats.sizeLimit],
      [1, 1, 1, 2 ** 20],
      "the free shard's counts, the busy one counted as a timeout",
    );
    assert.throws(() => cache.stats({ reset: true }), Timeout, 'a reset changes every shard or none (not a raw "database is locked")');
    assert.throws(() => busy.reloadSettings(), (e: Error) => e instanceof Timeout && /Cannot reload settings/.test(e.message));
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  const stats = cache.stats({ reset: true });
  assert.deepEqual([stats.count, stats.hits, stats.timeouts], [2, 1, 2], "the refused reset counted too");
  assert.equal(cache.stats().timeouts, 0);
});

test("Key order: a key iteration returned that cannot be encoded again sorts after every stored key", () => {
  const unencodable = storedKeyOrder(undefined);
  assert.equal(unencodable.cls, 3);
  assert.equal(compareKeys(unencodable, storedKeyOrder(undefined)), 0);
  assert.ok(compareKeys(storedKeyOrder(new Uint8Array([255])), unencodable) < 0);
  assert.ok(compareKeys(storedKeyOrder("\u{1F600}"), storedKeyOrder("\uFFFD")) > 0, "code point order, as UTF-8 bytes compare");
  assert.ok(compareKeys(storedKeyOrder(2n ** 62n), storedKeyOrder(2 ** 62 + 2 ** 11)) < 0, "numbers and bigints compare exactly");
  assert.ok(compareKeys(storedKeyOrder(2 ** 62 + 2 ** 11), storedKeyOrder(2n ** 62n)) > 0);
  assert.equal(compareKeys(storedKeyOrder(1), storedKeyOrder(1n)), 0, "1 and 1n are one key");
});

test("FanoutCache: every routed method degrades on a busy shard; bulk removals give up after 100 attempts", async () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 2, timeout: 20 });
  cache.set("key", 1, { tag: "t" });
  const shard = cache.shardOf("key");
  const db = rawOpen(join(shard.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.equal(cache.pop("key"), undefined);
    assert.equal(cache.touch("key", 100), false);
    assert.equal(cache.decr("key"), undefined);
    assert.equal(await cache.setStream("key", new Blob(["x"]).stream()), false);
    const source = join(dir.path, "source");
    writeFileSync(source, "x");
    assert.equal(await cache.setFile("key", source), false);
    assert.equal(cache.setMany([["key", 2]]), 0);
    assert.equal(cache.deleteMany(["key"]), 0);
    assert.equal(cache.getEntry("key")?.value, 1, "reads still work");
    assert.equal(cache.has("key"), true);
    // A shard that stays busy: evict gives up after 100 attempts instead of hanging.
    assert.throws(() => cache.evict("t"), (e: Error) => e instanceof Timeout && (e as Timeout & { removed: number }).removed === 0);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.ok(cache.stats().timeouts >= 100);
  assert.equal(cache.evict("t"), 1);
  assert.equal(cache.has("key"), false);
});

test("FanoutCache: settings, tag index, streams, expire and cull across shards", async () => {
  using dir = tempDir();
  let now = 0;
  using cache = new FanoutCache(dir.path, { shards: 3, clock: () => now, cullLimit: 0 });
  cache.createTagIndex();
  assert.ok(cache.shards.every((s) => s.tagIndex));
  cache.dropTagIndex();
  cache.updateSettings({ sizeLimit: 3 * 2 ** 20, cullLimit: 5 });
  assert.equal(cache.sizeLimit, 3 * 2 ** 20);
  assert.ok(cache.shards.every((s) => s.cullLimit === 5));
  cache.reloadSettings();
  for (let i = 0; i < 30; i++) cache.set(i, i, { ttl: 10 });
  await cache.setStream("s", new Blob(["streamed"]).stream());
  assert.equal(new TextDecoder().decode(await new Response(cache.getStream("s")).arrayBuffer()), "streamed");
  assert.deepEqual([...cache.entries()].length, 31);
  assert.deepEqual([...cache].length, 31);
  now = 100;
  assert.equal(cache.expire(), 30);
  assert.equal(cache.cull(), 0);
  assert.ok(cache.volume() > 0);
  assert.equal(cache.timeout, 10);
  const s = cache.stats({ reset: true });
  assert.equal(s.count, 1);
  assert.equal(cache.decr("n", 1, 10), 9);
  assert.throws(() => new FanoutCache(dir.path, null as never), TypeError);
  assert.throws(() => new FanoutCache("" as never), TypeError);
});

test("FanoutCache passes on errors other than Timeout instead of degrading", async () => {
  using dir = tempDir();
  const cache = new FanoutCache(dir.path, { shards: 2 });
  cache.close();
  const closed = (e: Error) => e instanceof DiskCacheError && /closed/.test(e.message);
  assert.throws(() => cache.set("k", 1), closed);
  await assert.rejects(cache.setStream("k", new Blob(["x"]).stream()), closed);
  assert.throws(() => cache.clear(), closed);
});

test("FanoutCache refuses a directory made with another shard count instead of hiding its keys", () => {
  using dir = tempDir();
  {
    using cache = new FanoutCache(dir.path, { shards: 8 });
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i);
  }
  writeFileSync(join(dir.path, "notes.txt"), "not a shard");
  const names = (n: number) => (e: Error) => e instanceof DiskCacheError && e.message.includes(`holds ${n} shards`) && e.message.includes(`{ shards: ${n} }`);
  // Fewer shards than stored: 004..007 would never be read.
  assert.throws(() => new FanoutCache(dir.path, { shards: 4 }), names(8));
  // More shards than stored, and the stored ones hold items.
  assert.throws(() => new FanoutCache(dir.path, { shards: 12 }), names(8));
  assert.ok(!existsSync(join(dir.path, "008")), "a refused open creates no shard");
  using cache = new FanoutCache(dir.path, { shards: 8 });
  assert.equal(cache.get("k7"), 7);
  assert.equal(cache.length, 20);
});

test("FanoutCache opens a half-created directory (fewer shards, all empty) and ignores shard-named directories without cache.db", () => {
  using dir = tempDir();
  new FanoutCache(dir.path, { shards: 3 }).close();
  mkdirSync(join(dir.path, "009"));
  {
    using cache = new FanoutCache(dir.path, { shards: 6 });
    assert.equal(cache.shardCount, 6);
    cache.set("k", 1);
  }
  assert.ok(existsSync(join(dir.path, "005", "cache.db")));
  // A directory not there yet is created as before.
  using fresh = new FanoutCache(join(dir.path, "nested", "cache"), { shards: 2 });
  assert.equal(fresh.shardCount, 2);
});

test("a FanoutCache directory opened as a DiskCache, or a DiskCache directory opened as a FanoutCache, is refused with the way out", () => {
  using fanoutDir = tempDir();
  using diskDir = tempDir();
  {
    using fanout = new FanoutCache(fanoutDir.path, { shards: 2 });
    fanout.set("a", 1);
    using disk = new DiskCache(diskDir.path);
    disk.set("b", 2);
  }
  for (const readonly of [false, true]) {
    assert.throws(
      () => new DiskCache(fanoutDir.path, { readonly }),
      (e: Error) => e instanceof DiskCacheError && /holds a FanoutCache \(its first shard, 000\/cache\.db\); open it with new FanoutCache/.test(e.message),
    );
    assert.throws(
      () => new FanoutCache(diskDir.path, { shards: 2, readonly }),
      (e: Error) => e instanceof DiskCacheError && /holds a DiskCache \(cache\.db\).*open it with new DiskCache\(directory\)/.test(e.message),
    );
  }
  assert.equal(existsSync(join(fanoutDir.path, "cache.db")), false, "the refused DiskCache created nothing");
  assert.equal(existsSync(join(diskDir.path, "000")), false, "the refused FanoutCache created nothing");
  using fanout = new FanoutCache(fanoutDir.path, { shards: 2 });
  assert.equal(fanout.get("a"), 1);
  using disk = new DiskCache(diskDir.path);
  assert.equal(disk.get("b"), 2);
});

test("FanoutCache counts one miss for a missing integral key, though it may live in two shards", () => {
  using dir = tempDir();
  using cache = new FanoutCache(dir.path, { shards: 8, statistics: true });
  assert.equal(cache.get(100), undefined);
  assert.equal(cache.has(100), false);
  cache.set(100, null);
  assert.equal(cache.get(100), null, "a stored null is found");
  assert.deepEqual([cache.stats().hits, cache.stats().misses], [1, 1]);
});
