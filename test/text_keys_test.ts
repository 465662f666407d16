// Keys and text at their edges: U+0000 everywhere a string goes (Deno's
// node:sqlite cut TEXT at it on read), lone surrogates (UTF-8 cannot hold
// them), nesting past the decoder's depth, integral numbers inside structured
// keys, and ±Infinity/NaN keys (issue 12 #3, #5, crashes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Deque, DiskCache, Index } from "../mod.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { tempCache, tempDir } from "./_helpers.ts";
import { decodeStructured, encodeStructured, encodeWithCbor2, MAX_NESTING } from "../src/format/codec.ts";
import { scratchSize } from "../src/format/_cbor_fast.ts";

const NUL = ["a\0b", "\0", "x\0", "\0\0tail é ☃ 😀"];

test("strings holding U+0000 round-trip as keys, values (inline and in files), tags and queue items, on every read path", async () => {
  using cache = tempCache({ minFileSize: 64 });
  for (const [i, s] of NUL.entries()) {
    cache.set(s, s, { tag: s });
    cache.set(`long${i}`, s.repeat(40) + "end");
    cache.set([s, i], { s });
  }
  for (const [i, s] of NUL.entries()) {
    assert.equal(cache.get(s), s);
    assert.equal(cache.get(`long${i}`), s.repeat(40) + "end");
    assert.deepEqual(cache.get([s, i]), { s });
    assert.deepEqual(cache.getEntry(s), {
      value: s,
      expireTime: null,
      tag: s,
      storeTime: cache.getEntry(s)!.storeTime,
    });
    assert.equal(await new Response(cache.getStream(s)).text(), s);
  }
  const keys = [...cache.keys()];
  assert.deepEqual(keys.filter((k) => typeof k === "string" && k.includes("\0")).sort(), [...NUL].sort());
  for (const order of ["insertion", "key"] as const) {
    for (const reverse of [false, true]) {
      const entries = new Map(
        [...cache.entries({ order, reverse })].filter(([k]) => typeof k === "string").map(([k, v]) => [k as string, v]),
      );
      for (const s of NUL) assert.equal(entries.get(s), s, `entries({ order: ${order}, reverse: ${reverse} })`);
    }
  }
  // Key-order paging passes the last key back: one holding U+0000 must too.
  using many = tempCache();
  const ks = Array.from({ length: 250 }, (_, i) => `k\0${String(i).padStart(3, "0")}`);
  for (const k of ks) many.set(k, 1);
  assert.deepEqual([...many.keys({ order: "key" })], ks);
  assert.deepEqual([...many.keys({ order: "key", reverse: true })], [...ks].reverse());

  assert.equal(cache.evict(NUL[0]!), 1, "evict by a tag holding U+0000");
  assert.equal(cache.pop(NUL[1]!), NUL[1]);
  for (const s of NUL) cache.push(s, { prefix: "q" });
  assert.deepEqual(cache.peek({ prefix: "q" })?.[1], NUL[0]);
  assert.deepEqual(cache.peek({ prefix: "q", side: "back" })?.[1], NUL[3]);
  for (const s of NUL) assert.equal(cache.pull({ prefix: "q" })?.[1], s);
  cache.push("\0", { prefix: "r" });
  cache.set("\0last", "\0v");
  assert.deepEqual(cache.peekItem({ last: true }), ["\0last", "\0v"]);
  assert.equal(cache.incr("\0n"), 1);
});

test('push with U+0000 in the prefix reads the last key whole (Deno\'s node:sqlite cut it at the NUL: "a\\0b-000000000000NaN")', () => {
  using cache = tempCache();
  for (const prefix of ["a\0b", "\0", "x\0"]) {
    assert.equal(cache.push(1, { prefix }), `${prefix}-500000000000000`);
    assert.equal(cache.push(2, { prefix }), `${prefix}-500000000000001`);
    assert.equal(cache.push(0, { prefix, side: "front" }), `${prefix}-499999999999999`);
    // A key in the range that is not a queue key is stepped over, bound back with its U+0000.
    cache.set(`${prefix}-9\0`, "not a queue key");
    assert.equal(cache.push(3, { prefix }), `${prefix}-500000000000002`);
    assert.deepEqual([0, 1, 2, 3].map(() => cache.pull({ prefix })?.[1]), [0, 1, 2, 3]);
  }
  assert.deepEqual(cache.check(), []);
});

