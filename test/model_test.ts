// Model-based tests: random command sequences over the whole DiskCache
// surface (writes, reads, queues, iteration in both orders and directions,
// nested transactions that commit or throw, tags, expiry on an injected
// clock, clear, inline and file-backed values) against an in-memory model,
// with keys of every type. The exact model runs without culling; a second,
// looser model runs under a small sizeLimit. DISKCACHE_MODEL_RUNS sets the
// number of runs per property (default 25).
//
// Variants that reach a defect listed in the open correctness issues are
// marked `todo` with the issue item; the "base" variant excludes those
// triggers and must pass today.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { DiskCache, type EvictionPolicy, FanoutCache, type MemoryOptions } from "../mod.ts";
import { structuredKeyValue } from "../src/format/row_values.ts";
import { tempDir } from "./_helpers.ts";

const RUNS = Number(globalThis.process?.env?.DISKCACHE_MODEL_RUNS ?? 25);
// Replays a failure: fast-check prints the seed of a failing run (CI's included).
const SEED = globalThis.process?.env?.DISKCACHE_MODEL_SEED;
const seeded = SEED === undefined ? {} : { seed: Number(SEED) };
const MIN_FILE = 64;

// ---------------------------------------------------------------- keys

/** Which known-defect triggers a variant draws from. */
interface Features {
  nul: boolean; // strings with U+0000 (issue 12 #3, Deno)
  bigKeys: boolean; // bigint keys beyond 2^53 with key-order iteration (issue 12 #2)
  popInTx: boolean; // pop/pull inside a transaction that rolls back (issue 12 #1)
  surrogates: boolean; // lone surrogates in keys and values (issue 12 #5)
  structNum: boolean; // [1] vs [1n], [-0] vs [0], Infinity keys (issue 12, "Structured keys" / "Infinity keys")
}
const NONE: Features = { nul: false, bigKeys: false, popInTx: false, surrogates: false, structNum: false };

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The model's identity of a key or value: equal keys (1, 1n, 1.0; any property order) give equal strings. */
function canon(v: unknown): string {
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) ? `i${BigInt(v)}` : `f${String(v)}`;
    case "bigint":
      return `i${v}`;
    case "string":
      return `s${JSON.stringify(v)}`;
    case "boolean":
      return String(v);
    case "object":
      if (v === null) return "null";
      if (v instanceof Uint8Array) return `b${hex(v)}`;
      if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
      return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  throw new Error(`no canon for ${typeof v}`);
}

/** How SQLite orders the stored key column (then raw). */
type Sort = { cls: 1; num: number | bigint; raw: 1 } | { cls: 2; bytes: Uint8Array; raw: 1 } | { cls: 3; bytes: Uint8Array; raw: 0 | 1 };
const utf8 = new TextEncoder();
function sortOf(k: unknown): Sort {
  if (typeof k === "string") return { cls: 2, bytes: utf8.encode(k), raw: 1 };
  if (typeof k === "number" && !Number.isNaN(k)) return { cls: 1, num: k, raw: 1 }; // ±Infinity are REAL keys
  if (typeof k === "bigint" && k >= -(2n ** 63n) && k < 2n ** 63n) return { cls: 1, num: k, raw: 1 };
  if (k instanceof Uint8Array) return { cls: 3, bytes: k, raw: 1 };
  return { cls: 3, bytes: structuredKeyValue(k), raw: 0 };
}
function cmpNum(a: number | bigint, b: number | bigint): number {
  const x = typeof a === "number" && Number.isInteger(a) ? BigInt(a) : a;
  const y = typeof b === "number" && Number.isInteger(b) ? BigInt(b) : b;
  if (typeof x === "bigint" && typeof y === "bigint") return x < y ? -1 : x > y ? 1 : 0;
  return Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0;
}
function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
function cmpKeys(a: unknown, b: unknown): number {
  const x = sortOf(a), y = sortOf(b);
  if (x.cls !== y.cls) return x.cls - y.cls;
  const c = x.cls === 1 ? cmpNum(x.num, (y as { num: number | bigint }).num) : cmpBytes(x.bytes, (y as { bytes: Uint8Array }).bytes);
  return c !== 0 ? c : x.raw - y.raw;
}

