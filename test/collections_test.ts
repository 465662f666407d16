import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { Deque, DiskCache, DiskCacheError, Index } from "../mod.ts";
import { bytesRead, python, refuses, run, runJson, runners, tempDir, valueFiles } from "./_helpers.ts";

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

test("Deque is shared by processes of every runtime: each pushed item is shifted exactly once", async () => {
  using dir = tempDir();
  const procs = runners("deque_worker");
  const results = await Promise.all(procs.map((r, i) => runJson<{ got: string[] }>(r, [dir.path, `p${i}`, "60"])));
  const all = results.flatMap((r) => r.got).sort();
  const expected = procs.flatMap((_, i) => Array.from({ length: 60 }, (_, j) => `p${i}:${j}`)).sort();
  assert.deepEqual(all, expected);
  for (const r of results) {
    // Items of one pusher come out in the order it pushed them.
    const byPusher = new Map<string, number[]>();
    for (const item of r.got) {
      const [who, n] = item.split(":");
      byPusher.set(who!, [...(byPusher.get(who!) ?? []), Number(n)]);
    }
    for (const seq of byPusher.values()) assert.deepEqual(seq, [...seq].sort((a, b) => a - b));
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

async function py<T>(script: string, ...args: string[]): Promise<T> {
  const res = await run(python()!, ["-c", script, ...args]);
  if (res.code !== 0) throw new Error(`python exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1)!) as T;
}

function skipWithoutPython(t: { skip(msg: string): void }): boolean {
  if (python() !== undefined) return false;
  t.skip("python3 with diskcache is not installed (apt-get install python3-diskcache)");
  return true;
}

// Python's view of a Deque directory: each item's repr, front to back.
const PY_DEQUE_VIEW_CHECKED = `
import json, sys, warnings
from diskcache import Deque
d = Deque(directory=sys.argv[1])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    d.cache.check()
print(json.dumps({"len": len(d), "items": [repr(x) for x in d], "check": [str(w.message) for w in caught]}))
`;

const FIRST = 500000000000000;

test("Deque.at() answers the item at that position; a value it cannot read (a Python pickle) is an error naming its key, never a neighbour", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await py(`import sys, json\nfrom diskcache import Deque\nDeque(['a', ('t', 1), 'b', None, 'c'], directory=sys.argv[1])\nprint(json.dumps(0))`, dir.path);
  using deque = new Deque<string>(dir.path);
  assert.equal(deque.length, 5);
  const unreadable = (i: number) => new RegExp(`key ${FIRST + i}\\b.*pickle`);
  assert.equal(deque.at(0), "a");
  refuses(() => deque.at(1), DiskCacheError, unreadable(1));
  assert.equal(deque.at(2), "b");
  refuses(() => deque.at(3), DiskCacheError, unreadable(3));
  assert.equal(deque.at(4), "c");
  assert.equal(deque.at(5), undefined);
  assert.equal(deque.at(-1), "c");
  refuses(() => deque.at(-2), DiskCacheError, unreadable(3));
  assert.equal(deque.at(-3), "b");
  refuses(() => deque.at(-4), DiskCacheError, unreadable(1));
  assert.equal(deque.at(-5), "a");
  assert.equal(deque.at(-6), undefined);
  // Iteration means the same positions: it stops at the first item it cannot read.
  refuses(() => [...deque], DiskCacheError, unreadable(1));
  refuses(() => [...deque.reversed()], DiskCacheError, unreadable(3));
});

test("Deque.reverse() keeps every item, those it cannot read (Python pickles) included, and reads no value", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await py(
    `import sys, json\nfrom diskcache import Deque\nDeque(['a', ('t', 1), 'b' * 40000, None, 'c'], directory=sys.argv[1])\nprint(json.dumps(0))`,
    dir.path,
  );
  const files = valueFiles(dir.path);
  assert.equal(files.length, 1, "the long string is in a value file");
  {
    using deque = new Deque<string>(dir.path);
    deque.reverse();
    assert.equal(deque.length, 5);
    assert.equal(deque.at(0), "c");
    refuses(() => deque.at(1), DiskCacheError, /pickle/);
    assert.equal(deque.at(2), "b".repeat(40000));
    assert.equal(deque.at(4), "a");
  }
  assert.deepEqual(valueFiles(dir.path), files, "the value file was neither rewritten nor moved");
  const view = await py<{ len: number; items: string[]; check: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path);
  assert.deepEqual(view.items, ["'c'", "None", `'${"b".repeat(40000)}'`, "('t', 1)", "'a'"]);
  assert.equal(view.len, 5);
  assert.deepEqual(view.check, [], "python-diskcache's check() finds nothing wrong");
  // Twice is the identity; an empty deque and a deque of one are left as they are.
  using deque = new Deque<string>(dir.path);
  deque.reverse();
  deque.reverse();
  assert.deepEqual((await py<{ items: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path)).items, view.items);
  deque.clear();
  deque.reverse();
  deque.push("x");
  deque.reverse();
  assert.equal(deque.at(0), "x");
});

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

test("Deque with maxLength drops a front item it cannot read (a Python pickle) without reading it", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await py(`import sys, json\nfrom diskcache import Deque\nDeque([None, 'x'], directory=sys.argv[1])\nprint(json.dumps(0))`, dir.path);
  {
    using deque = new Deque<string>(dir.path, { maxLength: 2 });
    assert.equal(deque.push("y"), 2);
  }
  assert.deepEqual((await py<{ items: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path)).items, ["'x'", "'y'"]);
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

test("Index: keys(), values() and entries() line up; a value it cannot read (a Python pickle) is an error naming its key, not an entry passed over", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await py(`import sys, json\nfrom diskcache import Index\nIndex(sys.argv[1], [('a', 1), ('b', None), ('c', 'x')])\nprint(json.dumps(0))`, dir.path);
  using index = new Index<string, unknown>(dir.path);
  assert.equal(index.size, 3);
  assert.deepEqual([...index.keys()], ["a", "b", "c"]);
  assert.equal(index.get("c"), "x");
  refuses(() => index.get("b"), DiskCacheError, /key "b".*pickle/);
  refuses(() => [...index.values()], DiskCacheError, /key "b".*pickle/);
  refuses(() => [...index.entries()], DiskCacheError, /key "b".*pickle/);
  refuses(() => [...index], DiskCacheError, /key "b".*pickle/);
  refuses(() => index.forEach(() => {}), DiskCacheError, /key "b".*pickle/);
  index.delete("b");
  assert.deepEqual([...index.values()], [1, "x"]);
  assert.deepEqual([...index], [["a", 1], ["c", "x"]]);
});

test("Deque.rotate() moves items it cannot read (Python pickles) without reading any value, and counts steps as Python does", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await py(`import sys, json\nfrom diskcache import Deque\nDeque(['a', 'b' * 40000, None], directory=sys.argv[1])\nprint(json.dumps(0))`, dir.path);
  const files = valueFiles(dir.path);
  {
    using deque = new Deque<string>(dir.path);
    deque.rotate(1);
    deque.rotate(-2);
    deque.rotate(2);
  }
  assert.deepEqual(valueFiles(dir.path), files, "the value file was neither rewritten nor moved");
  const view = await py<{ items: string[]; check: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path);
  assert.deepEqual(view.items, ["None", "'a'", `'${"b".repeat(40000)}'`]);
  assert.deepEqual(view.check, []);
  // Keys that are not queue items count in the length (the steps are taken
  // modulo 4 here) and stay at the end, as python-diskcache's rotate leaves them.
  using other = tempDir();
  const cache = new DiskCache(other.path, { evictionPolicy: "none" });
  using deque = Deque.fromCache<number | string>(cache);
  deque.push(1, 2, 3);
  cache.set("x", "other");
  deque.rotate(3); // 3 modulo 4 steps, each moving one of 3 queue items: a full turn
  assert.deepEqual([...deque], [1, 2, 3, "other"]);
  deque.rotate(-6); // 6 modulo 4 = 2 steps left
  assert.deepEqual([...deque], [3, 1, 2, "other"]);
});
