// Settings (src/settings.ts): updateSettings() applying pragmas, the journal
// mode, the tag index and statistics; bigint and undefined options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SETTINGS, DiskCache } from "../mod.ts";
import { rawOpen, tempCache, tempDir } from "./_helpers.ts";

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

test("DiskCache.updateSettings() switches the journal mode now; inside a transaction, where SQLite cannot, it refuses and saves nothing", () => {
  using cache = tempCache();
  cache.set("a", 1);
  const wal = join(cache.directory, "cache.db-wal");
  assert.equal(existsSync(wal), true, "WAL by default");
  cache.updateSettings({ sqliteJournalMode: "delete" });
  assert.equal(existsSync(wal), false, "leaving WAL checkpoints and removes the log");
  assert.throws(() => cache.transact(() => cache.updateSettings({ sqliteJournalMode: "wal" })), /inside a transaction.*nothing was saved/);
  cache.set("b", 2);
  assert.equal(existsSync(wal), false, "this connection keeps its mode");
  using again = new DiskCache(cache.directory);
  assert.equal(again.settings.sqliteJournalMode, "delete", "and the stored one");
  cache.updateSettings({ sqliteJournalMode: "wal" });
  again.get("a");
  assert.equal(existsSync(wal), true, "outside a transaction it switches");
});

test("DiskCache accepts bigint settings", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { cullLimit: 7n as never });
  assert.equal(cache.cullLimit, 7);
  cache.set("k", "v");
  assert.equal(cache.get("k"), "v");
});

test("DiskCache: the volume of an empty cache is its database pages; options left undefined take their defaults", () => {
  using cache = tempCache({ sizeLimit: undefined, cullLimit: undefined } as never);
  assert.equal(cache.length, 0);
  assert.ok(cache.volume() > 0 && cache.volume() % 512 === 0, `${cache.volume()}`);
  assert.equal(cache.sizeLimit, DEFAULT_SETTINGS.sizeLimit);
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