/** The keys a variant draws from; `featured` are the indices of its defect triggers, drawn more often. */
function keyPool(f: Features): { keys: unknown[]; featured: number[] } {
  const keys: unknown[] = [
    "a",
    "b",
    "",
    "é",
    "😀",
    "a😀b",
    "\u{10FFFF}",
    "zz".repeat(40),
    0,
    -1,
    -7,
    2 ** 53 - 1,
    -(2 ** 53) + 1,
    1e15,
    2 ** 53, // numbers outside the queue's key range (0, 1e15)
    -0,
    -0.5,
    -1.25,
    1e300,
    -1e300,
    2.5e15,
    1.5e16,
    9007199254740991n,
    -9007199254740991n,
    5n, // bigints within the safe range
    new Uint8Array([]),
    new Uint8Array([0]),
    new Uint8Array([1, 2, 3]),
    new Uint8Array([255]),
    ["user", 1],
    ["user", 2],
    [[1, "x"], null],
    { a: 1, b: "x" },
    { b: "x", a: 1 },
    { nested: { list: [true, false] } },
    2n ** 64n,
    -(2n ** 64n), // beyond 64 bits: structured
  ];
  const base = keys.length;
  if (f.nul) keys.push("\0", "a\0b", "\0\0", "x\0😀");
  if (f.bigKeys) {
    keys.push(
      2n ** 53n,
      -(2n ** 53n) - 1n,
      -(2n ** 63n),
      -(2n ** 63n) + 1n,
      9007199254740993n,
      2n ** 63n - 1n,
      2n ** 62n,
      10n ** 17n,
      10n ** 17n + 1n,
      2n ** 60n,
      2 ** 60,
    );
  }
  if (f.surrogates) keys.push("\uD800", "\uDC00", "\uFFFD", "a\uD800");
  if (f.structNum) keys.push([1], [1n], [-0], [0], Infinity, -Infinity, { n: 2n ** 60n });
  return { keys, featured: keys.map((_, i) => i).slice(base) };
}

// ---------------------------------------------------------------- values

function valueArb(f: Features): fc.Arbitrary<unknown> {
  const chars = ["a", "é", "😀", "\u{10FFFF}", "z", " "];
  if (f.nul) chars.push("\0");
  if (f.surrogates) chars.push("\uD800", "\uDC00");
  const str = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((a) => a.join(""));
  return fc.oneof(
    str,
    str.map((s) => (s || "q").repeat(Math.ceil(80 / (s.length || 1)))), // a value file (text)
    fc.integer({ min: -1000, max: 1000 }),
    fc.constantFrom(0.5, -2.25, 1e300, -0, NaN, Infinity, 2 ** 60, Number.MAX_SAFE_INTEGER),
    fc.constantFrom(2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n, 5n),
    fc.uint8Array({ maxLength: 20 }),
    fc.uint8Array({ minLength: MIN_FILE, maxLength: 200 }), // a value file (binary)
    fc.record({ s: str, n: fc.integer(), list: fc.array(fc.oneof(fc.boolean(), fc.constant(null), str), { maxLength: 4 }) }, { noNullPrototype: true }),
    fc.array(fc.oneof(str, fc.integer()), { minLength: 20, maxLength: 30 }), // a value file (CBOR)
  );
}

/** What a stored value reads back as: a bigint within the safe range as a number (structured values keep their bigints). */
function norm(v: unknown): unknown {
  if (typeof v === "bigint") return v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v;
  return v;
}

// ---------------------------------------------------------------- commands

const TAGS: unknown[] = ["t1", "t2", 7];
type Cmd =
  | { op: "set" | "add"; k: number; v: unknown; ttl?: number | undefined; tag?: number | undefined }
  | { op: "get" | "getEntry" | "has" | "delete" | "pop"; k: number }
  | { op: "incr" | "decr"; k: number; d: number }
  | { op: "touch"; k: number; ttl?: number | undefined }
  | { op: "push"; v: unknown; prefix: boolean; front: boolean; ttl?: number | undefined }
  | { op: "pull" | "peek"; prefix: boolean; back: boolean }
  | { op: "peekItem"; last: boolean }
  | { op: "keys" | "entries"; byKey: boolean; reverse: boolean }
  | { op: "advance"; ms: number }
  | { op: "evict"; tag: number }
  | { op: "expire" | "cull" | "clear" | "length" }
  | { op: "setMany"; ks: number[]; v: unknown; ttl?: number | undefined }
  | { op: "getMany" | "deleteMany"; ks: number[] }
  | { op: "switch" }
  | { op: "tx"; body: Cmd[]; fail: boolean };

