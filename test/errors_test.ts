import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { DiskCache, DiskCacheError, Timeout } from "../mod.ts";
import { counts, rawOpen, refuses, tempCache, tempDir } from "./_helpers.ts";

class Point {
  x: number;
  constructor(x: number) {
    this.x = x;
  }
}
const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

/** Asserts `fn` throws `type` with a message matching `pattern`, and the cache still holds only "keep". */
/** Asserts the refusal (see {@linkcode refuses}) and that nothing was written. */
function refusesAndKeeps(cache: DiskCache, fn: () => unknown, type: new (...a: never[]) => Error, pattern: RegExp): void {
  refuses(fn, type, pattern);
  assert.equal(cache.length, 1, "nothing was written");
  assert.equal(cache.get("keep"), "kept");
}

test("DiskCache.set() refuses unsupported keys with a TypeError naming the key", () => {
  using cache = tempCache();
  cache.set("keep", "kept");
  refusesAndKeeps(cache, () => cache.set(undefined as never, 1), TypeError, /key.*undefined/);
  refusesAndKeeps(cache, () => cache.set((() => 1) as never, 1), TypeError, /key.*function/);
  refusesAndKeeps(cache, () => cache.set(Symbol("s") as never, 1), TypeError, /key.*Symbol\(s\)/);
  refusesAndKeeps(cache, () => cache.set(new Point(1), 1), TypeError, /key.*Point/);
  refusesAndKeeps(cache, () => cache.set([1, new Point(2)], 1), TypeError, /key\[1\].*Point/);
  refusesAndKeeps(cache, () => cache.set(cyclic, 1), TypeError, /key.*cycle/);
  refusesAndKeeps(cache, () => cache.get(new Point(1)), TypeError, /Point/);
  refusesAndKeeps(cache, () => cache.has(undefined as never), TypeError, /key/);
  refusesAndKeeps(cache, () => cache.delete(new WeakMap() as never), TypeError, /WeakMap/);
});

test("DiskCache.set() refuses unsupported values with a TypeError naming the path", () => {
  using cache = tempCache();
  cache.set("keep", "kept");
  refusesAndKeeps(cache, () => cache.set("k", undefined), TypeError, /undefined is not storable/);
  refusesAndKeeps(cache, () => cache.set("k", () => 1), TypeError, /value is a function/);
  refusesAndKeeps(cache, () => cache.set("k", { a: { b: new Point(1) } }), TypeError, /value\.a\.b.*Point/);
  refusesAndKeeps(cache, () => cache.set("k", cyclic), TypeError, /value\.self.*cycle/);
  refusesAndKeeps(cache, () => cache.set("k", [Symbol("x")]), TypeError, /value\[0\].*symbol/);
  refusesAndKeeps(cache, () => cache.set("k", new DataView(new ArrayBuffer(1))), TypeError, /DataView/);
  refusesAndKeeps(cache, () => cache.set("k", new Error("e")), TypeError, /Error/);
  refusesAndKeeps(cache, () => cache.add("k", new Point(1)), TypeError, /Point/);
});

test("DiskCache.set() refuses bad ttl and tag with errors naming them", () => {
  using cache = tempCache();
  cache.set("keep", "kept");
  refusesAndKeeps(cache, () => cache.set("k", 1, { ttl: NaN }), RangeError, /"ttl".*NaN/);
  refusesAndKeeps(cache, () => cache.set("k", 1, { ttl: -1 }), RangeError, /"ttl".*-1/);
  refusesAndKeeps(cache, () => cache.set("k", 1, { ttl: Infinity }), RangeError, /"ttl".*Infinity/);
  refusesAndKeeps(cache, () => cache.set("k", 1, { ttl: "10" as never }), TypeError, /"ttl".*"10"/);
  refusesAndKeeps(cache, () => cache.add("k", 1, { ttl: -5 }), RangeError, /"ttl"/);
  refusesAndKeeps(cache, () => cache.touch("keep", NaN), RangeError, /"ttl"/);
  refusesAndKeeps(cache, () => cache.set("k", 1, { tag: {} as never }), TypeError, /"tag".*object/);
  refusesAndKeeps(cache, () => cache.set("k", 1, { tag: NaN }), TypeError, /"tag".*NaN/);
  refusesAndKeeps(cache, () => cache.set("k", 1, { expire: 5 } as never), TypeError, /unknown option "expire"/);
  refusesAndKeeps(cache, () => cache.set("k", 1, 5 as never), TypeError, /options must be an object/);
});

