// Property tests (fast-check): random operation sequences against in-memory
// models agree: DiskCache against a Map with ttl and tag semantics, Deque
// against an array, Index against a Map.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Deque, DiskCache, Index } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

type K = string | number | [number, string];
const keyArb: fc.Arbitrary<K> = fc.oneof(
  fc.constantFrom("a", "b", "c", "d"),
  fc.integer({ min: -2, max: 2 }),
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.constantFrom("x", "y")),
);
const valueArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 40, maxLength: 80 }), // value files with minFileSize 32
  fc.uint8Array({ maxLength: 50 }),
  // Plain objects only: null-prototype objects read back as plain objects (documented).
  fc.record({ n: fc.integer(), s: fc.array(fc.boolean(), { maxLength: 3 }) }, { noNullPrototype: true }),
);
const ttlArb = fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined });
const tagArb = fc.option(fc.constantFrom("t1", "t2"), { nil: undefined });

type Op =
  | { op: "set" | "add"; key: K; value: unknown; ttl: number | undefined; tag: string | undefined }
  | { op: "get" | "delete" | "pop" | "incr" | "has"; key: K }
  | { op: "touch"; key: K; ttl: number | undefined }
  | { op: "advance"; ms: number }
  | { op: "evict"; tag: string }
  | { op: "expire" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom("set" as const, "add" as const), key: keyArb, value: valueArb, ttl: ttlArb, tag: tagArb }),
  fc.record({ op: fc.constantFrom("get" as const, "delete" as const, "pop" as const, "incr" as const, "has" as const), key: keyArb }),
  fc.record({ op: fc.constant("touch" as const), key: keyArb, ttl: ttlArb }),
  fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ op: fc.constant("evict" as const), tag: fc.constantFrom("t1", "t2") }),
  fc.record({ op: fc.constant("expire" as const) }),
);

const id = (k: K) => JSON.stringify(k);

test("DiskCache agrees with a Map model (ttl, tags, add, incr, pop, touch) over random operation sequences", () => {
  using dir = tempDir();
  let run = 0;
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      let now = 1_000_000;
      const cache = new DiskCache(`${dir.path}/${run++}`, { clock: () => now, minFileSize: 32, cullLimit: 0 });
      const model = new Map<string, { key: K; value: unknown; expire: number | null; tag: string | null }>();
      const live = (k: K) => {
        const e = model.get(id(k));
        return e && (e.expire === null || e.expire > now) ? e : undefined;
      };
      try {
        for (const o of ops) {
          switch (o.op) {
            case "set":
              cache.set(o.key, o.value, { ttl: o.ttl, tag: o.tag });
              model.set(id(o.key), { key: o.key, value: o.value, expire: o.ttl === undefined ? null : now + o.ttl, tag: o.tag ?? null });
              break;
            case "add": {
              const expected = live(o.key) === undefined;
              assert.equal(cache.add(o.key, o.value, { ttl: o.ttl, tag: o.tag }), expected);
              if (expected) model.set(id(o.key), { key: o.key, value: o.value, expire: o.ttl === undefined ? null : now + o.ttl, tag: o.tag ?? null });
              break;
            }
            case "get":
              assert.deepEqual(cache.get(o.key), live(o.key)?.value);
              break;
            case "has":
              assert.equal(cache.has(o.key), live(o.key) !== undefined);
              break;
            case "delete":
              assert.equal(cache.delete(o.key), live(o.key) !== undefined);
              if (live(o.key)) model.delete(id(o.key));
              break;
            case "pop": {
              const e = live(o.key);
              assert.deepEqual(cache.pop(o.key), e?.value);
              if (e) model.delete(id(o.key));
              break;
            }
            case "incr": {
              const e = live(o.key);
              if (e && !(typeof e.value === "number" && Number.isInteger(e.value))) {
                assert.throws(() => cache.incr(o.key), TypeError);
              } else {
                const next = ((e?.value as number | undefined) ?? 0) + 1;
                assert.equal(cache.incr(o.key), next);
                model.set(id(o.key), { key: o.key, value: next, expire: e ? e.expire : null, tag: e ? e.tag : null });
              }
              break;
            }
            case "touch": {
              const e = live(o.key);
              assert.equal(cache.touch(o.key, o.ttl), e !== undefined);
              if (e) e.expire = o.ttl === undefined ? null : now + o.ttl;
              break;
            }
            case "advance":
              now += o.ms;
              break;
            case "evict": {
              let n = 0;
              for (const [k, e] of model) if (e.tag === o.tag) (n++, model.delete(k));
              assert.equal(cache.evict(o.tag), n);
              break;
            }
            case "expire": {
              let n = 0;
              for (const [k, e] of model) if (e.expire !== null && e.expire < now) (n++, model.delete(k));
              assert.equal(cache.expire(), n);
              break;
            }
          }
        }
        const expectedKeys = [...model.values()].filter((e) => e.expire === null || e.expire > now).map((e) => id(e.key)).sort();
        assert.deepEqual([...cache.keys()].map((k) => id(k as K)).sort(), expectedKeys);
        for (const e of model.values()) {
          if (e.expire === null || e.expire > now) assert.deepEqual(cache.getEntry(e.key)?.tag ?? null, e.tag);
        }
        assert.deepEqual(cache.check(), []);
      } finally {
        cache.close();
      }
    }),
    { numRuns: 60 },
  );
});