function cmdArb(f: Features, pool: { keys: unknown[]; featured: number[] }, depth: number, inTx: boolean, fanout = false): fc.Arbitrary<Cmd> {
  const any = fc.nat({ max: pool.keys.length - 1 });
  const k = pool.featured.length ? fc.oneof(any, fc.constantFrom(...pool.featured)) : any;
  // ttls end on 5 ms and the clock moves by tens, so no expiry lands on "now".
  const ttl = fc.option(fc.constantFrom(5, 15, 35, 105, 1005), { nil: undefined });
  const tag = fc.option(fc.nat({ max: TAGS.length - 1 }), { nil: undefined });
  const v = valueArb(f);
  const removals = !inTx || f.popInTx;
  const arbs: fc.Arbitrary<Cmd>[] = [
    fc.record({ op: fc.constantFrom("set" as const, "add" as const), k, v, ttl, tag }, { requiredKeys: ["op", "k", "v"] }),
    fc.record({ op: fc.constantFrom("get" as const, "getEntry" as const, "has" as const, "delete" as const), k }),
    fc.record({ op: fc.constantFrom("incr" as const, "decr" as const), k, d: fc.integer({ min: -3, max: 3 }) }),
    fc.record({ op: fc.constant("touch" as const), k, ttl }, { requiredKeys: ["op", "k"] }),
    fc.record({ op: fc.constant("push" as const), v, prefix: fc.boolean(), front: fc.boolean(), ttl }, { requiredKeys: ["op", "v", "prefix", "front"] }),
    fc.record({ op: fc.constant("peek" as const), prefix: fc.boolean(), back: fc.boolean() }),
    fc.record({ op: fc.constant("peekItem" as const), last: fc.boolean() }),
    fc.record({ op: fc.constantFrom("keys" as const, "entries" as const), byKey: fc.boolean(), reverse: fc.boolean() }),
    fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(10, 20, 100, 1000) }),
    fc.record({ op: fc.constant("evict" as const), tag: fc.nat({ max: TAGS.length - 1 }) }),
    fc.record({ op: fc.constantFrom("expire" as const, "cull" as const, "clear" as const, "length" as const) }),
    fc.record({ op: fc.constant("setMany" as const), ks: fc.array(k, { maxLength: 4 }), v, ttl }, { requiredKeys: ["op", "ks", "v"] }),
    fc.record({ op: fc.constantFrom("getMany" as const, "deleteMany" as const), ks: fc.array(k, { maxLength: 4 }) }),
  ];
  if (fanout) {
    // FanoutCache has no queue, transactions or peekItem.
    const skip = new Set([4, 5, 6]);
    const kept = arbs.filter((_, i) => !skip.has(i));
    kept.push(fc.record({ op: fc.constant("pop" as const), k }));
    return fc.oneof(...kept);
  }
  if (removals) {
    arbs.push(fc.record({ op: fc.constant("pop" as const), k }));
    arbs.push(fc.record({ op: fc.constant("pull" as const), prefix: fc.boolean(), back: fc.boolean() }));
  }
  if (depth === 0) arbs.push(fc.record({ op: fc.constant("switch" as const) }));
  if (depth < 2) {
    arbs.push(fc.record({ op: fc.constant("tx" as const), body: fc.array(cmdArb(f, pool, depth + 1, true), { maxLength: 8 }), fail: fc.boolean() }));
  }
  return fc.oneof(...arbs);
}

// ---------------------------------------------------------------- the exact model

interface Item {
  key: unknown;
  value: unknown; // as it reads back (norm)
  expire: number | null; // epoch ms
  store: number;
  tag: unknown;
}

const QMIN = "q-000000000000000", QMAX = "q-999999999999999";
function inQueue(key: unknown, prefix: boolean): boolean {
  if (prefix) return typeof key === "string" && key >= QMIN && key <= QMAX;
  return (typeof key === "number" || typeof key === "bigint") && key >= 0 && key <= 999_999_999_999_999;
}

class Rollback extends Error {}

class Exact {
  items = new Map<string, Item>(); // in insertion order (rowid order)
  now: number;
  constructor(now: number) {
    this.now = now;
  }
  live(id: string): Item | undefined {
    const e = this.items.get(id);
    return e && (e.expire === null || e.expire > this.now) ? e : undefined;
  }
  put(key: unknown, value: unknown, ttl: number | undefined, tag: unknown): void {
    const id = canon(key);
    const old = this.items.get(id);
    this.items.set(id, { key: old?.key ?? key, value: norm(value), expire: ttl === undefined ? null : this.now + ttl, store: this.now, tag: tag ?? null });
  }
  liveItems(): Item[] {
    return [...this.items.values()].filter((e) => e.expire === null || e.expire > this.now);
  }
  snapshot(): Map<string, Item> {
    return new Map([...this.items].map(([k, e]) => [k, { ...e }]));
  }
}

