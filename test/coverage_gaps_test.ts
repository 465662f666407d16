// Paths the other tests leave out: FanoutCache's remaining methods and
// degradations, settings changes that touch pragmas, reads inside a write
// transaction, streams of inline values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { DEFAULT_SETTINGS, DiskCache, DiskCacheError, FanoutCache, Timeout } from "../mod.ts";
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
  const settings = cache.updateSettings({ sqliteCacheSize: 1000, sqliteMmapSize: 0, sqliteSynchronous: 2, sqliteJournalMode: "wal", evictionPolicy: "least-frequently-used", tagIndex: true, statistics: true });
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
  assert.throws(() => cache.get("k"), (e: Error) => e instanceof DiskCacheError && /Cannot read key "k": unknown value mode 9; it was written by a newer or foreign library/.test(e.message));
});

test("DiskCache ignores Settings rows it cannot read, using the defaults, and accepts bigint settings", () => {
  using dir = tempDir();
  new DiskCache(dir.path, { cullLimit: 3 }).close();
  const db = rawOpen(join(dir.path, "cache.db"));
  db.exec("UPDATE Settings SET value = 'many' WHERE key = 'cull_limit'");
  db.exec("UPDATE Settings SET value = 5 WHERE key = 'eviction_policy'");
  db.close();
  {
    using ro = new DiskCache(dir.path, { readonly: true });
    assert.equal(ro.cullLimit, DEFAULT_SETTINGS.cullLimit);
    assert.equal(ro.evictionPolicy, DEFAULT_SETTINGS.evictionPolicy);
  }
  using cache = new DiskCache(dir.path, { cullLimit: 7n as never });
  assert.equal(cache.cullLimit, 7);
  assert.equal(cache.evictionPolicy, DEFAULT_SETTINGS.evictionPolicy);
  cache.set("k", "v");
  assert.equal(cache.get("k"), "v");
});

test("the core without an entry point has no default driver and says how to get one", async () => {
  const res = await run(join(repoRoot, "node_modules", ".bin", "node"), ["--no-warnings", "--input-type=module", "-e", `
    const { DiskCache } = await import(${JSON.stringify(join(repoRoot, "src", "disk_cache.ts"))});
    try { new DiskCache(); console.log("opened"); } catch (e) { console.log(e.message); }`]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /no SQLite driver is registered; import DiskCache from the package entry point .* or pass the "driver" option/);
});