test("Deque agrees with an array, and Index with a Map, over random operation sequences", () => {
  using dir = tempDir();
  let run = 0;
  const dequeOp = fc.oneof(
    fc.record({ op: fc.constantFrom("push" as const, "unshift" as const), v: fc.integer() }),
    fc.record({ op: fc.constantFrom("pop" as const, "shift" as const, "reverse" as const) }),
    fc.record({ op: fc.constant("rotate" as const), n: fc.integer({ min: -5, max: 5 }) }),
    fc.record({ op: fc.constant("at" as const), i: fc.integer({ min: -6, max: 6 }) }),
  );
  fc.assert(
    fc.property(fc.array(dequeOp, { maxLength: 40 }), (ops) => {
      using deque = new Deque<number>(`${dir.path}/d${run++}`);
      const model: number[] = [];
      for (const o of ops) {
        if (o.op === "push") assert.equal(deque.push(o.v), model.push(o.v));
        else if (o.op === "unshift") assert.equal(deque.unshift(o.v), model.unshift(o.v));
        else if (o.op === "pop") assert.equal(deque.pop(), model.pop());
        else if (o.op === "shift") assert.equal(deque.shift(), model.shift());
        else if (o.op === "reverse") (deque.reverse(), model.reverse());
        else if (o.op === "at") assert.equal(deque.at(o.i), model.at(o.i));
        else if (o.op === "rotate") {
          deque.rotate(o.n);
          const n = model.length;
          if (n) model.unshift(...model.splice(n - (((o.n % n) + n) % n)));
        }
      }
      assert.deepEqual([...deque], model);
    }),
    { numRuns: 40 },
  );
  const indexOp = fc.oneof(
    fc.record({ op: fc.constant("set" as const), k: keyArb, v: fc.integer() }),
    fc.record({ op: fc.constantFrom("delete" as const, "get" as const), k: keyArb }),
    fc.record({ op: fc.constant("popItem" as const), last: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(indexOp, { maxLength: 40 }), (ops) => {
      using index = new Index<K, number>(`${dir.path}/i${run++}`);
      const model = new Map<string, [K, number]>();
      for (const o of ops) {
        if (o.op === "set") {
          index.set(o.k, o.v);
          const had = model.get(id(o.k));
          if (had) had[1] = o.v;
          else model.set(id(o.k), [o.k, o.v]);
        } else if (o.op === "delete") assert.equal(index.delete(o.k), model.delete(id(o.k)));
        else if (o.op === "get") assert.equal(index.get(o.k), model.get(id(o.k))?.[1]);
        else if (o.op === "popItem") {
          const entries = [...model.values()];
          const expected = entries.length === 0 ? undefined : o.last ? entries.at(-1) : entries[0];
          assert.deepEqual(index.popItem({ last: o.last }), expected);
          if (expected) model.delete(id(expected[0]));
        }
      }
      assert.deepEqual([...index].map(([k, v]) => [id(k), v]), [...model.values()].map(([k, v]) => [id(k), v]));
    }),
    { numRuns: 40 },
  );
});