function expectedIncr(current: unknown, d: bigint): { ok: true; sum: bigint } | { ok: false; error: typeof TypeError | typeof RangeError } {
  let c: bigint;
  if (typeof current === "bigint" && current >= -(2n ** 63n) && current < 2n ** 63n) c = current; // beyond: stored as CBOR
  else if (typeof current === "number" && Number.isInteger(current) && !Object.is(current, -0)) c = BigInt(current);
  else return { ok: false, error: TypeError };
  const sum = c + d;
  if (sum < -(2n ** 63n) || sum >= 2n ** 63n) return { ok: false, error: RangeError };
  // A number delta answers a number: a sum past 2^53 is refused (a bigint delta counts on).
  if (sum > 2n ** 53n - 1n || sum < -(2n ** 53n) + 1n) return { ok: false, error: RangeError };
  return { ok: true, sum };
}

/** Whether a string anywhere in `v` holds a lone surrogate (the cache refuses those with a TypeError, issue 12 #5). */
function loneSurrogate(v: unknown): boolean {
  if (typeof v === "string") return /\p{Cs}/u.test(v);
  if (Array.isArray(v)) return v.some(loneSurrogate);
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) return Object.entries(v).some(([k, x]) => loneSurrogate(k) || loneSurrogate(x));
  return false;
}

function refused(c: Cmd, keys: unknown[]): boolean {
  if (c.op === "tx" || c.op === "switch") return false;
  // setMany of no keys stores nothing, so it has nothing to refuse.
  if (c.op === "setMany" && c.ks.length === 0) return false;
  return ("k" in c && loneSurrogate(keys[c.k])) || ("ks" in c && c.ks.some((i) => loneSurrogate(keys[i]))) || ("v" in c && loneSurrogate(c.v));
}