test("DiskCache.incr() refuses a non-integer delta or initial", () => {
  using cache = tempCache();
  cache.set("keep", "kept");
  refusesAndKeeps(cache, () => cache.incr("n", 1.5), TypeError, /"delta".*1\.5/);
  refusesAndKeeps(cache, () => cache.incr("n", 1, NaN), TypeError, /"initial".*NaN/);
  refusesAndKeeps(cache, () => cache.decr("n", "1" as never), TypeError, /"delta"/);
});

test("DiskCache.incr() on a value that is not an int64 describes the value, not its stored bytes", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.set("big", 2n ** 64n);
  cache.set("list", [1, 2]);
  cache.set("long", "a text long enough for a value file");
  cache.set("pickle", "p");
  const rejects = (key: string, pattern: RegExp) => assert.throws(() => cache.incr(key), (e: Error) => e instanceof TypeError && pattern.test(e.message));
  rejects("big", /"big": its value 18446744073709551616n does not fit in a signed 64-bit integer/);
  rejects("list", /"list": its value is not an integer: received array of length 2/);
  rejects("long", /"long": its value is not an integer: received "a text long/);
  // A Python pickle (mode 4) cannot be decoded; a value file removed behind the cache's back is missing.
  const db = rawOpen(join(cache.directory, "cache.db"));
  try {
    db.exec("UPDATE Cache SET mode = 4, value = X'80049505' WHERE key = 'pickle'");
    const { filename } = db.prepare("SELECT filename FROM Cache WHERE key = 'long'").get() as { filename: string };
    rmSync(join(cache.directory, filename));
  } finally {
    db.close();
  }
  rejects("pickle", /"pickle": its value is not an integer: received a value this cache cannot read/);
  rejects("long", /"long": its value file is missing/);
  assert.equal(cache.length, 4, "nothing was written");
});

test('DiskCache.stats() throws Timeout, not a raw "database is locked", while another connection holds the lock exclusively', () => {
  // Without WAL, a writer's exclusive lock keeps readers out.
  using cache = tempCache({ timeout: 20, sqliteJournalMode: "delete", statistics: true });
  cache.set("keep", "kept");
  assert.equal(cache.get("keep"), "kept");
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN EXCLUSIVE");
  try {
    assert.throws(() => cache.stats(), (e: Error) => e instanceof Timeout && /Cannot read statistics.*locked/.test(e.message));
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.stats().hits, 1);
});

test("new DiskCache() refuses unknown and ill-typed options", () => {
  assert.throws(
    () => new DiskCache(undefined, { sizelimit: 5 } as never),
    (e: Error) => e instanceof TypeError && /unknown option "sizelimit"/.test(e.message),
  );
  assert.throws(() => new DiskCache(undefined, { sizeLimit: -1 }), (e: Error) => e instanceof RangeError && /"sizeLimit".*-1/.test(e.message));
  assert.throws(() => new DiskCache(undefined, { sizeLimit: "1GB" as never }), (e: Error) => e instanceof TypeError && /"sizeLimit".*"1GB"/.test(e.message));
  assert.throws(() => new DiskCache(undefined, { cullLimit: 1.5 }), TypeError);
  assert.throws(
    () => new DiskCache(undefined, { evictionPolicy: "fifo" as never }),
    (e: Error) => e instanceof RangeError && /"evictionPolicy".*"fifo"/.test(e.message),
  );
  assert.throws(() => new DiskCache(undefined, { statistics: 1 as never }), (e: Error) => e instanceof TypeError && /"statistics"/.test(e.message));
  assert.throws(() => new DiskCache(undefined, { timeout: NaN }), (e: Error) => e instanceof RangeError && /"timeout"/.test(e.message));
  assert.throws(() => new DiskCache(undefined, { clock: 5 as never }), (e: Error) => e instanceof TypeError && /"clock"/.test(e.message));
  assert.throws(() => new DiskCache(undefined, { driver: {} as never }), (e: Error) => e instanceof TypeError && /"driver"/.test(e.message));
  assert.throws(() => new DiskCache(undefined, { sqliteJournalMode: "fast" }), (e: Error) => e instanceof RangeError && /"sqliteJournalMode"/.test(e.message));
  assert.throws(() => new DiskCache(undefined, null as never), TypeError);
  assert.throws(() => new DiskCache(42 as never), (e: Error) => e instanceof TypeError && /"directory".*42/.test(e.message));
  assert.throws(() => new DiskCache(""), TypeError);
});

