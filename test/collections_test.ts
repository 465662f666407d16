import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { Deque, DiskCache, Index } from "../mod.ts";
import { bytesRead, tempDir } from "./_helpers.ts";

function seeded(seed: number) {
  return (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
}

test("Deque agrees with an array over 600 random operations", () => {
  using dir = tempDir();
  using deque = new Deque<number>(dir.path);
  const model: number[] = [];
  const rand = seeded(3);
  for (let i = 0; i < 600; i++) {
    const op = rand(8);
    if (op === 0) assert.equal(deque.push(i, i + 1), model.push(i, i + 1));
    else if (op === 1) assert.equal(deque.unshift(i, -i), model.unshift(i, -i));
    else if (op === 2) assert.equal(deque.pop(), model.pop());
    else if (op === 3) assert.equal(deque.shift(), model.shift());
    else if (op === 4) {
      const at = rand(Math.max(1, model.length) * 2) - model.length;
      assert.equal(deque.at(at), model.at(at), `at(${at})`);
    } else if (op === 5) {
      const steps = rand(7) - 3;
      deque.rotate(steps);
      const n = model.length;
      if (n > 0) {
        const k = ((steps % n) + n) % n;
        model.unshift(...model.splice(n - k, k));
      }
    } else if (op === 6 && rand(10) === 0) {
      deque.reverse();
      model.reverse();
    } else if (op === 7) assert.equal(deque.length, model.length);
    if (i % 50 === 0) assert.deepEqual([...deque], model);
  }
  assert.deepEqual([...deque], model);
  assert.deepEqual([...deque.reversed()], [...model].reverse());
});

test("Deque maxLength drops from the other end; the setter trims", () => {
  using dir = tempDir();
  using deque = new Deque<string>(dir.path, { maxLength: 2 });
  deque.push("a", "b", "c");
  assert.deepEqual([...deque], ["b", "c"]);
  deque.unshift("z");
  assert.deepEqual([...deque], ["z", "b"]);
  deque.maxLength = 1;
  assert.deepEqual([...deque], ["b"]);
  assert.throws(() => new Deque(undefined, { maxLength: -1 }), RangeError);
  assert.throws(() => new Deque(undefined, { evictionPolicy: "least-recently-used" } as never), /always "none"/);
  deque.clear();
  assert.equal(deque.length, 0);
  assert.equal(deque.pop(), undefined);
});

test("Index agrees with a Map over 800 random operations, and persists", () => {
  using dir = tempDir();
  const model = new Map<string | number, number>();
  const rand = seeded(11);
  {
    using index = new Index<string | number, number>(dir.path);
    for (let i = 0; i < 800; i++) {
      const key = rand(2) ? `k${rand(30)}` : rand(30);
      const op = rand(6);
      if (op <= 1) {
        index.set(key, i);
        model.set(key, i);
      } else if (op === 2) assert.equal(index.delete(key), model.delete(key));
      else if (op === 3) assert.equal(index.get(key), model.get(key));
      else if (op === 4) {
        const expected = model.has(key) ? model.get(key) : (model.set(key, -i), -i);
        assert.equal(index.setDefault(key, -i), expected);
      } else if (op === 5 && rand(4) === 0) {
        const last = rand(2) === 0;
        const entries = [...model];
        const expected = entries.length === 0 ? undefined : last ? entries.at(-1) : entries[0];
        assert.deepEqual(index.popItem({ last }), expected);
        if (expected) model.delete(expected[0]);
      }
      if (i % 100 === 0) assert.deepEqual([...index], [...model]);
    }
    assert.equal(index.size, model.size);
  }
  using again = new Index<string | number, number>(dir.path);
  assert.deepEqual([...again.entries()], [...model.entries()]);
  assert.deepEqual([...again.keys()], [...model.keys()]);
  assert.deepEqual([...again.values()], [...model.values()]);
  const seen: unknown[] = [];
  again.forEach((v, k) => seen.push([k, v]));
  assert.deepEqual(seen, [...model]);
});

test("Deque.fromCache and Index.fromCache share one cache's items", () => {
  const cache = new DiskCache(undefined, { evictionPolicy: "none" });
  try {
    const index = Index.fromCache<string, number>(cache);
    index.set("a", 1);
    assert.equal(cache.get("a"), 1);
    const deque = Deque.fromCache<number>(cache, { maxLength: 5 });
    deque.push(1);
    assert.equal(deque.length, 2);
    assert.equal(deque.cache, cache);
    assert.equal(index.cache, cache);
    assert.equal(deque.directory, cache.directory);
    assert.equal(index.directory, cache.directory);
    assert.equal(deque.maxLength, 5);
    assert.equal(index.has("a"), true);
    assert.equal(index.has("b"), false);
    index.clear();
    assert.equal(cache.length, 0, "Index.clear() empties the shared cache");
  } finally {
    cache.close();
    rmSync(cache.directory, { recursive: true, force: true });
  }
});

test("Index.popItem() takes the newest entry by default and the oldest with last: false; push/pull keep a queue in the index", () => {
  using dir = tempDir();
  const index = new Index<string, string>(dir.path);
  try {
    index.set("a", "1").set("b", "2").set("c", "3");
    assert.deepEqual(index.popItem(), ["c", "3"]);
    assert.deepEqual(index.popItem({ last: false }), ["a", "1"]);
    assert.deepEqual([...index.keys()], ["b"]);
    index.clear();
    assert.equal(index.popItem(), undefined);
    const first = index.push("job 1", { prefix: "jobs" });
    index.push("job 2", { prefix: "jobs" });
    assert.equal(first, "jobs-500000000000000");
    assert.deepEqual(index.pull({ prefix: "jobs" }), [first, "job 1"]);
    assert.equal(index.size, 1);
  } finally {
    index.cache.close();
  }
});

test("Deque.rotate by more than half its length, either way, agrees with rotating an array", () => {
  using dir = tempDir();
  const model = (xs: number[], steps: number) => {
    const n = xs.length, k = ((steps % n) + n) % n;
    return [...xs.slice(n - k), ...xs.slice(0, n - k)];
  };
  for (const steps of [3, -3, 5, 7, -6, 0]) {
    const deque = new Deque(`${dir.path}/d${steps < 0 ? "m" : ""}${Math.abs(steps)}`);
    const items = [1, 2, 3, 4, 5];
    for (const x of items) deque.push(x);
    deque.rotate(steps);
    assert.deepEqual([...deque], model(items, steps), `rotate(${steps})`);
    deque.close();
  }
});

const FIRST = 500000000000000;

test("Deque with maxLength over a cache holding other keys: push() and unshift() return, drop only queue items, and leave the lock free", () => {
  using dir = tempDir();
  const cache = new DiskCache(dir.path, { evictionPolicy: "none" });
  cache.set("config", 1);
  cache.set("name", "x");
  cache.set(-5, "a negative number is no queue key");
  using deque = Deque.fromCache<number>(cache, { maxLength: 4 });
  assert.equal(deque.push(1), 4);
  assert.equal(deque.push(2), 4, "the front queue item went");
  assert.deepEqual([...cache.keys({ order: "key" })], [-5, FIRST + 1, "config", "name"]);
  assert.equal(deque.unshift(3), 4, "the back queue item went");
  assert.deepEqual([...cache.keys({ order: "key" })], [-5, FIRST, "config", "name"]);
  deque.maxLength = 2; // only three keys are not queue items: the bound cannot hold, and the setter returns
  assert.deepEqual([...cache.keys({ order: "key" })], [-5, "config", "name"]);
  assert.equal(deque.push(4), 3, "an item pushed beyond a bound the other keys fill is dropped at once");
  using other = new DiskCache(dir.path, { timeout: 0 });
  assert.equal(other.set("after", 1), true, "no lock is held");
});

test("Deque.at(i) reads the keys up to position i, then one value; reverse() and rotate() read no value", (t) => {
  if (bytesRead() === undefined) return t.skip("no /proc/self/io here");
  using dir = tempDir();
  using deque = new Deque<Uint8Array>(dir.path);
  const MiB = 1 << 20;
  for (let i = 0; i < 16; i++) deque.push(new Uint8Array(MiB).fill(i));
  for (const index of [15, -16]) {
    const before = bytesRead()!;
    const item = deque.at(index)!;
    const read = bytesRead()! - before;
    assert.equal(item[0], index === 15 ? 15 : 0);
    assert.ok(read < 3 * MiB, `at(${index}) read ${read} bytes for one 1 MiB value`);
  }
  // Reordering reads no value at all.
  const before = bytesRead()!;
  deque.reverse();
  deque.rotate(5);
  const read = bytesRead()! - before;
  assert.ok(read < 3 * MiB, `reverse() and rotate() read ${read} bytes`);
  assert.deepEqual([deque.at(0)![0], deque.at(-1)![0]], [4, 5]);
});