function runExact(
  cache: DiskCache,
  m: Exact,
  keys: unknown[],
  cmds: Cmd[],
  clock: { now: number },
  log: string[],
  switchConnection?: () => void,
  refusing = false,
  warm?: () => void,
): void {
  for (const c of cmds) {
    warm?.();
    if (!refusing && refused(c, keys)) {
      // Refused before anything is written: the model stays as it is.
      const before = m.snapshot();
      assert.throws(() => runExact(cache, m, keys, [c], clock, [], switchConnection, true), TypeError, "a lone surrogate is refused");
      m.items = before;
      continue;
    }
    log.push(JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `bytes(${v.length})` : v)));
    const key = "k" in c ? keys[c.k] : undefined;
    const id = key === undefined ? "" : canon(key);
    switch (c.op) {
      case "set":
        assert.equal(cache.set(key as never, c.v, { ttl: c.ttl, tag: c.tag === undefined ? undefined : TAGS[c.tag] as never }), true);
        m.put(key, c.v, c.ttl, c.tag === undefined ? null : TAGS[c.tag]);
        break;
      case "add": {
        const expected = m.live(id) === undefined;
        assert.equal(cache.add(key as never, c.v, { ttl: c.ttl, tag: c.tag === undefined ? undefined : TAGS[c.tag] as never }), expected, "add");
        if (expected) m.put(key, c.v, c.ttl, c.tag === undefined ? null : TAGS[c.tag]);
        break;
      }
      case "get":
        assert.deepEqual(cache.get(key as never), m.live(id)?.value, "get");
        break;
      case "getEntry": {
        const e = m.live(id);
        assert.deepEqual(cache.getEntry(key as never), e && { value: e.value, expireTime: e.expire, storeTime: e.store, tag: norm(e.tag) }, "getEntry");
        break;
      }
      case "has":
        assert.equal(cache.has(key as never), m.live(id) !== undefined, "has");
        break;
      case "delete":
        assert.equal(cache.delete(key as never), m.live(id) !== undefined, "delete");
        if (m.live(id)) m.items.delete(id);
        break;
      case "pop": {
        const e = m.live(id);
        assert.deepEqual(cache.pop(key as never), e?.value, "pop");
        if (e) m.items.delete(id);
        break;
      }
      case "incr":
      case "decr": {
        const e = m.live(id);
        const d = BigInt(c.op === "incr" ? c.d : -c.d);
        const r = expectedIncr(e ? e.value : 0, d);
        const call = () => (c.op === "incr" ? cache.incr(key as never, c.d) : cache.decr(key as never, c.d));
        if (!r.ok) {
          assert.throws(call, r.error);
          break;
        }
        assert.equal(call(), norm(r.sum), c.op);
        if (e) (e.value = norm(r.sum), e.store = m.now);
        else m.put(key, r.sum, undefined, null);
        break;
      }
      case "touch": {
        const e = m.live(id);
        assert.equal(cache.touch(key as never, c.ttl), e !== undefined, "touch");
        if (e) e.expire = c.ttl === undefined ? null : m.now + c.ttl;
        break;
      }
      case "push": {
        const q = [...m.items.values()].filter((e) => inQueue(e.key, c.prefix)).map((e) => e.key).sort(cmpKeys);
        let num = 500_000_000_000_000;
        if (q.length) {
          const end = c.front ? q[0] : q.at(-1);
          num = (c.prefix ? Number(String(end).slice(-15)) : Number(end)) + (c.front ? -1 : 1);
        }
        const push = () => cache.push(c.v, { prefix: c.prefix ? "q" : undefined, side: c.front ? "front" : "back", ttl: c.ttl });
        if (refusing) {
          push(); // a refused value throws before the key range is looked at
          break;
        }
        if (num < 0 || num > 999_999_999_999_999) {
          assert.throws(push, { name: "DiskCacheError" }, "push past the end of the key range");
          break;
        }
        const expectedKey = c.prefix ? `q-${String(num).padStart(15, "0")}` : num;
        assert.equal(cache.push(c.v, { prefix: c.prefix ? "q" : undefined, side: c.front ? "front" : "back", ttl: c.ttl }), expectedKey, "push");
        m.put(expectedKey, c.v, c.ttl, null);
        break;
      }
      case "pull":
      case "peek": {
        let expected: [unknown, unknown] | undefined;
        for (;;) {
          const q = [...m.items.values()].filter((e) => inQueue(e.key, c.prefix)).sort((a, b) => cmpKeys(a.key, b.key));
          const e = c.back ? q.at(-1) : q[0];
          if (e === undefined) break;
          const live = e.expire === null || e.expire > m.now;
          if (!live || c.op === "pull") m.items.delete(canon(e.key));
          if (live) {
            expected = [e.key, e.value];
            break;
          }
        }
        const got = cache[c.op]({ prefix: c.prefix ? "q" : undefined, side: c.back ? "back" : "front" });
        assert.deepEqual(got && [canon(got[0]), got[1]], expected && [canon(expected[0]), expected[1]], c.op);
        break;
      }
      case "peekItem": {
        let expected: [unknown, unknown] | undefined;
        for (;;) {
          const all = [...m.items.values()];
          const e = c.last ? all.at(-1) : all[0];
          if (e === undefined) break;
          if (e.expire === null || e.expire > m.now) {
            expected = [e.key, e.value];
            break;
          }
          m.items.delete(canon(e.key));
        }
        const got = cache.peekItem({ last: c.last });
        assert.deepEqual(got && [canon(got[0]), got[1]], expected && [canon(expected[0]), expected[1]], "peekItem");
        break;
      }
      case "keys":
      case "entries": {
        let live = m.liveItems();
        if (c.byKey) live = live.sort((a, b) => cmpKeys(a.key, b.key));
        if (c.reverse) live.reverse();
        const options = { order: c.byKey ? "key" as const : "insertion" as const, reverse: c.reverse };
        // A FanoutCache walks shard after shard: compare as sets (its key order is issue 17 #10).
        const sorted = <T>(
          a: T[],
        ) => (cache instanceof FanoutCache
          ? a.map((x) => [JSON.stringify(Array.isArray(x) ? x[0] : x), x] as const).sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0)).map((p) => p[1])
          : a);
        if (c.op === "keys") assert.deepEqual(sorted([...cache.keys(options)].map(canon)), sorted(live.map((e) => canon(e.key))), "keys");
        else {
          assert.deepEqual(sorted([...cache.entries(options)].map(([k, v]) => [canon(k), v])), sorted(live.map((e) => [canon(e.key), e.value])), "entries");
        }
        break;
      }
      case "advance":
        clock.now += c.ms;
        m.now = clock.now;
        break;
      case "evict": {
        let n = 0;
        for (const [i, e] of m.items) if (e.tag !== null && canon(e.tag) === canon(TAGS[c.tag])) (n++, m.items.delete(i));
        assert.equal(cache.evict(TAGS[c.tag] as never), n, "evict");
        break;
      }
      case "expire":
      case "cull": {
        let n = 0;
        for (const [i, e] of m.items) if (e.expire !== null && e.expire < m.now) (n++, m.items.delete(i));
        assert.equal(c.op === "expire" ? cache.expire() : cache.cull(), n, c.op);
        break;
      }
      case "clear": {
        const n = m.items.size;
        m.items.clear();
        assert.equal(cache.clear(), n, "clear");
        break;
      }
      case "length":
        assert.equal(cache.length, m.items.size, "length");
        break;
      case "switch":
        switchConnection?.();
        break;
      case "setMany": {
        const list = c.ks.map((i, j) => [keys[i], j % 2 ? c.v : [c.v, j]] as const);
        assert.equal(cache.setMany(list as never, { ttl: c.ttl }), list.length, "setMany");
        for (const [key, v] of list) m.put(key, v, c.ttl, null);
        break;
      }
      case "getMany":
        assert.deepEqual(cache.getMany(c.ks.map((i) => keys[i]) as never), c.ks.map((i) => m.live(canon(keys[i]))?.value), "getMany");
        break;
      case "deleteMany": {
        let n = 0;
        for (const i of c.ks) if (m.live(canon(keys[i]))) (n++, m.items.delete(canon(keys[i])));
        assert.equal(cache.deleteMany(c.ks.map((i) => keys[i]) as never), n, "deleteMany");
        break;
      }
      case "tx": {
        const before = m.snapshot();
        const marker = new Rollback("rollback");
        try {
          cache.transact(() => {
            runExact(cache, m, keys, c.body, clock, log, switchConnection);
            if (c.fail) throw marker;
          });
        } catch (error) {
          if (error !== marker) throw error;
          m.items = before;
        }
        log.push(c.fail ? "end tx (rolled back)" : "end tx");
        break;
      }
    }
  }
}

