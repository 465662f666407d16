import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, DiskCacheError, Timeout } from "../mod.ts";
import { cli } from "./_cli.ts";
import { damagePages, fillAndCheckpoint, rawOpen, tempCache, tempDir } from "./_helpers.ts";

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
  const stray = `ab/cd/${"0".repeat(28)}.val`, recent = `ab/ce/${"1".repeat(28)}.val`;
  mkdirSync(join(cache.directory, "ab", "cd"), { recursive: true });
  mkdirSync(join(cache.directory, "ab", "ce"), { recursive: true });
  writeFileSync(join(cache.directory, stray), "x");
  utimesSync(join(cache.directory, stray), new Date(0), new Date(0));
  writeFileSync(join(cache.directory, recent), "x");
  mkdirSync(join(cache.directory, "ef", "01"), { recursive: true });
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
    `unknown-file ${stray}`,
    `unknown-file ${recent}`,
    "empty-directory ef/01",
    "count",
    "size",
  ].sort();
  assert.deepEqual(kinds(cache.check()), expected);
  assert.deepEqual(kinds(cache.check()), expected, "without fix nothing changes");
  const fixed = cache.check({ fix: true });
  // Fixing also empties (and so reports and removes) the parents of removed directories.
  for (const w of expected) assert.ok(kinds(fixed).includes(w), w);
  assert.ok(kinds(fixed).every((w) => expected.includes(w) || w.startsWith("empty-directory ")));
  assert.match(fixed.find((w) => w.path === recent)!.message, /left in place/);
  assert.deepEqual(fixed.filter((w) => !w.repaired).map((w) => w.path), [recent], "every other warning says it was repaired");
  const after = kinds(cache.check());
  assert.deepEqual(after, [`unknown-file ${recent}`], "only the recent stray file is left");
  assert.equal(cache.get("fine"), "a value that stays fine");
  assert.equal(cache.has("missing"), false);
  assert.equal(cache.has("short"), false);
  assert.equal(cache.length, 1);
});

test("DiskCache.check() reports a damaged database instead of throwing", () => {
  using dir = tempDir();
  fillAndCheckpoint(dir.path);
  assert.ok(statSync(join(dir.path, "cache.db")).size > 4096 * 61);
  // Overwrite one whole page in the middle of the file with garbage.
  damagePages(dir.path, 60, 1);
  using cache = new DiskCache(dir.path);
  const warnings = cache.check();
  assert.ok(warnings.some((w) => w.kind === "integrity"), JSON.stringify(warnings));
  assert.match(warnings.find((w) => w.kind === "integrity")!.message, /damaged|integrity/);
});

test("DiskCache reads on a damaged page throw DiskCacheError saying the database is corrupt, and check() reports it", () => {
  using dir = tempDir();
  fillAndCheckpoint(dir.path);
  // Garbage over a run of pages in the middle: some keys' index or table pages.
  damagePages(dir.path, 40, 8);
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

/** Every path under `dir` but the databases (symlinks not followed), with its kind and, for files, its bytes. */
function tree(dir: string, under = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, under), { withFileTypes: true })) {
    const rel = under === "" ? entry.name : `${under}/${entry.name}`;
    if (/(^|\/)cache\.db/.test(rel)) continue;
    if (entry.isSymbolicLink()) out[rel] = "symlink";
    else if (entry.isDirectory()) Object.assign(out, { [rel]: "dir" }, tree(dir, rel));
    else out[rel] = readFileSync(join(dir, rel), "latin1");
  }
  return out;
}