test("Deque and Index keep strings holding U+0000", () => {
  using dir = tempDir();
  using deque = new Deque<string>(`${dir.path}/d`);
  deque.push(...NUL);
  assert.equal(deque.at(0), NUL[0]);
  assert.deepEqual([...deque], NUL);
  assert.equal(deque.pop(), NUL[3]);
  assert.equal(deque.shift(), NUL[0]);
  using index = new Index<string, string>(`${dir.path}/i`);
  for (const s of NUL) index.set(s, s);
  assert.deepEqual([...index.keys()], NUL);
  assert.deepEqual([...index.entries()], NUL.map((s) => [s, s]));
  assert.equal(index.get(NUL[0]!), NUL[0]);
  assert.deepEqual(index.popItem({ last: true }), [NUL[3], NUL[3]]);
});

test("lone surrogates are refused with a TypeError naming where they are, never merged into U+FFFD", () => {
  using cache = tempCache();
  cache.set("\uFFFD", "replacement");
  assert.throws(() => cache.set("\uD800", "high"), /key is a string with a lone surrogate \(U\+D800 at index 0\)/);
  assert.throws(() => cache.set("a\uDC00", "low"), TypeError);
  assert.throws(() => cache.get("\uD800"), TypeError);
  assert.throws(() => cache.has("\uDC00"), TypeError);
  assert.throws(() => cache.set("k", "a\uD800b"), /value is a string with a lone surrogate/);
  assert.throws(() => cache.set("k", { name: ["x", "\uDBFF"] }), /value\.name\[1\] is a string with a lone surrogate/);
  assert.throws(() => cache.set("k", { ["\uD800"]: 1 }), /a property name of value/);
  assert.throws(() => cache.set("k", { ["\uD800"]: 1, b: 2 }), TypeError);
  assert.throws(() => cache.set(["\uD800"], 1), /key\[0\] is a string with a lone surrogate/);
  assert.throws(() => cache.set({ b: 1, ["\uD800"]: 1 }, 1), TypeError, "non-ASCII property names in a key");
  assert.throws(() => cache.set("k", new Map([["\uDC00", 1]])), TypeError);
  assert.throws(() => cache.set("k", 1, { tag: "\uD800" }), /tag/);
  assert.throws(() => cache.push("\uD800"), TypeError);
  assert.throws(() => cache.push(1, { prefix: "\uDC00" }), /option "prefix" is a string with a lone surrogate/);
  assert.equal(cache.length, 1);
  assert.equal(cache.get("\uFFFD"), "replacement");
  // Well-formed pairs are fine, in every position.
  const astral = "😀\uD83D\uDE00";
  cache.set(astral, astral, { tag: astral });
  cache.set([astral], { [astral]: astral });
  assert.equal(cache.get(astral), astral);
  assert.deepEqual(cache.get([astral]), { [astral]: astral });
});

test(`structures nested up to ${MAX_NESTING} levels round-trip; deeper ones are refused at set with the limit named`, () => {
  using cache = tempCache({ minFileSize: 1 << 20 });
  const nest = (depth: number, wrap: (v: unknown) => unknown) => {
    let v: unknown = "leaf";
    for (let i = 0; i < depth; i++) v = wrap(v);
    return v;
  };
  const shapes: [string, (v: unknown) => unknown][] = [
    ["array", (v) => [v]],
    ["object", (v) => ({ next: v })],
    ["Map", (v) => new Map([[1, v]])],
    ["Set", (v) => new Set([v])],
  ];
  for (const [name, wrap] of shapes) {
    const ok = nest(MAX_NESTING, wrap);
    cache.set(name, ok);
    // Compared through the codec: Bun's deepEqual takes minutes over 256 nested Sets.
    assert.deepEqual(encodeStructured(cache.get(name), "value", false), encodeStructured(ok, "value", false), name);
    assert.throws(
      () => cache.set(`${name}+`, nest(MAX_NESTING + 1, wrap)),
      new RegExp(`more than ${MAX_NESTING} levels deep`),
      name,
    );
    assert.equal(cache.has(`${name}+`), false);
  }
  // The cases: a 1,025-node linked list, arrays 513 deep, and a
  // depth that overflowed the stack.
  assert.throws(() => cache.set("list", nest(1025, (v) => ({ v }))), TypeError);
  assert.throws(() => cache.set("deep", nest(513, (v) => [v])), TypeError);
  assert.throws(() => cache.set("deeper", nest(10_000, (v) => [v])), TypeError);
  assert.throws(() => cache.set(nest(300, (v) => [v]) as unknown[], 1), TypeError, "keys too");
  const keyOk = nest(MAX_NESTING, (v) => [v]) as unknown[];
  cache.set(keyOk, "deep key");
  assert.equal(cache.get(keyOk), "deep key");
});

