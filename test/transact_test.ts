import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { rawOpen, tempCache } from "./_helpers.ts";

function valueFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith(".val")) n++;
  return n;
}

test("DiskCache.transact() commits everything at once and returns the callback's result", () => {
  using cache = tempCache();
  const r = cache.transact(() => {
    for (let i = 0; i < 100; i++) cache.set(i, i);
    cache.incr("n", 5);
    return "done";
  });
  assert.equal(r, "done");
  assert.equal(cache.length, 101);
});

test("DiskCache.transact() rolls back every write and the value files it created when the callback throws", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.set("kept", "a value in a file, kept");
  assert.throws(() =>
    cache.transact(() => {
      cache.set("new", "a new value in a file");
      cache.delete("kept");
      cache.incr("n");
      throw new Error("boom");
    }), /boom/);
  assert.equal(cache.get("kept"), "a value in a file, kept", "the deleted item and its file are back");
  assert.equal(cache.has("new"), false);
  assert.equal(cache.has("n"), false);
  assert.equal(valueFiles(cache.directory), 1, "the file written inside the transaction was removed");
});

test("DiskCache.transact() nests: an inner throw caught outside undoes only the inner part", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.transact(() => {
    cache.set("outer", "outer value in a file");
    try {
      cache.transact(() => {
        cache.set("inner", "inner value in a file");
        cache.delete("outer");
        throw new Error("inner");
      });
    } catch { /* handled */ }
    cache.set("after", 1);
  });
  assert.equal(cache.get("outer"), "outer value in a file");
  assert.equal(cache.has("inner"), false);
  assert.equal(cache.get("after"), 1);
  assert.equal(valueFiles(cache.directory), 1);
});

test("DiskCache.transact() refuses an async callback and rolls back what it wrote", async () => {
  using cache = tempCache();
  assert.throws(() => cache.transact(async () => {
    cache.set("x", 1);
    await Promise.resolve();
  }), (e: Error) => e instanceof TypeError && /synchronous/.test(e.message));
  assert.equal(cache.has("x"), false);
});

test("DiskCache.transact() holds the write lock: another connection sees nothing until commit", () => {
  using cache = tempCache();
  const other = rawOpen(join(cache.directory, "cache.db"));
  try {
    cache.transact(() => {
      cache.set("a", 1);
      const seen = other.prepare("SELECT COUNT(*) AS n FROM Cache").get() as { n: number };
      assert.equal(seen.n, 0);
    });
    assert.equal((other.prepare("SELECT COUNT(*) AS n FROM Cache").get() as { n: number }).n, 1);
  } finally {
    other.close();
  }
});
