import { test } from "node:test";
import assert from "node:assert/strict";
import { tempCache } from "./_helpers.ts";

test("DiskCache.keys() walks live keys in insertion order, reversed, and in key order, across pages", () => {
  let now = 0;
  using cache = tempCache({ clock: () => now, cullLimit: 0 });
  const inserted: unknown[] = [];
  for (let i = 0; i < 250; i++) {
    const key = i % 2 ? `s${(1000 - i).toString().padStart(4, "0")}` : 1000 - i;
    cache.set(key, i);
    inserted.push(key);
  }
  cache.set("gone", 1, { ttl: 5 });
  cache.set(inserted[0] as number, "replaced keeps its place");
  now = 10;
  assert.deepEqual([...cache.keys()], inserted);
  assert.deepEqual([...cache], inserted);
  assert.deepEqual([...cache.keys({ reverse: true })], [...inserted].reverse());
  const numbers = inserted.filter((k) => typeof k === "number").sort((a, b) => (a as number) - (b as number));
  const strings = inserted.filter((k) => typeof k === "string").sort();
  assert.deepEqual([...cache.keys({ order: "key" })], [...numbers, ...strings], "SQLite orders numbers before text");
  assert.deepEqual([...cache.keys({ order: "key", reverse: true })], [...numbers, ...strings].reverse());
});

test("DiskCache.entries() yields keys and values, structured keys decoded", () => {
  using cache = tempCache({ minFileSize: 10 });
  cache.set(["a", 1], { v: 1 });
  cache.set(2n ** 62n, "a value that goes to a file");
  cache.set(new Uint8Array([1]), 3);
  assert.deepEqual([...cache.entries()], [[["a", 1], { v: 1 }], [2n ** 62n, "a value that goes to a file"], [new Uint8Array([1]), 3]]);
  assert.throws(() => cache.keys({ order: "size" as never }), RangeError);
});

test("DiskCache.getMany(), setMany() and deleteMany() work in one transaction each", () => {
  using cache = tempCache();
  assert.equal(cache.setMany([["a", 1], ["b", 2], [["c"], 3]]), 3);
  assert.deepEqual(cache.getMany(["a", "nope", ["c"]]), [1, undefined, 3]);
  assert.throws(() => cache.setMany([["x", 1], [undefined as never, 2]]), TypeError);
  assert.equal(cache.has("x"), false, "a failing setMany stores nothing");
  assert.throws(() => cache.setMany([["x"] as never]), /pair/);
  assert.equal(cache.deleteMany(["a", "b", "zz"]), 2);
  assert.throws(() => cache.getMany("abc" as never), /iterable/);
});

test("key-order iteration visits every key once, bigints past 2^53 in numeric order (issue 12 #2)", () => {
  using cache = tempCache({ cullLimit: 0 });
  const keys: bigint[] = [];
  for (let i = 0n; i < 150n; i++) keys.push(9007199254740993n + i, 10n ** 17n + i);
  for (const k of keys) cache.set(k, 1);
  cache.set(5, "small");
  cache.set(-(2n ** 63n), "min");
  const sorted = [-(2n ** 63n), 5, ...keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))];
  assert.equal(cache.length, 302);
  assert.deepEqual([...cache.keys({ order: "key" })], sorted);
  assert.deepEqual([...cache.keys({ order: "key", reverse: true })], [...sorted].reverse());
  assert.deepEqual([...cache.entries({ order: "key" })].map(([k]) => k), sorted);
});

test("DiskCache iterates by key across pages when a page ends on a bigint key beyond 2^53", () => {
  using cache = tempCache();
  const base = 2n ** 60n;
  cache.transact(() => {
    for (let i = 0n; i < 250n; i++) cache.set(base + i, Number(i));
  });
  const keys = [...cache.keys({ order: "key" })];
  assert.equal(keys.length, 250);
  assert.deepEqual(keys.slice(98, 102), [base + 98n, base + 99n, base + 100n, base + 101n]);
  assert.deepEqual([...cache.keys({ order: "key", reverse: true })].at(-1), base);
});
