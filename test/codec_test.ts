// The codec's fast path (src/format/_cbor_fast.ts) against cbor2, the reference:
// the same bytes for every value in both modes, and the same values back.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { saveEncoded, Tag } from "cbor2";
import { decodeStructured, decodeWithCbor2, encodeStructured, encodeWithCbor2 } from "../src/format/codec.ts";

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.float().map((x) => x as number),
  fc.constantFrom(
    1.5,
    -0.25,
    100.5,
    -65504,
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    2 ** 53 - 1,
    -(2 ** 53) + 1,
    2 ** 32,
    2 ** 32 - 1,
    -(2 ** 32),
    65504,
    65520,
    2 ** -24,
    2 ** -25,
    1.5 * 2 ** -24,
    5.960464477539063e-8,
    0.1,
    1e300,
  ),
  fc.maxSafeInteger(),
);
const string = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ minLength: 20, maxLength: 300 }),
);
const common = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    number,
    string,
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "10", "a", "aa", "b", "é")), tie("value"), {
      maxKeys: 5,
      noNullPrototype: false,
    }),
  ),
})).value;
const uncommon = fc.oneof(
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.array(fc.tuple(fc.string(), fc.integer())).map((e) => new Map(e)),
  fc.array(fc.integer()).map((m) => new Set(m)),
  fc.array(fc.integer()).map((a) => new Int32Array(a)),
  fc.constantFrom(Symbol.for("x"), () => 1),
);

function same(value: unknown, canonical: boolean): void {
  let reference: Uint8Array | Error;
  try {
    reference = encodeWithCbor2(value, "value", canonical);
  } catch (error) {
    reference = error as Error;
  }
  if (reference instanceof Error) {
    assert.throws(() => encodeStructured(value, "value", canonical), { message: reference.message });
    return;
  }
  const bytes = encodeStructured(value, "value", canonical);
  assert.deepEqual(bytes, reference, "the same bytes as cbor2");
  assert.deepStrictEqual(decodeStructured(bytes), decodeWithCbor2(bytes), "the same value back as cbor2 reads");
}

test("codec fast path: the same bytes and values as cbor2 for common values, in both modes", () => {
  fc.assert(fc.property(common, fc.boolean(), (v, canonical) => same(v, canonical)), { numRuns: 3000 });
});

test("codec fast path: values with uncommon parts anywhere take cbor2's path, errors included", () => {
  const mixed = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: "small" }, common, uncommon, fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(fc.string(), tie("v"), { maxKeys: 4 })),
  })).v;
  fc.assert(fc.property(mixed, fc.boolean(), (v, canonical) => same(v, canonical)), { numRuns: 1500 });
});

test("codec fast path: canonical keys sort like CBOR's deterministic encoding, whatever the insertion order", () => {
  const a = encodeStructured({ bb: 1, a: 2, c: 3, aa: 4, "": 5 }, "key", true);
  const b = encodeStructured({ "": 5, aa: 4, c: 3, a: 2, bb: 1 }, "key", true);
  assert.deepEqual(a, b);
  assert.deepEqual(a, encodeWithCbor2({ bb: 1, a: 2, c: 3, aa: 4, "": 5 }, "key", true));
  // Non-ASCII keys are sorted by cbor2 (UTF-8 bytes, not UTF-16 units).
  const c = { "\u{1F600}": 1, "\uFFFD": 2, "é": 3 };
  assert.deepEqual(encodeStructured(c, "key", true), encodeWithCbor2(c, "key", true));
});

test("codec fast path: deep nesting and long strings; truncated or trailing bytes are refused as cbor2 refuses them", () => {
  let deep: unknown = "leaf";
  for (let i = 0; i < 200; i++) deep = [deep, { i }];
  same(deep, false);
  same({ s: "x".repeat(70_000), t: "é".repeat(30_000), u: "\u{1F600}".repeat(20) }, true);
  const bytes = encodeStructured({ a: [1, 2, "three"] }, "value", false);
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeStructured(bytes.subarray(0, n)), Error, `truncated at ${n}`);
  }
  const trailing = new Uint8Array([...bytes, 0x01]);
  assert.throws(() => decodeWithCbor2(trailing));
  assert.throws(() => decodeStructured(trailing));
});

/**
 * The value with each Date replaced by its time: Node 20's deepStrictEqual
 * calls two invalid Dates (tag 1 around garbage) unequal, later Nodes equal.
 */
function comparable(v: unknown): unknown {
  if (v instanceof Date) return { date: String(v.getTime()) };
  if (Array.isArray(v)) return v.map(comparable);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [comparable(k), comparable(x)]));
  if (v instanceof Set) return new Set([...v].map(comparable));
  if (v instanceof Tag) return { tag: v.tag, contents: comparable(v.contents) };
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
  }
  return v;
}

