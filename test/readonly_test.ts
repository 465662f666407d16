import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { Deque, DiskCache, DiskCacheError, Index } from "../mod.ts";
import { counts, rawOpen, tempDir, unmount, valueFiles } from "./_helpers.ts";
import { detectDriver } from "../runtimes/auto.ts";

function fill(dir: string): void {
  using cache = new DiskCache(dir, { minFileSize: 10 });
  cache.set("a", 1);
  cache.set("f", "a value that lives in a file");
  cache.push("job");
  // Long expired (its clock says 1970): read-only peeks pass over it, as they cannot remove it.
  using past = new DiskCache(dir, { clock: () => 1000 });
  past.push("expired job", { side: "front", ttl: 1 });
  past.set("expired", "x", { ttl: 1 });
}

function exercise(dir: string): void {
  using cache = new DiskCache(dir, { readonly: true });
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("f"), "a value that lives in a file");
  assert.deepEqual([...cache.keys()], ["a", "f", 500000000000000]);
  assert.equal(cache.has("a"), true);
  assert.deepEqual(counts(cache.stats()), { hits: 0, misses: 0, evictions: 0 });
  // Reads that python-diskcache does in a write transaction work read-only, writing nothing.
  assert.deepEqual(cache.peek(), [500000000000000, "job"]);
  assert.deepEqual(cache.peek({ side: "back" }), [500000000000000, "job"]);
  assert.deepEqual(cache.peekItem(), [500000000000000, "job"]);
  assert.deepEqual(cache.peekItem({ last: false }), ["a", 1]);
  assert.equal(cache.peek({ prefix: "none" }), undefined);
  assert.deepEqual(cache.check(), []);
  assert.throws(() => cache.check({ fix: true }), (e: Error) => e instanceof DiskCacheError && /check with fix.*read-only/.test(e.message));
  assert.equal(cache.length, 5, "the expired items are still there: nothing was removed");
  for (
    const write of [
      () => cache.set("b", 2),
      () => cache.set("big", "a value that would go to a file"),
      () => cache.delete("a"),
      () => cache.incr("n"),
      () => cache.pull(),
      () => cache.clear(),
      () => cache.transact(() => 1),
      () => cache.cull(),
    ]
  ) {
    assert.throws(write, (e: Error) => e instanceof DiskCacheError && /read-only/.test(e.message));
  }
  // Each refusal names the operation called (cull's said "Cannot expire", the step it begins with).
  assert.throws(() => cache.cull(), /Cannot cull: .*read-only/);
  assert.equal(cache.get("a"), 1);
}

test("DiskCache with readonly serves reads and refuses every write", () => {
  using dir = tempDir();
  fill(dir.path);
  exercise(dir.path);
  assert.throws(() => new DiskCache(dir.path, { readonly: true, sizeLimit: 5 }), /read-only with settings/);
  assert.throws(() => new DiskCache(join(dir.path, "nope"), { readonly: true }), DiskCacheError);
  mkdirSync(join(dir.path, "empty"));
  assert.throws(() => new DiskCache(join(dir.path, "empty"), { readonly: true }), /does not exist/);
});

test("DiskCache with readonly works on a read-only mount", (t) => {
  using dir = tempDir();
  const src = join(dir.path, "src"), ro = join(dir.path, "ro");
  mkdirSync(src);
  mkdirSync(ro);
  fill(src);
  const files = readdirSync(src);
  const bind = spawnSync("mount", ["--bind", src, ro]);
  if (bind.status !== 0) return t.skip(`cannot bind-mount here (needs root): ${bind.stderr}`);
  try {
    const remount = spawnSync("mount", ["-o", "remount,ro,bind", ro]);
    if (remount.status !== 0) return t.skip(`cannot remount read-only: ${remount.stderr}`);
    // Without the option: a clear error that names the way out, and nothing created.
    assert.throws(
      () => new DiskCache(ro),
      (e: Error) => e instanceof DiskCacheError && /cannot be written or opened/.test(e.message) && /readonly: true/.test(e.message),
    );
    if (detectDriver().name === "better-sqlite3") {
      assert.throws(() => new DiskCache(ro, { readonly: true }), /better-sqlite3 does not/);
      return;
    }
    exercise(ro);
    assert.deepEqual(readdirSync(src), files, "nothing was created in the directory");
  } finally {
    unmount(ro);
  }
});

test("DiskCache with readonly: peek() and peekItem() pass over an item whose value file is gone, and check() reports it", () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { minFileSize: 10 });
    cache.push("a first job kept in a file");
    cache.push("a second job kept in a file");
  }
  const files = valueFiles(dir.path);
  using cache = new DiskCache(dir.path, { readonly: true });
  const first = cache.check();
  assert.deepEqual(first, []);
  const db = rawOpen(join(dir.path, "cache.db"));
  const lost = (db.prepare("SELECT filename FROM Cache ORDER BY key LIMIT 1").get() as { filename: string }).filename;
  db.close();
  assert.ok(files.includes(lost));
  unlinkSync(join(dir.path, lost));
  assert.deepEqual(cache.peek(), [500000000000001, "a second job kept in a file"]);
  assert.deepEqual(cache.peekItem({ last: false }), [500000000000001, "a second job kept in a file"]);
  const found = cache.check().map((w) => `${w.kind} ${w.path}`).filter((w) => !w.startsWith("empty-directory"));
  assert.deepEqual(found, [`missing-file ${lost}`]);
  assert.equal(cache.length, 2);
});

test("Deque and Index open read-only (they passed their policy as a setting, which a read-only open refuses)", () => {
  using dir = tempDir();
  {
    using deque = new Deque<string>(join(dir.path, "q"));
    deque.push("a", "b");
    using index = new Index<string, number>(join(dir.path, "i"));
    index.set("x", 1);
  }
  using deque = new Deque<string>(join(dir.path, "q"), { readonly: true });
  assert.deepEqual([[...deque], deque.length, deque.at(-1)], [["a", "b"], 2, "b"]);
  assert.throws(() => deque.push("c"), /read-only/);
  using index = new Index<string, number>(join(dir.path, "i"), { readonly: true });
  assert.deepEqual([[...index.entries()], index.get("x")], [[["x", 1]], 1]);
  assert.throws(() => index.set("y", 2), /read-only/);
  assert.equal(index.cache.evictionPolicy, "none", "the stored policy");
});
