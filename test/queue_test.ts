import { test } from "node:test";
import assert from "node:assert/strict";
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { rawOpen, tempCache, valueFiles } from "./_helpers.ts";

test("DiskCache.push()/pull()/peek() follow python-diskcache's key scheme", () => {
  using cache = tempCache();
  assert.equal(cache.push("a"), 500000000000000);
  assert.equal(cache.push("b"), 500000000000001);
  assert.equal(cache.push("z", { side: "front" }), 499999999999999);
  assert.equal(cache.push("p", { prefix: "q" }), "q-500000000000000");
  assert.deepEqual(cache.peek(), [499999999999999, "z"]);
  assert.deepEqual(cache.pull(), [499999999999999, "z"]);
  assert.deepEqual(cache.pull({ side: "back" }), [500000000000001, "b"]);
  assert.deepEqual(cache.pull({ prefix: "q" }), ["q-500000000000000", "p"]);
  assert.equal(cache.pull({ prefix: "q" }), undefined);
  assert.deepEqual(cache.pull(), [500000000000000, "a"]);
  assert.equal(cache.pull(), undefined);
});

test("DiskCache.pull() skips and removes expired items; values in files come back", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now, minFileSize: 10 });
  cache.push("short-lived", { ttl: 5 });
  cache.push("a long value that lives in a file");
  now = 10;
  assert.deepEqual(cache.pull(), [500000000000001, "a long value that lives in a file"]);
  assert.equal(cache.length, 0);
});

test("DiskCache.peekItem() returns the newest or oldest item", () => {
  using cache = tempCache();
  assert.equal(cache.peekItem(), undefined);
  cache.set("a", 1);
  cache.set("b", 2);
  assert.deepEqual(cache.peekItem(), ["b", 2]);
  assert.deepEqual(cache.peekItem({ last: false }), ["a", 1]);
});

test("DiskCache.peek() and pull() skip an item whose value file was removed behind the cache's back, and drop its row", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.push("first value, kept in a file");
  cache.push("second value, kept in a file");
  const db = rawOpen(join(cache.directory, "cache.db"));
  const first = db.prepare("SELECT filename FROM Cache ORDER BY key LIMIT 1").get() as { filename: string };
  db.close();
  unlinkSync(join(cache.directory, first.filename));
  assert.deepEqual(cache.peek()?.[1], "second value, kept in a file");
  assert.equal(cache.length, 1, "peek dropped the row naming the missing file");
  cache.push("third value, kept in a file", { side: "front" });
  const third = valueFiles(cache.directory);
  assert.equal(third.length, 2);
  const front = rawOpen(join(cache.directory, "cache.db"));
  const frontFile = (front.prepare("SELECT filename FROM Cache ORDER BY key LIMIT 1").get() as { filename: string }).filename;
  front.close();
  unlinkSync(join(cache.directory, frontFile));
  assert.deepEqual(cache.pull()?.[1], "second value, kept in a file");
  assert.equal(cache.length, 0);
});

test("DiskCache.push() steps past a float or malformed key that set() stored in the queue's key range", () => {
  using cache = tempCache();
  cache.set(500000000000000.5, "float");
  assert.equal(cache.push("back"), 500000000000001);
  assert.equal(cache.push("front", { side: "front" }), 500000000000000);
  assert.deepEqual(cache.pull(), [500000000000000, "front"]);
  assert.deepEqual(cache.pull(), [500000000000000.5, "float"]);
  assert.deepEqual(cache.pull(), [500000000000001, "back"]);
  cache.set("q-5x", "malformed");
  assert.equal(cache.push("one", { prefix: "q" }), "q-500000000000000");
  assert.equal(cache.push("two", { prefix: "q" }), "q-500000000000001");
  cache.set("q-1", "malformed, below the others");
  assert.equal(cache.push("zero", { prefix: "q", side: "front" }), "q-499999999999999");
  assert.equal(cache.length, 5, "no push overwrote another item");
});

test("DiskCache queue methods refuse options of other methods", () => {
  using cache = tempCache();
  assert.throws(
    () => cache.push(1, { ttl: 5, expire: 1 } as never),
    (e: Error) => e instanceof TypeError && /Cannot push: unknown option "expire"/.test(e.message),
  );
  assert.throws(() => cache.pull({ ttl: 5 } as never), (e: Error) => e instanceof TypeError && /Cannot pull: unknown option "ttl"/.test(e.message));
});