test("codec fast path: any bytes decode as cbor2 decodes them, or are refused as cbor2 refuses them", () => {
  const valid = common.map((v) => encodeStructured(v, "value", false));
  const mutated = fc.tuple(valid, fc.nat(), fc.nat(255)).map(([b, i, x]) => {
    const out = new Uint8Array(b);
    if (out.length) out[i % out.length] = x;
    return out;
  });
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 24 }),
    mutated,
    fc.constantFrom(
      new Uint8Array([0x9f, 0x01, 0xff]), // indefinite-length array
      new Uint8Array([0xe0]),
      new Uint8Array([0xf8, 0x20]), // simple values
      new Uint8Array([0x62, 0xc3, 0x28]), // invalid UTF-8
      new Uint8Array([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]), // a duplicate key
      new Uint8Array([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // 2^64 - 1
    ),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      let reference: unknown, failed = false;
      try {
        reference = decodeWithCbor2(b);
      } catch {
        failed = true;
      }
      if (failed) assert.throws(() => decodeStructured(b));
      else assert.deepStrictEqual(comparable(decodeStructured(b)), comparable(reference));
    }),
    { numRuns: 5000 },
  );
});

test("codec fast path: a getter that encodes while a value is being encoded gets the same bytes as cbor2", () => {
  const value = {
    plain: 1,
    get nested() {
      return decodeStructured(encodeStructured({ inner: [1, "two"] }, "value", false));
    },
  };
  assert.deepEqual(encodeStructured(value, "value", false), encodeWithCbor2(value, "value", false));
  assert.deepEqual(decodeStructured(encodeStructured(value, "value", false)), { plain: 1, nested: { inner: [1, "two"] } });
});

/** A Date that counts how many times the encoder reads it (cbor2 writes a Date through `valueOf()`). */
function countingDate(): { date: Date; reads: { count: number } } {
  const date = new Date(0), reads = { count: 0 };
  Object.defineProperty(date, "valueOf", { value: () => (reads.count++, 0) });
  return { date, reads };
}

test("encodeStructured() of a key nested in Sets and Map keys encodes each part a bounded number of times, whatever the depth", () => {
  for (const nest of [(inner: unknown) => new Set([inner, "x"]), (inner: unknown) => new Map([[inner, 1], ["x", 2]])]) {
    const { date, reads } = countingDate();
    let key: unknown = date;
    for (let i = 0; i < 12; i++) key = nest(key);
    encodeStructured(key, "key", true);
    // Each level used to encode its members twice (once to sort them, once
    // to write them): 2^12 reads of the leaf here, and 2^200 at depth 200.
    assert.ok(reads.count <= 3, `the leaf was encoded ${reads.count} times`);
  }
});

test("encodeStructured() of keys nested 200 levels deep in Sets and Map keys: the same bytes whatever the insertion order, and read back", () => {
  const build = (order: number) => {
    let set: unknown = "leaf", map: unknown = "leaf";
    for (let i = 0; i < 200; i++) {
      set = new Set(order === 0 ? [set, i, "x"] : ["x", i, set]);
      map = new Map<unknown, unknown>(order === 0 ? [[map, i], ["x", [i]]] : [["x", [i]], [map, i]]);
    }
    return { set, map };
  };
  const a = build(0), b = build(1);
  for (const name of ["set", "map"] as const) {
    const bytes = encodeStructured(a[name], "key", true);
    assert.deepEqual(bytes, encodeStructured(b[name], "key", true), `${name}: insertion order does not show`);
    // Read back level by level (Bun's deepEqual of nested Sets is itself exponential in depth).
    let back = decodeStructured(bytes);
    for (let i = 199; i >= 0; i--) {
      if (name === "set") {
        assert.ok(back instanceof Set && back.size === 3 && back.has(i) && back.has("x"), `level ${i}`);
        back = [...back].find((m) => m !== i && m !== "x");
      } else {
        assert.ok(back instanceof Map && back.size === 2 && assert.deepEqual(back.get("x"), [i]) === undefined, `level ${i}`);
        back = [...back.keys()].find((k) => k !== "x");
      }
    }
    assert.equal(back, "leaf");
  }
});

test("encodeStructured() writes nested Sets and Maps in keys with the bytes it always wrote (stored keys keep matching)", () => {
  const key = new Set<unknown>([new Set([2, 1]), new Map<unknown, unknown>([[new Set(["b", "a"]), 1], [[1], 2], [[1], 0]]), "z", 10]);
  // Written by the encoder before nested Sets were made linear (commit a15f11e).
  const hex = "d90102840a617ad90102820102d99c4186810100810102d90102826161616201";
  assert.equal(Buffer.from(encodeStructured(key, "key", true)).toString("hex"), hex);
});

test("encodeStructured() of a key ignores bytes cbor2 kept on a part passed in: keys are written from their parts", () => {
  const bytes = new Uint8Array([1, 2]), date = new Date(5000);
  const plain = encodeStructured([bytes, date], "key", true);
  saveEncoded(bytes as object, new Uint8Array([0x40]));
  saveEncoded(date as object, new Uint8Array([0xf6]));
  assert.deepEqual(encodeStructured([bytes, date], "key", true), plain);
  assert.deepEqual(encodeStructured(new Set([bytes, date]), "key", true), encodeStructured(new Set([new Uint8Array([1, 2]), new Date(5000)]), "key", true));
});
