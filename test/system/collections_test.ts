// System tests split from test/collections_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Deque, DiskCache, DiskCacheError, Index } from "../../mod.ts";
import { refuses, runJson, runners, tempDir, valueFiles } from "../_helpers.ts";
import { pythonJson, skipWithoutPython } from "../_services.ts";

const FIRST = 500000000000000;

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

test("Deque.at() answers the item at that position; a value it cannot read (a Python pickle) is an error naming its key, never a neighbour", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await pythonJson(
    `import sys, json\nfrom diskcache import Deque\nDeque(['a', ('t', 1), 'b', None, 'c'], directory=sys.argv[1])\nprint(json.dumps(0))`,
    dir.path,
  );
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
  await pythonJson(
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
  const view = await pythonJson<{ len: number; items: string[]; check: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path);
  assert.deepEqual(view.items, ["'c'", "None", `'${"b".repeat(40000)}'`, "('t', 1)", "'a'"]);
  assert.equal(view.len, 5);
  assert.deepEqual(view.check, [], "python-diskcache's check() finds nothing wrong");
  // Twice is the identity; an empty deque and a deque of one are left as they are.
  using deque = new Deque<string>(dir.path);
  deque.reverse();
  deque.reverse();
  assert.deepEqual((await pythonJson<{ items: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path)).items, view.items);
  deque.clear();
  deque.reverse();
  deque.push("x");
  deque.reverse();
  assert.equal(deque.at(0), "x");
});

test("Deque with maxLength drops a front item it cannot read (a Python pickle) without reading it", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await pythonJson(`import sys, json\nfrom diskcache import Deque\nDeque([None, 'x'], directory=sys.argv[1])\nprint(json.dumps(0))`, dir.path);
  {
    using deque = new Deque<string>(dir.path, { maxLength: 2 });
    assert.equal(deque.push("y"), 2);
  }
  assert.deepEqual((await pythonJson<{ items: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path)).items, ["'x'", "'y'"]);
});

test("Index: keys(), values() and entries() line up; a value it cannot read (a Python pickle) is an error naming its key, not an entry passed over", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await pythonJson(`import sys, json\nfrom diskcache import Index\nIndex(sys.argv[1], [('a', 1), ('b', None), ('c', 'x')])\nprint(json.dumps(0))`, dir.path);
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
  await pythonJson(`import sys, json\nfrom diskcache import Deque\nDeque(['a', 'b' * 40000, None], directory=sys.argv[1])\nprint(json.dumps(0))`, dir.path);
  const files = valueFiles(dir.path);
  {
    using deque = new Deque<string>(dir.path);
    deque.rotate(1);
    deque.rotate(-2);
    deque.rotate(2);
  }
  assert.deepEqual(valueFiles(dir.path), files, "the value file was neither rewritten nor moved");
  const view = await pythonJson<{ items: string[]; check: string[] }>(PY_DEQUE_VIEW_CHECKED, dir.path);
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
