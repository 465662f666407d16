// Settings rows this version cannot use (a newer version's eviction policy,
// hand edits) refuse the open with a DiskCacheError that names the row, the
// value and the way out, instead of crashing or silently using a default.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, DiskCacheError } from "../mod.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

function store(dir: string, column: string, sql: string): void {
  const db = rawOpen(join(dir, "cache.db"));
  db.exec(`UPDATE Settings SET value = ${sql} WHERE key = '${column}'`);
  db.close();
}

test("DiskCache refuses to open with an unknown eviction_policy in Settings, naming it and the valid ones; the option overwrites it", () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  store(dir.path, "eviction_policy", "'least-recently-written'");
  const named = (e: Error) =>
    e instanceof DiskCacheError && /eviction_policy/.test(e.message) && /"least-recently-written"/.test(e.message) &&
    /"least-recently-stored", "least-recently-used", "least-frequently-used" or "none"/.test(e.message) && /"evictionPolicy" option/.test(e.message);
  assert.throws(() => new DiskCache(dir.path), named);
  assert.throws(() => new DiskCache(dir.path, { readonly: true }), named);
  {
    using cache = new DiskCache(dir.path, { evictionPolicy: "least-recently-used" });
    cache.set("k", "v");
    assert.equal(cache.get("k"), "v");
  }
  using again = new DiskCache(dir.path);
  assert.equal(again.evictionPolicy, "least-recently-used", "the option was written over the unknown value");
});

test("DiskCache refuses garbage in every stored setting, and reloadSettings() too", () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  const cases: [column: string, sql: string, option: string][] = [
    ["size_limit", "'many'", "sizeLimit"],
    ["cull_limit", "-5", "cullLimit"],
    ["disk_min_file_size", "X'00'", "minFileSize"],
    ["statistics", "'yes'", "statistics"],
    ["tag_index", "NULL", "tagIndex"],
    ["sqlite_journal_mode", "'wal; DROP TABLE Cache'", "sqliteJournalMode"],
    ["sqlite_synchronous", "9", "sqliteSynchronous"],
    ["eviction_policy", "5", "evictionPolicy"],
  ];
  for (const [column, sql, option] of cases) {
    const db = rawOpen(join(dir.path, "cache.db"));
    const before = (db.prepare("SELECT value FROM Settings WHERE key = ?").get(column) as { value: unknown }).value;
    db.close();
    store(dir.path, column, sql);
    assert.throws(
      () => new DiskCache(dir.path),
      (e: Error) => e instanceof DiskCacheError && e.message.includes(`stored setting ${column}:`) && e.message.includes(`"${option}" option`),
      column,
    );
    const db2 = rawOpen(join(dir.path, "cache.db"));
    db2.prepare("UPDATE Settings SET value = ? WHERE key = ?").run(before as never, column);
    db2.close();
  }
  using cache = new DiskCache(dir.path);
  store(dir.path, "cull_limit", "'lots'");
  assert.throws(() => cache.reloadSettings(), (e: Error) => e instanceof DiskCacheError && /cull_limit/.test(e.message));
});

test("DiskCache reads Python's stored forms: an infinite size_limit, float and text numbers, 0/1 booleans", () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  store(dir.path, "size_limit", "9e999");
  store(dir.path, "cull_limit", "12.0");
  store(dir.path, "disk_min_file_size", "'4096'");
  store(dir.path, "statistics", "1");
  using cache = new DiskCache(dir.path, { readonly: true });
  assert.equal(cache.sizeLimit, Number.MAX_SAFE_INTEGER);
  assert.equal(cache.cullLimit, 12);
  assert.equal(cache.minFileSize, 4096);
  assert.equal(cache.statistics, true);
});

test("a numeric setting stored as a 64-bit integer (a bigint from the binding) reads as a number", async () => {
  const { fromStored } = await import("../src/settings.ts");
  assert.equal(fromStored("sizeLimit", 5n), 5);
  assert.equal(fromStored("statistics", 1n), true);
  assert.equal(fromStored("statistics", 0n), false);
});

test("reloadSettings() keeps the setting in force when its Settings row is NULL", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { cullLimit: 7 });
  const db = rawOpen(join(dir.path, "cache.db"));
  try {
    db.prepare("UPDATE Settings SET value = NULL WHERE key = 'cull_limit'").run();
    db.prepare("UPDATE Settings SET value = 3 WHERE key = 'size_limit'").run();
  } finally {
    db.close();
  }
  const reloaded = cache.reloadSettings();
  assert.equal(reloaded.cullLimit, 7);
  assert.equal(reloaded.sizeLimit, 3, "the other rows are read");
});
