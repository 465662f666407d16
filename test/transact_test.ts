import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { rawOpen, sleep, tempCache, valueFiles } from "./_helpers.ts";

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
  assert.equal(valueFiles(cache.directory).length, 1, "the file written inside the transaction was removed");
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
  assert.equal(valueFiles(cache.directory).length, 1);
});

test("DiskCache.transact() refuses an async function before running it: nothing it would write lands, before or after an await", async () => {
  using cache = tempCache();
  let ran = false;
  assert.throws(() =>
    cache.transact(async () => {
      ran = true;
      cache.set("x", 1);
      await Promise.resolve();
      cache.set("late", 2);
    }), (e: Error) => e instanceof TypeError && /async function/.test(e.message));
  await sleep(10);
  assert.equal(ran, false, "the async function never ran");
  assert.equal(cache.has("x"), false);
  assert.equal(cache.has("late"), false);
});

test("DiskCache.transact() refuses an async generator function too", () => {
  using cache = tempCache();
  assert.throws(() => cache.transact(async function* () {} as unknown as () => void), TypeError);
});

test("DiskCache.transact() rolls back what a plain function returning a promise wrote before returning", () => {
  using cache = tempCache();
  assert.throws(() =>
    cache.transact(() => {
      cache.set("x", 1);
      return Promise.resolve();
    }), (e: Error) => e instanceof TypeError && /returned a promise/.test(e.message));
  assert.equal(cache.has("x"), false);
});

test("DiskCache.transact() that rolls back keeps the value files of items popped, pulled or deleted inside it", () => {
  using cache = tempCache({ minFileSize: 100 });
  cache.set("big", "x".repeat(1000));
  cache.push("q".repeat(1000));
  assert.throws(() =>
    cache.transact(() => {
      assert.equal(cache.pop("big"), "x".repeat(1000));
      assert.equal(cache.pull()?.[1], "q".repeat(1000));
      throw new Error("boom");
    }), /boom/);
  assert.equal(cache.get("big"), "x".repeat(1000));
  assert.deepEqual(cache.peek(), [500000000000000, "q".repeat(1000)]);
  assert.deepEqual(cache.check(), []);
  assert.equal(valueFiles(cache.directory).length, 2);
});

test("DiskCache.transact(): a savepoint rolled back inside a committing transaction keeps the files of what it popped and pulled", () => {
  using cache = tempCache({ minFileSize: 100 });
  cache.set("big", "x".repeat(1000));
  cache.set("gone", "g".repeat(1000));
  cache.push("q".repeat(1000));
  cache.transact(() => {
    try {
      cache.transact(() => {
        cache.pop("big");
        cache.pull();
        throw new Error("inner");
      });
    } catch { /* handled */ }
    assert.equal(cache.pop("gone"), "g".repeat(1000));
  });
  assert.equal(cache.get("big"), "x".repeat(1000));
  assert.deepEqual(cache.pull(), [500000000000000, "q".repeat(1000)]);
  assert.equal(cache.has("gone"), false);
  assert.deepEqual(cache.check(), []);
  assert.equal(valueFiles(cache.directory).length, 1, "the popped file is removed after the outer commit, and the pulled one after pull()");
});

test("DiskCache.pop() removes the value file only after the outermost commit", () => {
  using cache = tempCache({ minFileSize: 100 });
  cache.set("big", "x".repeat(1000));
  cache.transact(() => {
    assert.equal(cache.pop("big"), "x".repeat(1000));
    assert.equal(valueFiles(cache.directory).length, 1, "still there inside the transaction");
  });
  assert.equal(valueFiles(cache.directory).length, 0);
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

test("DiskCache reads inside a transaction see its writes; getMany joins it", () => {
  using cache = tempCache();
  cache.transact(() => {
    cache.set("a", 1);
    assert.deepEqual(cache.getMany(["a", "b"]), [1, undefined]);
    assert.deepEqual([...cache.keys()], ["a"]);
  });
  assert.deepEqual(cache.getMany(["a"]), [1]);
});

test("setAsync() and deleteAsync() inside transact() write in that transaction at once, and roll back with it", async () => {
  using cache = tempCache();
  cache.set("gone", "before");
  let writes: Promise<boolean>[] = [];
  assert.throws(() =>
    cache.transact(() => {
      writes = [cache.setAsync("k", 1), cache.deleteAsync("gone")];
      assert.equal(cache.get("k"), 1, "written already, inside the transaction");
      assert.equal(cache.has("gone"), false);
      throw new Error("undo");
    }), /undo/);
  assert.deepEqual(await Promise.all(writes), [true, true]);
  assert.equal(cache.get("k"), undefined, "rolled back with the transaction");
  assert.equal(cache.get("gone"), "before");
  cache.transact(() => void cache.setAsync("k", 2));
  assert.equal(cache.get("k"), 2, "committed with it");
});

test("transactAsync() refuses what is not a function, saying what it got", async () => {
  using cache = tempCache();
  await assert.rejects(
    cache.transactAsync("k" as never),
    (e: Error) => e instanceof TypeError && e.message === 'Cannot transactAsync: expected a function: received "k"',
  );
});
