// Paths the other tests leave out: FanoutCache's remaining methods and
// degradations, settings changes that touch pragmas, reads inside a write
// transaction, streams of inline values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SETTINGS, DiskCache, DiskCacheError, FanoutCache, Timeout } from "../mod.ts";
import { KeyvDiskCache } from "../src/adapters/keyv.ts";
import { rawOpen, repoRoot, run, tempCache, tempDir } from "./_helpers.ts";

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

test("DiskCache.updateSettings() applies pragmas to the connection and a new policy to reads", () => {
  using cache = tempCache();
  cache.set("a", 1);
  const settings = cache.updateSettings({
    sqliteCacheSize: 1000,
    sqliteMmapSize: 0,
    sqliteSynchronous: 2,
    sqliteJournalMode: "wal",
    evictionPolicy: "least-frequently-used",
    tagIndex: true,
    statistics: true,
  });
  assert.equal(settings.evictionPolicy, "least-frequently-used");
  assert.equal(cache.get("a"), 1, "reads use the new policy's statement");
  assert.equal(cache.stats().hits, 1);
  assert.throws(() => cache.updateSettings(null as never), TypeError);
  assert.deepEqual(cache.updateSettings({}), cache.settings);
});

test("DiskCache reads inside a transaction see its writes; getMany joins it", () => {
  using cache = tempCache();
  cache.transact(() => {
    cache.set("a", 1);
    assert.deepEqual(cache.getMany(["a", "b"]), [1, undefined]);
    assert.deepEqual([...cache.keys()], ["a"]);
  });
  assert.deepEqual(cache.getMany(["a"]), [1]);
});

test("DiskCache.getStream() of an inline string and of bytes written with a tag and ttl", async () => {
  using cache = tempCache();
  cache.set("t", "inline text", { ttl: 60_000, tag: "x" });
  assert.equal(await new Response(cache.getStream("t")).text(), "inline text");
  const reader = cache.getStream("t")!.getReader();
  await reader.cancel();
  assert.equal(cache.getEntry("t")?.tag, "x");
  const d = new DiskCache(cache.directory);
  d.close();
  assert.throws(() => d.getStream("t"), /closed/);
});

test("DiskCache.updateSettings() switches the journal mode now, or, inside a transaction, from the next connection on", () => {
  using cache = tempCache();
  cache.set("a", 1);
  const wal = join(cache.directory, "cache.db-wal");
  assert.equal(existsSync(wal), true, "WAL by default");
  cache.updateSettings({ sqliteJournalMode: "delete" });
  assert.equal(existsSync(wal), false, "leaving WAL checkpoints and removes the log");
  cache.transact(() => cache.updateSettings({ sqliteJournalMode: "wal" }));
  cache.set("b", 2);
  assert.equal(existsSync(wal), false, "SQLite cannot change the mode inside a transaction; this connection keeps it");
  using again = new DiskCache(cache.directory);
  assert.equal(again.settings.sqliteJournalMode, "wal");
  again.get("a");
  assert.equal(existsSync(wal), true, "a new connection applies the stored mode");
});

test("DiskCache: an ArrayBuffer key is the same raw key as its bytes; streams take raw keys", async () => {
  using cache = tempCache();
  cache.set(new Uint8Array([1, 2, 3]).buffer, "from a buffer");
  assert.equal(cache.get(new Uint8Array([1, 2, 3])), "from a buffer");
  await cache.setStream(7, new Blob(["streamed under a number key"]).stream());
  assert.equal(await new Response(cache.getStream(7n)).text(), "streamed under a number key");
  assert.deepEqual([...cache.keys()].sort(), [7, new Uint8Array([1, 2, 3])].sort());
});

test("DiskCache refuses a row with a value mode it does not know, naming the key and the mode", () => {
  using cache = tempCache();
  cache.set("k", "v");
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("UPDATE Cache SET mode = 9 WHERE key = 'k'");
  db.close();
  assert.throws(
    () => cache.get("k"),
    (e: Error) => e instanceof DiskCacheError && /Cannot read key "k": unknown value mode 9; it was written by a newer or foreign library/.test(e.message),
  );
});

test("DiskCache accepts bigint settings", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { cullLimit: 7n as never });
  assert.equal(cache.cullLimit, 7);
  cache.set("k", "v");
  assert.equal(cache.get("k"), "v");
});