test("check({ fix: true }) removes only what has the value-file layout: other files, symlinks and a FanoutCache's shards are reported and left in place", () => {
  using dir = tempDir();
  using outside = tempDir();
  using cache = new DiskCache(dir.path, { minFileSize: 10 });
  cache.set("big", "a value kept in a file");
  // A directory also used for a project, and a FanoutCache's shard beside the cache.
  writeFileSync(join(dir.path, "README.md"), "# my app");
  mkdirSync(join(dir.path, "src"));
  writeFileSync(join(dir.path, "src", "index.js"), "export {};");
  {
    using shard = new DiskCache(join(dir.path, "000"), { minFileSize: 10 });
    shard.set("k", "a value in the shard's own file");
  }
  // Value directories holding what the cache never writes, and symlinks.
  mkdirSync(join(dir.path, "ab", "cd"), { recursive: true });
  writeFileSync(join(dir.path, "ab", "notes.txt"), "n");
  writeFileSync(join(dir.path, "ab", "cd", "notes.val"), "n");
  writeFileSync(join(dir.path, "ab", "cd", `${"A".repeat(28)}.val`), "n");
  mkdirSync(join(dir.path, "ab", "cd", `${"b".repeat(28)}.val`)); // a directory with a value file's name
  mkdirSync(join(outside.path, "01"));
  writeFileSync(join(outside.path, "01", `${"c".repeat(28)}.val`), "not the cache's");
  // A value directory's name, pointing outside: one the cache's own value file did not take (its name is random).
  const link = ["ef", "fe"].find((n) => !existsSync(join(dir.path, n)))!;
  symlinkSync(outside.path, join(dir.path, link));
  symlinkSync(join(outside.path, "01", `${"c".repeat(28)}.val`), join(dir.path, "ab", "cd", `${"d".repeat(28)}.val`));
  const old = new Date(0);
  for (const f of ["README.md", "src/index.js", "ab/notes.txt", "ab/cd/notes.val", `ab/cd/${"A".repeat(28)}.val`]) utimesSync(join(dir.path, f), old, old);
  utimesSync(join(outside.path, "01", `${"c".repeat(28)}.val`), old, old);
  const before = tree(dir.path), outsideBefore = tree(outside.path);

  const foreign = [
    "000",
    "README.md",
    "ab/cd/" + "A".repeat(28) + ".val",
    `ab/cd/${"b".repeat(28)}.val`,
    `ab/cd/${"d".repeat(28)}.val`,
    "ab/cd/notes.val",
    "ab/notes.txt",
    link,
    "src",
  ];
  for (const fix of [false, true]) {
    const warnings = cache.check({ fix });
    assert.deepEqual(warnings.map((w) => w.path).sort(), foreign.sort(), JSON.stringify(warnings));
    for (const w of warnings) {
      assert.equal(w.kind, "foreign-file", w.message);
      assert.equal(w.repairable, false, w.message);
      assert.equal(w.repaired, false, w.message);
      assert.match(w.message, /left in place/);
    }
    assert.match(warnings.find((w) => w.path === "000")!.message, /FanoutCache shard/);
    assert.deepEqual(tree(dir.path), before, `check({ fix: ${fix} }) changed nothing in the directory`);
    assert.deepEqual(tree(outside.path), outsideBefore);
  }
  assert.equal(cache.get("big"), "a value kept in a file");
  using shard = new DiskCache(join(dir.path, "000"));
  assert.equal(shard.get("k"), "a value in the shard's own file");
  assert.deepEqual(shard.check(), []);
});

test("check on a database damaged beyond repair: fix claims no repair, and plain check does not advise --fix (diskcache check too)", async () => {
  using dir = tempDir();
  fillAndCheckpoint(dir.path);
  damagePages(dir.path, 60, 1);
  {
    using cache = new DiskCache(dir.path);
    for (const fix of [false, true]) {
      const warnings = cache.check({ fix });
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.equal(warnings[0]!.kind, "integrity");
      assert.match(warnings[0]!.message, /damaged beyond repair/);
      assert.equal(warnings[0]!.repairable, false);
      assert.equal(warnings[0]!.repaired, false);
    }
  }
  const plain = await cli(["check", dir.path]);
  assert.doesNotMatch(plain.stdout, /run again with --fix/);
  assert.match(plain.stdout, /1 problem\(s\) found; --fix cannot repair them\n$/);
  const fixed = await cli(["check", dir.path, "--fix"]);
  assert.doesNotMatch(fixed.stdout, /and repaired/);
  assert.match(fixed.stdout, /1 problem\(s\) found, 0 repaired, 1 left as they are\n$/);
  assert.equal(JSON.parse((await cli(["check", dir.path, "--fix", "--json"])).stdout).fixed, false);
});
