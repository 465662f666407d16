import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdirSync, openSync, readdirSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, DiskCacheError, Timeout } from "../mod.ts";
import { spawnSync } from "node:child_process";
import { python, rawOpen, tempCache, tempDir } from "./_helpers.ts";

test("DiskCache.check() finds nothing wrong in a healthy cache", () => {
  using cache = tempCache({ minFileSize: 10 });
  for (let i = 0; i < 20; i++) cache.set(i, `value number ${i} in a file`);
  cache.delete(3);
  assert.deepEqual(cache.check(), []);
  assert.deepEqual(cache.check({ fix: true }), []);
});

test("DiskCache.check() finds each kind of damage, and fix repairs it", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.set("missing", "a value whose file will vanish");
  cache.set("short", "a value whose file will be truncated");
  cache.set("fine", "a value that stays fine");
  const byKey = rawOpen(join(cache.directory, "cache.db"));
  const fileOf = (key: string) => (byKey.prepare("SELECT filename FROM Cache WHERE key = ?").get(key) as { filename: string }).filename;
  const missing = fileOf("missing"), short = fileOf("short");
  unlinkSync(join(cache.directory, missing));
  truncateSync(join(cache.directory, short), 3);
  writeFileSync(join(cache.directory, "stray.val"), "x");
  utimesSync(join(cache.directory, "stray.val"), new Date(0), new Date(0));
  writeFileSync(join(cache.directory, "recent.val"), "x");
  mkdirSync(join(cache.directory, "ab", "cd"), { recursive: true });
  byKey.exec("UPDATE Settings SET value = 99 WHERE key = 'count'");
  byKey.exec("UPDATE Settings SET value = value + 5 WHERE key = 'size'");
  byKey.close();

  const kinds = (ws: { kind: string; path?: string }[]) => ws.map((w) => `${w.kind}${w.path ? " " + w.path : ""}`).sort();
  const missingDir = missing.slice(0, 5);
  const emptied = readdirSync(join(cache.directory, missingDir)).length === 0 ? [`empty-directory ${missingDir}`] : [];
  const expected = [
    ...emptied,
    `missing-file ${missing}`,
    `wrong-size ${short}`,
    "unknown-file stray.val",
    "unknown-file recent.val",
    "empty-directory ab/cd",
    "count",
    "size",
  ].sort();
  assert.deepEqual(kinds(cache.check()), expected);
  assert.deepEqual(kinds(cache.check()), expected, "without fix nothing changes");
  const fixed = cache.check({ fix: true });
  // Fixing also empties (and so reports and removes) the parents of removed directories.
  for (const w of expected) assert.ok(kinds(fixed).includes(w), w);
  assert.ok(kinds(fixed).every((w) => expected.includes(w) || w.startsWith("empty-directory ")));
  assert.match(fixed.find((w) => w.path === "recent.val")!.message, /left in place/);
  const after = kinds(cache.check());
  assert.deepEqual(after, ["unknown-file recent.val"], "only the recent stray file is left");
  assert.equal(cache.get("fine"), "a value that stays fine");
  assert.equal(cache.has("missing"), false);
  assert.equal(cache.has("short"), false);
  assert.equal(cache.length, 1);
});

/** 2,000 small items in a fresh cache, all in cache.db itself (WAL checkpointed and emptied). */
function fillAndCheckpoint(path: string): void {
  {
    using cache = new DiskCache(path, { sqliteAutoVacuum: 0 });
    cache.transact(() => {
      for (let i = 0; i < 2000; i++) cache.set(`key-${i}`, "v".repeat(100));
    });
  }
  const raw = rawOpen(join(path, "cache.db"));
  raw.prepare("PRAGMA wal_checkpoint(TRUNCATE)").all();
  raw.close();
}

test("DiskCache.check() reports a damaged database instead of throwing", () => {
  using dir = tempDir();
  fillAndCheckpoint(dir.path);
  assert.ok(statSync(join(dir.path, "cache.db")).size > 4096 * 61);
  // Overwrite one whole page in the middle of the file with garbage.
  const fd = openSync(join(dir.path, "cache.db"), "r+");
  writeSync(fd, new Uint8Array(4096).fill(0x41), 0, 4096, 4096 * 60);
  closeSync(fd);
  using cache = new DiskCache(dir.path);
  const warnings = cache.check();
  assert.ok(warnings.some((w) => w.kind === "integrity"), JSON.stringify(warnings));
  assert.match(warnings.find((w) => w.kind === "integrity")!.message, /damaged|integrity/);
});

test("DiskCache reads on a damaged page throw DiskCacheError saying the database is corrupt, and check() reports it", () => {
  using dir = tempDir();
  fillAndCheckpoint(dir.path);
  // Garbage over a run of pages in the middle: some keys' index or table pages.
  const fd = openSync(join(dir.path, "cache.db"), "r+");
  writeSync(fd, new Uint8Array(4096 * 8).fill(0x41), 0, 4096 * 8, 4096 * 40);
  closeSync(fd);
  using cache = new DiskCache(dir.path);
  const corrupt = (e: unknown) => e instanceof DiskCacheError && /is corrupt/.test(e.message) && e.cause !== undefined;
  let damagedKey: string | undefined;
  for (let i = 0; i < 2000 && damagedKey === undefined; i++) {
    try {
      cache.get(`key-${i}`);
    } catch (e) {
      assert.ok(corrupt(e), `get: ${e}`);
      damagedKey = `key-${i}`;
    }
  }
  assert.ok(damagedKey !== undefined, "some key lives on a damaged page");
  assert.throws(() => cache.getEntry(damagedKey!), corrupt);
  assert.throws(() => cache.has(damagedKey!), corrupt);
  assert.ok(cache.check().some((w) => w.kind === "integrity"));
});

test("DiskCache.check() lists what SQLite's integrity check finds, and fix rebuilds the database", (t) => {
  const py = python();
  if (py === undefined) return t.skip("python3 is not installed");
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i, { ttl: 60_000 });
  }
  // An index whose definition no longer matches its entries: SQLite refuses to
  // edit its schema from node:sqlite and bun:sqlite, Python's module does not.
  const edit = spawnSync(py, [
    "-c",
    `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA writable_schema = ON")
c.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX Cache_expire_time ON Cache (store_time)' WHERE name = 'Cache_expire_time'")
c.commit()
`,
    join(dir.path, "cache.db"),
  ], { encoding: "utf8" });
  assert.equal(edit.status, 0, edit.stderr);
  using cache = new DiskCache(dir.path);
  const warnings = cache.check();
  assert.equal(warnings.length, 20);
  assert.ok(warnings.every((w) => w.kind === "integrity" && /SQLite integrity check: row \d+ missing from index Cache_expire_time/.test(w.message)));
  assert.equal(cache.check({ fix: true }).length, 20, "fix reports what it found");
  assert.deepEqual(cache.check(), [], "and VACUUM rebuilt the index");
  assert.equal(cache.get("k7"), 7);
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