test("integral numbers are one key inside structured keys too: [1], [1n], [1.0], [-0] and [0]; 2^60 as number and bigint", () => {
  using cache = tempCache();
  cache.set([1], "a");
  cache.set([1n], "b");
  assert.equal(cache.get([1.0]), "b");
  assert.equal(cache.length, 1);
  cache.set({ n: 0, m: new Map([[2n, 3n]]) }, "zero");
  assert.equal(cache.get({ n: -0, m: new Map([[2, 3]]) }), "zero");
  cache.set([2 ** 60], "big");
  assert.equal(cache.get([2n ** 60n]), "big");
  cache.set([new Set([5n, 2 ** 70])], "set");
  assert.equal(cache.get([new Set([2n ** 70n, 5])]), "set");
  assert.equal(cache.length, 4);
  assert.deepEqual([...cache.keys()][0], [1], "a bigint in the safe range reads back as a number");
  assert.deepEqual([...cache.keys()][2], [2n ** 60n], "an integer past 2^53 reads back as a bigint");
  // The fast encoder and cbor2 agree on the canonical bytes.
  for (const key of [[1n, -0, 2 ** 60], { a: -0 }, [-(2n ** 63n), 2n ** 64n, 1.5]]) {
    assert.deepEqual(encodeStructured(key, "key", true), encodeWithCbor2(key, "key", true));
  }
  // Values keep their types.
  cache.set("v", [1n, -0, 2 ** 60]);
  assert.deepEqual(cache.get("v"), [1n, -0, 2 ** 60]);
  assert.ok(Object.is((cache.get("v") as number[])[1], -0));
});

test("±Infinity keys are stored as REAL like other floats; NaN keys are one structured key", () => {
  using cache = tempCache();
  cache.set(Infinity, "inf");
  cache.set(-Infinity, "-inf");
  cache.set(NaN, "nan");
  cache.set(0 / 0, "nan again");
  assert.equal(cache.get(Infinity), "inf");
  assert.equal(cache.get(-Infinity), "-inf");
  assert.equal(cache.get(NaN), "nan again");
  assert.equal(cache.length, 3);
  assert.deepEqual([...cache.keys({ order: "key" })].slice(0, 2), [-Infinity, Infinity]);
  assert.ok(Number.isNaN([...cache.keys()][2]));
  cache.set("values", Infinity);
  assert.equal(cache.get("values"), Infinity);
  cache.set("values", -Infinity);
  assert.equal(cache.get("values"), -Infinity);
  cache.set("values", NaN);
  assert.ok(Number.isNaN(cache.get("values")));
});

test("the fast encoder's scratch buffer shrinks back after a large value", () => {
  using cache = tempCache();
  cache.set("big", { data: "x".repeat(8 << 20) });
  assert.ok(scratchSize() <= 1 << 20, `scratch buffer still ${scratchSize()} bytes`);
  cache.set("small", { a: 1 });
  assert.deepEqual(cache.get("small"), { a: 1 });
  assert.equal((cache.get("big") as { data: string }).data.length, 8 << 20);
  assert.deepEqual(decodeStructured(encodeStructured({ a: [1, 2] }, "value", false)), { a: [1, 2] });
});

test("a driver declaring cutsTextAtNul sends text holding U+0000 down the BLOB-reading path of get(), under every policy", () => {
  using dir = tempDir();
  const driver = { ...detectDriver(), cutsTextAtNul: true };
  for (const evictionPolicy of ["least-recently-stored", "least-recently-used"] as const) {
    using cache = new DiskCache(`${dir.path}/${evictionPolicy}`, { driver, evictionPolicy });
    cache.set("k", "a\0b");
    cache.set("plain", "text");
    cache.set("bytes", new Uint8Array([0, 1]));
    assert.equal(cache.get("k"), "a\0b");
    assert.equal(cache.get("plain"), "text");
    assert.deepEqual(cache.get("bytes"), new Uint8Array([0, 1]));
  }
});

test("strings that start with U+FEFF (a byte order mark) keep it: inline, in text files, inside structured values, with U+0000", async () => {
  using cache = tempCache({ minFileSize: 64 });
  const bom = "\uFEFFhello";
  const cases: [string, unknown][] = [
    ["inline", bom],
    ["file", bom.repeat(20)],
    ["structured", { s: bom, list: [bom] }],
    ["structured file", Array.from({ length: 20 }, () => bom)],
    ["nul", "\uFEFF\0x"],
  ];
  for (const [k, v] of cases) cache.set(k, v);
  cache.set(bom, "as a key");
  for (const [k, v] of cases) assert.deepEqual(cache.get(k), v, k);
  assert.equal(cache.get(bom), "as a key");
  assert.ok([...cache.keys()].includes(bom));
  const chunks: Uint8Array[] = [];
  for await (const chunk of cache.getStream("file")!) chunks.push(chunk);
  assert.equal(new TextDecoder("utf-8", { ignoreBOM: true }).decode(Buffer.concat(chunks)), bom.repeat(20));
  assert.deepEqual(decodeStructured(encodeStructured(bom, "value", false)), bom);
});
