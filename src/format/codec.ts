/**
 * The portable codec for structured keys and values: CBOR (RFC 8949) through
 * the `cbor2` package, with a fixed set of JavaScript types. The same value
 * encodes to the same bytes on Deno, Bun and Node, and decoding never runs
 * code (no prototypes, constructors or functions are looked up from data).
 *
 * Supported, at any depth: `null`, `undefined`, booleans, numbers (including
 * `NaN`, `Infinity`, `-0`), bigints, strings, arrays, plain objects (own
 * enumerable string keys), `Map` (CBOR tag 40001 around a flat array
 * `[k1, v1, k2, v2, ...]`, so key types and order survive), `Set` (tag 258),
 * `Date` (tag 1, seconds as a float; read back to the exact millisecond),
 * `Uint8Array` (byte string), the other typed arrays (RFC 8746 tags), and
 * `RegExp` (tag 21066). Anything else (class instances, functions, symbols,
 * `DataView`, boxed primitives, cycles) is refused with a `TypeError` that
 * names the path to the offending part.
 *
 * Canonical mode (used for keys) sorts object keys, `Map` entries and `Set`
 * members by their encoded bytes (CBOR core deterministic encoding), so equal
 * structures give equal bytes whatever their insertion order.
 *
 * @module
 */
import { decode, encode, getEncoded, saveEncoded, Tag } from "cbor2";
import { describe } from "../errors.ts";
import { fastDecode, fastEncode } from "./_cbor_fast.ts";
import { checkText } from "./text.ts";

/**
 * How deep structures may nest (arrays, objects, Map, Set). The decoder
 * reads at most 1,024 levels of CBOR, and one JavaScript level takes up to
 * three of them (a Map is a tag around an array): past this limit a value
 * could be stored and never read back, so encoding refuses it.
 */
export const MAX_NESTING = 256;

/** CBOR tag of a JavaScript `Map`: a flat array of keys and values. */
export const TAG_JS_MAP = 40001;

/**
 * The typed arrays stored as themselves, beside Uint8Array (stored as
 * bytes): the CLI's tagged JSON shows and takes the same ones.
 */
export const TYPED_ARRAYS: readonly (new (...args: never[]) => ArrayBufferView)[] = [
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigUint64Array,
  BigInt64Array,
];

/** CBOR tag of a `Set` (cbor2's own). */
const TAG_SET = 258;

const BIG_OPTIONS = { collapseBigInts: false } as const;
// ignoreOriginalEncoding off (cde turns it on): a part whose canonical bytes
// were computed to sort it is written from those bytes, not encoded again.
const CANONICAL_OPTIONS = { collapseBigInts: false, cde: true, ignoreOriginalEncoding: false } as const;

const DECODE_OPTIONS = {
  collapseBigInts: false,
  tags: new Map<number | bigint, (tag: { contents: unknown }) => unknown>([
    [1, (tag: { contents: unknown }) => new Date(Math.round((tag.contents as number) * 1000))],
    [TAG_JS_MAP, (tag: { contents: unknown }) => {
      const flat = tag.contents as unknown[];
      const map = new Map();
      for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
      return map;
    }],
  ]),
};

/**
 * The canonical bytes of `part` (a result of `prepare`), kept on it when it
 * is an object `prepare` made, so that writing it again (by an enclosing
 * Set or Map key being sorted, or the final encode) copies them instead of
 * encoding it again. Every level that sorts encoded its members once to sort
 * them and once more to write them: time exponential in the depth of nested
 * Sets or Map keys. Parts passed through from the caller (a Uint8Array, a
 * Date, a RegExp, a typed array) are leaves and never marked.
 */