function finalCompare(cache: DiskCache, m: Exact): void {
  assert.equal(cache.length, m.items.size, "final length");
  const byId = (a: [string, unknown][]) => a.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
  const entries = [...cache.entries()].map(([k, v]) => [canon(k), v] as [string, unknown]);
  const expected = m.liveItems().map((e) => [canon(e.key), e.value] as [string, unknown]);
  if (cache instanceof FanoutCache) assert.deepEqual(byId(entries), byId(expected), "final entries");
  else assert.deepEqual(entries, expected, "final entries");
  for (const e of m.liveItems()) assert.deepEqual(cache.get(e.key as never), e.value, `final get ${canon(e.key)}`);
  assert.deepEqual(cache.check(), [], "check() finds nothing wrong");
}

const POLICIES: EvictionPolicy[] = ["least-recently-stored", "least-recently-used", "least-frequently-used", "none"];

function exactProperty(f: Features, todo = false, runsFactor = 1, memory?: MemoryOptions): void {
  using dir = tempDir();
  const pool = keyPool(f);
  const keys = pool.keys;
  let n = 0;
  fc.assert(
    fc.property(fc.array(cmdArb(f, pool, 0, false), { minLength: 1, maxLength: 50, size: "max" }), fc.constantFrom(...POLICIES), (cmds, policy) => {
      const clock = { now: 1_700_000_000_000 };
      const tier = memory === undefined ? {} : { memory };
      const cache = new DiskCache(`${dir.path}/${n++}`, { clock: () => clock.now, minFileSize: MIN_FILE, cullLimit: 0, evictionPolicy: policy, ...tier });
      // A second connection to the same directory: "switch" moves the commands to the other one.
      const other = new DiskCache(cache.directory, { clock: () => clock.now, ...tier });
      const holder = { cur: cache };
      const proxy = new Proxy({}, {
        get: (_t, p) => {
          const v = (holder.cur as unknown as Record<PropertyKey, unknown>)[p];
          return typeof v === "function" ? v.bind(holder.cur) : v;
        },
      }) as DiskCache;
      const m = new Exact(clock.now);
      const log: string[] = [];
      try {
        // With the memory tier, every key is read on both connections before each command, so the
        // tiers hold what the command changes and a stale value would show at once.
        const warm = memory === undefined ? undefined : () => {
          for (const key of keys) {
            if (loneSurrogate(key)) continue;
            for (const c of [cache, other]) assert.deepEqual(c.get(key as never), m.live(canon(key))?.value, `get ${canon(key)} through the tier`);
          }
        };
        runExact(proxy, m, keys, cmds, clock, log, () => (holder.cur = holder.cur === cache ? other : cache), false, warm);
        finalCompare(cache, m);
        finalCompare(other, m);
        // Reopened, the directory holds the same.
        cache.close();
        other.close();
        using again = new DiskCache(cache.directory, { clock: () => clock.now });
        finalCompare(again, m);
      } catch (error) {
        (error as Error).message += `\n  after:\n    ${log.slice(-12).join("\n    ")}`;
        throw error;
      } finally {
        cache.close();
        other.close();
      }
    }),
    // A variant known to fail reports its first counterexample unshrunk (shrinking takes
    // a minute); DISKCACHE_MODEL_SHRINK=1 shrinks it.
    { ...seeded, numRuns: RUNS * runsFactor, endOnFailure: todo && !globalThis.process?.env?.DISKCACHE_MODEL_SHRINK },
  );
}

test("model: every operation agrees with an in-memory model (base: no known-defect triggers)", () => {
  exactProperty(NONE);
});

