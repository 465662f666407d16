// The cache's lifecycle: a journal-mode change another connection prevents,
// the directory deleted or the database replaced under an open cache, and
// close() called inside transact().
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, DiskCacheError, Timeout } from "../mod.ts";
import { IDENTITY_CHECK_MS } from "../src/engine/engine.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

function storedJournalMode(dir: string): unknown {
  const db = rawOpen(join(dir, "cache.db"));
  try {
    return (db.prepare("SELECT value FROM Settings WHERE key = 'sqlite_journal_mode'").get() as { value: unknown }).value;
  } finally {
    db.close();
  }
}

test("DiskCache.updateSettings() of sqliteJournalMode while another connection is open refuses before saving anything; alone, it applies", () => {
  using dir = tempDir();
  const a = new DiskCache(dir.path, { timeout: 200 });
  const b = new DiskCache(dir.path, { timeout: 200 });
  try {
    assert.throws(
      () => a.updateSettings({ sqliteJournalMode: "delete" }),
      (e: Error) => e instanceof Timeout && /sqliteJournalMode/.test(e.message) && /nothing was saved/.test(e.message),
    );
    assert.equal(a.settings.sqliteJournalMode, "wal", "the setting in force is unchanged");
    assert.equal(storedJournalMode(dir.path), "wal", "nothing was saved");
    // Opening again (while both stay open) finds nothing to apply: no wait, no Timeout.
    new DiskCache(dir.path, { timeout: 200 }).close();
    a.set("k", "v");
    assert.equal(b.get("k"), "v");
    // Inside a transaction the journal mode cannot change either: refused, nothing saved.
    assert.throws(
      () => a.transact(() => a.updateSettings({ sqliteJournalMode: "delete" })),
      (e: Error) => e instanceof DiskCacheError && /transaction/.test(e.message) && /nothing was saved/.test(e.message),
    );
    assert.equal(storedJournalMode(dir.path), "wal");
  } finally {
    b.close();
  }
  // Alone, the change applies and is saved; the next open keeps it.
  a.updateSettings({ sqliteJournalMode: "delete" });
  assert.equal(a.settings.sqliteJournalMode, "delete");
  a.set("k2", "v2");
  a.close();
  assert.equal(storedJournalMode(dir.path), "delete");
  assert.ok(!existsSync(join(dir.path, "cache.db-wal")), "no WAL file once the journal mode is delete");
  using again = new DiskCache(dir.path, { timeout: 200 });
  assert.equal(again.settings.sqliteJournalMode, "delete");
  assert.equal(again.get("k2"), "v2");
});

/**
 * Lets {@linkcode IDENTITY_CHECK_MS} pass, so that the next write checks the
 * database file (a write within that time of a check that found it trusts it).
 */
function pastIdentityCheck(): void {
  const start = performance.now();
  while (performance.now() - start <= IDENTITY_CHECK_MS) { /* spin: a monotonic clock, no timer rounding */ }
}

const gone = (e: Error) => e instanceof DiskCacheError && /was deleted/.test(e.message) && /open it again/.test(e.message);

test("DiskCache refuses every write once its directory was deleted while it was open, instead of acknowledging lost writes", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  using cache = new DiskCache(path, { minFileSize: 100 });
  cache.set("a", "small");
  rmSync(path, { recursive: true, force: true });
  pastIdentityCheck();
  assert.throws(() => cache.set("b", "small"), gone);
  assert.throws(() => cache.set("big", "x".repeat(1000)), gone);
  await assert.rejects(cache.setStream("s", new Blob(["x".repeat(1000)]).stream()), gone);
  assert.throws(() => cache.delete("a"), gone);
  assert.throws(() => cache.transact(() => cache.set("c", 1)), gone);
  assert.ok(!existsSync(path), "nothing recreated the directory");
  // A new cache at the same path is another database: the old object still refuses.
  mkdirSync(path);
  using fresh = new DiskCache(path);
  assert.throws(() => cache.set("d", 1), gone);
  fresh.set("d", 2);
  assert.equal(fresh.get("d"), 2);
});

test("DiskCache refuses every write once its database file was replaced while it was open", () => {
  using dir = tempDir();
  const one = join(dir.path, "one"), two = join(dir.path, "two");
  using cache = new DiskCache(one);
  cache.set("a", 1);
  new DiskCache(two).close();
  renameSync(join(two, "cache.db"), join(one, "cache.db"));
  pastIdentityCheck();
  assert.throws(() => cache.set("b", 2), gone);
  assert.throws(() => cache.updateSettings({ cullLimit: 3 }), gone);
  using reopened = new DiskCache(one);
  assert.equal(reopened.get("b"), undefined);
});

const closed = (e: Error) => e instanceof DiskCacheError && /is closed/.test(e.message) && /open a new DiskCache/.test(e.message);

test("DiskCache.close() inside transact() ends it with the closed-cache error, and what it wrote is not kept", () => {
  using dir = tempDir();
  {
    const cache = new DiskCache(dir.path);
    assert.throws(() =>
      cache.transact(() => {
        cache.set("a", 1);
        cache.close();
        return 1;
      }), closed);
  }
  {
    // Nested: the close happens inside a savepoint.
    const cache = new DiskCache(dir.path);
    assert.throws(() =>
      cache.transact(() => {
        cache.set("b", 1);
        cache.transact(() => {
          cache.set("c", 1);
          cache.close();
        });
      }), closed);
  }
  {
    // The callback's own error after a close still reaches the caller.
    const cache = new DiskCache(dir.path);
    assert.throws(() =>
      cache.transact(() => {
        cache.transact(() => {
          cache.close();
          throw new RangeError("mine");
        });
      }), /mine/);
  }
  {
    // Inside a read snapshot (getMany reads in one).
    const cache = new DiskCache(dir.path);
    cache.set("x", 1);
    const closing = {
      get k() {
        cache.close();
        return 1;
      },
    };
    assert.throws(() => cache.getMany(["x", closing, "x"]), closed);
  }
  using cache = new DiskCache(dir.path);
  assert.deepEqual(cache.getMany(["a", "b", "c", "x"]), [undefined, undefined, undefined, 1]);
});