function sortBytes(part: unknown): Uint8Array {
  const bytes = encode(part, CANONICAL_OPTIONS);
  if (part instanceof Tag || Array.isArray(part) || (typeof part === "object" && part !== null && Object.getPrototypeOf(part) === Object.prototype)) {
    saveEncoded(part, bytes);
  }
  return bytes;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * One encoding per integral number in keys, as at the top level (where 1,
 * 1n and 1.0 are one key): within ±(2^53 − 1) a CBOR integer, beyond it a
 * bigint (whichever type held it), and -0 as 0.
 */
function canonicalInteger(n: number | bigint): number | bigint {
  if (typeof n === "bigint") return n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n;
  if (!Number.isInteger(n)) return n;
  return Number.isSafeInteger(n) ? n + 0 : BigInt(n);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Checks a value and rewrites it into what `cbor2` encodes the way we
 * document (Map as a tagged flat array, Buffer as a plain Uint8Array).
 */
function prepare(value: unknown, path: string, what: string, canonical: boolean, stack: Set<object>, depth = 0): unknown {
  switch (typeof value) {
    case "string":
      checkText(value, what, path);
      return value;
    case "number":
    case "bigint":
      return canonical ? canonicalInteger(value) : value;
    case "boolean":
    case "undefined":
      return value;
    case "object":
      break;
    default:
      throw new TypeError(`Cannot store ${what}: ${path} is a ${typeof value}, which cannot be serialized: received ${describe(value)}`);
  }
  if (value === null) return null;
  if (stack.has(value)) throw new TypeError(`Cannot store ${what}: ${path} refers back to an enclosing object (cycles are not supported)`);
  const proto = Object.getPrototypeOf(value);
  // Canonical bytes are written from the parts: never from bytes cbor2 kept
  // on a part passed in (its decoder's saveOriginal), which canonical
  // encoding honours for the parts sortBytes marks.
  const kept = canonical && getEncoded(value) !== undefined;
  if (value instanceof Uint8Array) {
    return proto === Uint8Array.prototype && !kept ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof Date) return kept ? new Date(value.getTime()) : value;
  if (value instanceof RegExp) return kept ? new RegExp(value) : value;
  if (ArrayBuffer.isView(value) && TYPED_ARRAYS.includes(value.constructor as never)) {
    return kept ? new (value.constructor as new (from: ArrayBufferView) => ArrayBufferView)(value) : value;
  }
  if (depth >= MAX_NESTING) {
    throw new TypeError(
      `Cannot store ${what}: ${path} is nested more than ${MAX_NESTING} levels deep (arrays, objects, Map and Set), the codec's limit, past which a value could not be read back; flatten the structure`,
    );
  }
  const d = depth + 1;
  stack.add(value);
  try {
    if (Array.isArray(value)) {
      const out = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = prepare(value[i], `${path}[${i}]`, what, canonical, stack, d);
      return out;
    }
    if (value instanceof Map) {
      const pairs: [unknown, unknown, Uint8Array?, Uint8Array?][] = [];
      let i = 0;
      for (const [k, v] of value) {
        const pk = prepare(k, `${path}.keys()[${i}]`, what, canonical, stack, d);
        pairs.push([pk, prepare(v, `${path}.get(${describe(k)})`, what, canonical, stack, d)]);
        i++;
      }
      if (canonical) {
        // Distinct keys can encode alike (two arrays [1]): their values break
        // the tie, so insertion order never shows in the bytes.
        for (const p of pairs) p[2] = sortBytes(p[0]);
        const valueBytes = (p: (typeof pairs)[number]) => (p[3] ??= sortBytes(p[1]));
        pairs.sort((a, b) => compareBytes(a[2]!, b[2]!) || compareBytes(valueBytes(a), valueBytes(b)));
      }
      return new Tag(TAG_JS_MAP, pairs.flatMap((p) => [p[0], p[1]]));
    }
    if (value instanceof Set) {
      const members = [...value].map((m, i) => prepare(m, `${path} member ${i}`, what, canonical, stack, d));
      if (!canonical) return new Set(members);
      // Sorted here, and written as the tag around the sorted array that
      // cbor2 writes for a Set: a Set would make cbor2 sort (and encode) its
      // members again.
      const sorted = members.map((m) => [m, sortBytes(m)] as const).sort((a, b) => compareBytes(a[1], b[1]));
      return new Tag(TAG_SET, sorted.map((p) => p[0]));
    }
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        checkText(key, what, `a property name of ${path}`);
        const v = prepare((value as Record<string, unknown>)[key], `${path}.${key}`, what, canonical, stack, d);
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  } finally {
    stack.delete(value);
  }
  throw new TypeError(
    `Cannot store ${what}: ${path} is an ${describe(value)}, which cannot be serialized; use plain objects, arrays, Map, Set, Date, typed arrays or primitives`,
  );
}

/**
 * Encodes a structured value to CBOR bytes.
 *
 * @param value The value (see the module doc for the supported types).
 * @param what How to name the value in errors, e.g. `"value"` or `"key"`.
 * @param canonical Sort object keys, Map entries and Set members (for keys).
 * @returns The encoded bytes.
 * @throws {TypeError} When some part of `value` is not supported.
 *
 * @example Round-trip a structured value
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeStructured, encodeStructured } from "./codec.ts";
 * const value = { when: new Date(0), tags: new Set(["a"]), n: 10n };
 * assert.deepEqual(decodeStructured(encodeStructured(value, "value", false)), value);
 * ```
 */
export function encodeStructured(value: unknown, what: string, canonical: boolean): Uint8Array {
  return fastEncode(value, canonical) ?? encodeWithCbor2(value, what, canonical);
}

/**
 * {@linkcode encodeStructured} through `cbor2` only: the general path, and
 * the reference the fast path is tested against (same bytes).
 *
 * @param value The value.
 * @param what How to name the value in errors.
 * @param canonical Sort object keys, Map entries and Set members.
 * @returns The encoded bytes.
 * @throws {TypeError} When some part of `value` is not supported.
 *
 * @example Encode with cbor2 directly
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeStructured, encodeWithCbor2 } from "./codec.ts";
 * assert.deepEqual(encodeWithCbor2({ b: 1, a: [2] }, "key", true), encodeStructured({ b: 1, a: [2] }, "key", true));
 * ```
 */
export function encodeWithCbor2(value: unknown, what: string, canonical: boolean): Uint8Array {
  const prepared = prepare(value, what, what, canonical, new Set());
  return encode(prepared, canonical ? CANONICAL_OPTIONS : BIG_OPTIONS);
}

/**
 * Decodes bytes written by {@linkcode encodeStructured}.
 *
 * @param bytes CBOR bytes.
 * @returns The value.
 * @throws {Error} When the bytes are not valid CBOR.
 *
 * @example Decode a structured value
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeStructured, encodeStructured } from "./codec.ts";
 * assert.deepEqual(decodeStructured(encodeStructured([1, "a"], "value", false)), [1, "a"]);
 * ```
 */
export function decodeStructured(bytes: Uint8Array): unknown {
  const value = fastDecode(bytes, SLOW);
  return value === SLOW ? decodeWithCbor2(bytes) : value;
}

const SLOW = Symbol("slow path");

/**
 * {@linkcode decodeStructured} through `cbor2` only: the general path, and
 * the reference the fast path is tested against.
 *
 * @param bytes CBOR bytes.
 * @returns The value.
 * @throws {Error} When the bytes are not valid CBOR.
 *
 * @example Decode with cbor2 directly
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWithCbor2, encodeStructured } from "./codec.ts";
 * assert.deepEqual(decodeWithCbor2(encodeStructured(new Map([[1, "a"]]), "value", false)), new Map([[1, "a"]]));
 * ```
 */
export function decodeWithCbor2(bytes: Uint8Array): unknown {
  return decode(bytes, DECODE_OPTIONS);
}