test("model: strings with U+0000 in keys, values and iteration", () => {
  exactProperty({ ...NONE, nul: true });
});

test("model: bigint keys beyond 2^53 in key-order iteration", () => {
  exactProperty({ ...NONE, bigKeys: true });
});

test("model: pop and pull inside transactions that roll back", () => {
  exactProperty({ ...NONE, popInTx: true }, false, 3);
});

test("model: lone surrogates in keys and values", () => {
  exactProperty({ ...NONE, surrogates: true });
});

test("model: structured keys with equal numbers ([1]/[1n], [-0]/[0]) and Infinity keys", () => {
  exactProperty({ ...NONE, structNum: true });
});

test("model: every key type and feature at once", () => {
  exactProperty({ nul: true, bigKeys: true, popInTx: true, surrogates: true, structNum: true });
});

// ---------------------------------------------------------------- culling under a small sizeLimit

type LooseCmd =
  | { op: "set"; k: number; size: number; file: boolean }
  | { op: "get" | "delete" | "pop"; k: number }
  | { op: "cull" | "keys" };

/**
 * Under a small sizeLimit, culling makes the model loose: the cache's items
 * are a subset of the model's, each present one equal to the model's, in the
 * model's insertion order. With `keepNew`, a set's own item must survive its
 * cull (issue 12 #7).
 */
function looseProperty(keepNew: boolean): void {
  using dir = tempDir();
  let n = 0;
  const cmd: fc.Arbitrary<LooseCmd> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("set" as const),
        k: fc.nat({ max: 39 }),
        size: fc.integer({ min: 1, max: 40_000 }),
        file: fc.constantFrom(true, true, true, false),
      }),
    },
    fc.record({ op: fc.constantFrom("get" as const, "delete" as const, "pop" as const), k: fc.nat({ max: 39 }) }),
    fc.record({ op: fc.constantFrom("cull" as const, "keys" as const) }),
  );
  fc.assert(
    fc.property(fc.array(cmd, { minLength: 1, maxLength: 60, size: "max" }), fc.constantFrom(...POLICIES.slice(0, 3)), (cmds, policy) => {
      const cache = new DiskCache(`${dir.path}/${n++}`, { sizeLimit: 200_000, minFileSize: 4096, cullLimit: 10, evictionPolicy: policy });
      const model = new Map<number, unknown>();
      const reconcile = () => {
        const present = new Set([...cache.keys()] as number[]);
        for (const k of present) assert.ok(model.has(k), `the cache holds key ${k}, which the model does not`);
        for (const k of [...model.keys()]) if (!present.has(k)) model.delete(k);
        assert.deepEqual([...cache.keys()], [...model.keys()], "insertion order of the survivors");
      };
      try {
        for (const c of cmds) {
          reconcile();
          if (c.op === "set") {
            const v = c.file ? new Uint8Array(c.size).fill(c.k) : "v".repeat(Math.min(c.size, 3000)) + c.k;
            cache.set(c.k, v);
            model.set(c.k, v);
            if (keepNew) assert.ok(isDeepStrictEqual(cache.get(c.k), v), `set(${c.k}) of ${c.size} bytes survives its own cull`);
          } else if (c.op === "get") assert.ok(isDeepStrictEqual(cache.get(c.k), model.get(c.k)), `get(${c.k})`);
          else if (c.op === "delete") assert.equal(cache.delete(c.k), model.delete(c.k));
          else if (c.op === "pop") {
            assert.ok(isDeepStrictEqual(cache.pop(c.k), model.get(c.k)), `pop(${c.k})`);
            model.delete(c.k);
          } else if (c.op === "cull") cache.cull();
        }
        reconcile();
        for (const [k, v] of model) assert.ok(isDeepStrictEqual(cache.get(k), v), `final get(${k})`);
        assert.deepEqual(cache.check(), []);
      } finally {
        cache.close();
      }
    }),
    // Shrinking sequences of 40 KB values takes minutes: report the first failure as found.
    { ...seeded, numRuns: Math.max(5, Math.round(RUNS / 2)), endOnFailure: true },
  );
}

test("model under a small sizeLimit: survivors are a subset of the model, equal to it, in order", () => {
  looseProperty(false);
});

test("model under a small sizeLimit: set() never evicts the value it just stored", () => {
  looseProperty(true);
});