test("the core without an entry point has no default driver and says how to get one", async () => {
  const res = await run(join(repoRoot, "node_modules", ".bin", "node"), [
    "--no-warnings",
    "--input-type=module",
    "-e",
    `
    const { DiskCache } = await import(${JSON.stringify(join(repoRoot, "src", "disk_cache.ts"))});
    try { new DiskCache(); console.log("opened"); } catch (e) { console.log(e.message); }`,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /no SQLite driver is registered; import DiskCache from the package entry point .* or pass the "driver" option/);
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

test("DiskCache streams take structured keys like every other method", async () => {
  using cache = tempCache();
  await cache.setStream(["user", 1], new Blob(["streamed"]).stream(), { tag: "t" });
  assert.equal(await new Response(cache.getStream(["user", 1])).text(), "streamed");
  assert.deepEqual(cache.get(["user", 1]), new TextEncoder().encode("streamed"));
  assert.equal(cache.getStream(["user", 2]), undefined);
});

test("DiskCache: the volume of an empty cache is its database pages; options left undefined take their defaults", () => {
  using cache = tempCache({ sizeLimit: undefined, cullLimit: undefined } as never);
  assert.equal(cache.length, 0);
  assert.ok(cache.volume() > 0 && cache.volume() % 512 === 0, `${cache.volume()}`);
  assert.equal(cache.sizeLimit, DEFAULT_SETTINGS.sizeLimit);
});

test("DiskCache.length names the fix when the Settings count row is missing; check({ fix: true }) restores it", () => {
  using cache = tempCache();
  cache.set("a", 1);
  cache.set("b", 2);
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("DELETE FROM Settings WHERE key = 'count'");
  db.close();
  assert.throws(() => cache.length, (e: Error) => e instanceof DiskCacheError && /has no "count" row; run check\(\{ fix: true \}\)/.test(e.message));
  const warnings = cache.check({ fix: true });
  assert.ok(
    warnings.some((w) => w.kind === "count" && /Settings count is NaN but the Cache table holds 2; corrected/.test(w.message)),
    JSON.stringify(warnings),
  );
  assert.equal(cache.length, 2);
});

test("DiskCache iterates by key across pages when a page ends on a bigint key beyond 2^53", () => {
  using cache = tempCache();
  const base = 2n ** 60n;
  cache.transact(() => {
    for (let i = 0n; i < 250n; i++) cache.set(base + i, Number(i));
  });
  const keys = [...cache.keys({ order: "key" })];
  assert.equal(keys.length, 250);
  assert.deepEqual(keys.slice(98, 102), [base + 98n, base + 99n, base + 100n, base + 101n]);
  assert.deepEqual([...cache.keys({ order: "key", reverse: true })].at(-1), base);
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

test("DiskCache: updateSettings({ tagIndex: false }) drops the tag index; stats({ enable }) persists for other connections", () => {
  using cache = tempCache({ tagIndex: true });
  const indexes = () => {
    const db = rawOpen(join(cache.directory, "cache.db"));
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);
    db.close();
    return names;
  };
  assert.ok(indexes().includes("Cache_tag_rowid"));
  cache.updateSettings({ tagIndex: false });
  assert.ok(!indexes().includes("Cache_tag_rowid"));
  cache.stats({ enable: true });
  using other = new DiskCache(cache.directory);
  assert.equal(other.settings.statistics, true);
});

test("DiskCache reopens with the policy index rebuilt when someone dropped it", () => {
  using dir = tempDir();
  new DiskCache(dir.path, { evictionPolicy: "least-recently-used" }).close();
  const db = rawOpen(join(dir.path, "cache.db"));
  db.exec("DROP INDEX Cache_access_time");
  db.close();
  new DiskCache(dir.path).close();
  const check = rawOpen(join(dir.path, "cache.db"));
  const names = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);
  check.close();
  assert.ok(names.includes("Cache_access_time"), names.join());
});

test("DiskCache turns an SQLite error it has no special message for into a DiskCacheError naming the database", () => {
  using cache = tempCache();
  cache.set("k", 1);
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("DROP TABLE Cache");
  db.close();
  assert.throws(
    () => cache.get("k"),
    (e: Error) => e instanceof DiskCacheError && /Cannot get: SQLite failed on ".*cache\.db": .*Cache/.test(e.message) && e.cause !== undefined,
  );
});

test("KeyvDiskCache without an error listener throws the cache's error to its caller", async () => {
  using dir = tempDir();
  const store = new KeyvDiskCache(dir.path);
  store.cache.close();
  await assert.rejects(async () => await store.get("x"), (e: Error) => e instanceof DiskCacheError && /closed/.test(e.message));
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

test("DiskCache keeps working without a Settings size row; check({ fix: true }) restores it", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.set("a", "a value kept in a file");
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("DELETE FROM Settings WHERE key = 'size'");
  db.close();
  const pages = cache.volume();
  cache.set("b", "another value kept in a file");
  assert.equal(cache.get("b"), "another value kept in a file");
  assert.ok(cache.volume() >= pages);
  const warnings = cache.check({ fix: true });
  assert.ok(
    warnings.some((w) => w.kind === "size" && /Settings size is NaN but the Cache table holds \d+; corrected/.test(w.message)),
    JSON.stringify(warnings),
  );
  assert.deepEqual(cache.check(), []);
});

test("DiskCache.check() throws Timeout, not a damage report, when another connection holds the lock it needs", () => {
  using cache = tempCache({ timeout: 20 });
  cache.set("a", 1);
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("UPDATE Settings SET value = 99 WHERE key = 'count'");
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.throws(() => cache.check({ fix: true }), (e: Error) => e instanceof Timeout && /stayed locked/.test(e.message));
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.check({ fix: true }).length, 1, "once the lock is free, the count is corrected");
  assert.equal(cache.length, 1);
});

test("DiskCache counts hits of inline values under least-recently-stored when statistics are on; queue methods refuse options of other methods", () => {
  using cache = tempCache({ statistics: true });
  cache.set("s", "inline");
  assert.equal(cache.get("s"), "inline");
  assert.equal(cache.get("missing"), undefined);
  const stats = cache.stats();
  assert.equal(stats.hits, 1);
  assert.equal(stats.misses, 1);
  assert.throws(
    () => cache.push(1, { ttl: 5, expire: 1 } as never),
    (e: Error) => e instanceof TypeError && /Cannot push: unknown option "expire"/.test(e.message),
  );
  assert.throws(() => cache.pull({ ttl: 5 } as never), (e: Error) => e instanceof TypeError && /Cannot pull: unknown option "ttl"/.test(e.message));
});