test("new DiskCache() on a path that is a file, or under one, throws DiskCacheError naming it", () => {
  using dir = tempDir();
  const file = join(dir.path, "plain-file");
  writeFileSync(file, "x");
  assert.throws(() => new DiskCache(file), (e: Error) => e instanceof DiskCacheError && e.message.includes(file) && /is a file/.test(e.message));
  assert.throws(() => new DiskCache(join(file, "sub")), (e: Error) => e instanceof DiskCacheError && /is a file/.test(e.message));
});

test("new DiskCache() on a directory that cannot be created throws DiskCacheError", () => {
  assert.throws(
    () => new DiskCache(join(tmpdir(), "x".repeat(300), "cache")),
    (e: Error) => e instanceof DiskCacheError && /cannot be created/.test(e.message),
  );
});

test("new DiskCache() on a corrupt cache.db names the file and the way out", () => {
  using dir = tempDir();
  writeFileSync(join(dir.path, "cache.db"), "this is not a database, just some bytes ".repeat(200));
  assert.throws(
    () => new DiskCache(dir.path),
    (e: Error) => e instanceof DiskCacheError && e.message.includes(join(dir.path, "cache.db")) && /corrupt|not a database/.test(e.message),
  );
});

test("DiskCache writes throw Timeout when another connection holds the lock past timeout, and change nothing", () => {
  using cache = tempCache({ timeout: 50, minFileSize: 10, statistics: true });
  cache.set("keep", "kept");
  // A second, real connection to the same file takes the write lock.
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    refusesAndKeeps(cache, () => cache.set("k", "a long value that goes to a file"), Timeout, /locked.*50 ms/);
    refusesAndKeeps(cache, () => cache.incr("n"), Timeout, /incr/);
    refusesAndKeeps(cache, () => cache.delete("keep"), Timeout, /delete/);
    assert.equal(cache.get("keep"), "kept", "reads, counted by statistics, still work while another connection writes");
    assert.equal(cache.get("absent"), undefined);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.set("k", "now it works"), true);
  assert.deepEqual(counts(cache.stats()), { hits: 4, misses: 1, evictions: 0 }, 'three refusals read "keep" once each, plus one read under the lock');
});

test("a value file the process may not write (EACCES, EPERM, EROFS) becomes a DiskCacheError naming the directory and the readonly option", async () => {
  // Root, which CI runs as, is never refused by permissions, so the refusal
  // the operating system would give is built here as Node builds it.
  const { translateFileError } = await import("../src/engine/_translate_error.ts");
  const { DiskCacheError } = await import("../mod.ts");
  for (const code of ["EACCES", "EPERM", "EROFS"]) {
    const cause = Object.assign(new Error(`${code}: refused`), { code });
    const error = translateFileError("/some/dir", cause, "set key");
    assert.ok(error instanceof DiskCacheError, code);
    assert.match((error as Error).message, /Cannot set key: "\/some\/dir" cannot be written .*readonly: true/);
    assert.equal((error as Error).cause, cause);
  }
  const other = Object.assign(new Error("EIO"), { code: "EIO" });
  assert.equal(translateFileError("/some/dir", other, "set key"), other);
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