// The model's key pool keeps numbers out of the queue's key range (0, 1e15) for this reason:
test("push never overwrites an item: the bounds 0 and 999999999999999 are queue keys, and a push past them throws", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { minFileSize: 10 });
  cache.set(1, "a user's item under key 1");
  // The key below the lowest was outside the range push scanned: both pushes
  // computed 0, the second replaced the first and orphaned its value file.
  assert.equal(cache.push("x".repeat(100), { side: "front" }), 0);
  assert.throws(() => cache.push("y".repeat(100), { side: "front" }), { name: "DiskCacheError", message: /push to the front: its keys reached 0/ });
  assert.equal(cache.length, 2);
  assert.deepEqual(cache.check(), []);
  assert.deepEqual(cache.pull(), [0, "x".repeat(100)], "pull sees the key 0 a push made");
  cache.set(0, "a user's item under key 0");
  assert.throws(() => cache.push("z".repeat(100), { side: "front" }), { name: "DiskCacheError" });
  assert.throws(() => cache.push("inline", { side: "front" }), { name: "DiskCacheError" });
  assert.equal(cache.get(0), "a user's item under key 0");
  // The same at the back, and with a prefix.
  cache.set(999_999_999_999_998, "near the end");
  assert.equal(cache.push("b".repeat(100)), 999_999_999_999_999);
  assert.throws(() => cache.push("c".repeat(100)), { name: "DiskCacheError", message: /push to the back: its keys reached 999999999999999/ });
  assert.deepEqual(cache.peek({ side: "back" }), [999_999_999_999_999, "b".repeat(100)]);
  cache.set("p-000000000000001", "first");
  assert.equal(cache.push("d".repeat(100), { prefix: "p", side: "front" }), "p-000000000000000");
  assert.throws(() => cache.push("e".repeat(100), { prefix: "p", side: "front" }), { name: "DiskCacheError", message: /queue "p"/ });
  assert.deepEqual(cache.peek({ prefix: "p" }), ["p-000000000000000", "d".repeat(100)]);
  // Inside a transaction that catches the error and commits, the value file of the refused push goes too.
  cache.transact(() => {
    assert.throws(() => cache.push("f".repeat(100), { side: "front" }), { name: "DiskCacheError" });
    cache.set("other", 1);
  });
  assert.equal(cache.length, 7);
  assert.deepEqual(cache.check(), []);
});

function fanoutProperty(f: Features, todo = false, memory?: MemoryOptions): void {
  using dir = tempDir();
  const pool = keyPool(f);
  let n = 0;
  fc.assert(
    fc.property(fc.array(cmdArb(f, pool, 0, false, true), { minLength: 1, maxLength: 50, size: "max" }), (cmds) => {
      const clock = { now: 1_700_000_000_000 };
      const tier = memory === undefined ? {} : { memory };
      const cache = new FanoutCache(`${dir.path}/${n++}`, { shards: 8, clock: () => clock.now, minFileSize: MIN_FILE, cullLimit: 0, timeout: 60_000, ...tier });
      const m = new Exact(clock.now);
      const log: string[] = [];
      try {
        const warm = memory === undefined ? undefined : () => {
          for (const key of pool.keys) assert.deepEqual(cache.get(key as never), m.live(canon(key))?.value, `get ${canon(key)} through the tier`);
        };
        runExact(cache as unknown as DiskCache, m, pool.keys, cmds, clock, log, undefined, false, warm);
        finalCompare(cache as unknown as DiskCache, m);
      } catch (error) {
        (error as Error).message += `\n  after:\n    ${log.slice(-12).join("\n    ")}`;
        throw error;
      } finally {
        cache.close();
      }
    }),
    // Each run opens eight shards: a third of the runs.
    { ...seeded, numRuns: Math.max(5, Math.round(RUNS / 3)), endOnFailure: todo && !globalThis.process?.env?.DISKCACHE_MODEL_SHRINK },
  );
}

test("model: FanoutCache agrees with the same model (base keys)", () => {
  fanoutProperty(NONE);
});

test("model: FanoutCache with number keys at or beyond 2^53 and their equal bigints", () => {
  fanoutProperty({ ...NONE, bigKeys: true });
});

// ---------------------------------------------------------------- the same models with the memory tier on (issue 16)

test("model: with the memory tier (staleness 0) on both connections, every operation still agrees", () => {
  exactProperty({ nul: true, bigKeys: true, popInTx: true, surrogates: true, structNum: true }, false, 2, { maxBytes: 2 ** 20 });
});

test("model: with a tier of staleness 60 s, this process still never reads behind its own writes (either connection)", () => {
  exactProperty(NONE, false, 1, { maxBytes: 2 ** 20, staleness: 60_000 });
});

test("model: with a tier of 2 KiB, values come and go from memory and still agree", () => {
  exactProperty({ ...NONE, popInTx: true }, false, 1, { maxBytes: 2048 });
});

test("model: FanoutCache with the memory tier agrees with the same model", () => {
  fanoutProperty(NONE, false, { maxBytes: 2 ** 20 });
});
