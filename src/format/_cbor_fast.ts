/**
 * A fast path for the CBOR that most keys and values need: null, undefined,
 * booleans, numbers, strings, byte arrays, arrays and plain objects. It writes
 * the same bytes `cbor2` writes for them (checked by a differential test) in a
 * fraction of the time (`cbor2` spends 10-50 µs setting up each call), and
 * reads them back. Anything else, and anything unusual (bigints, tags,
 * non-ASCII object keys in canonical mode, very deep nesting), returns
 * `undefined` so the caller takes the general `cbor2` path.
 *
 * @module
 */

import { isWellFormed } from "./text.ts";

const MAX_DEPTH = 64;
const SCRATCH = 4096;
// A scratch buffer grown past this by one large value is dropped after it
// (kept, one value of 100 MB held 100+ MB for the life of the process).
const KEEP = 1 << 20;

let buf = new Uint8Array(SCRATCH);
let view = new DataView(buf.buffer);
let pos = 0;
let busy = false;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const utf8 = new TextEncoder();

function ensure(extra: number): void {
  if (pos + extra <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + extra) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, pos));
  buf = next;
  view = new DataView(buf.buffer);
}

/** Bytes a CBOR head takes for argument `n`. */
function headSize(n: number): number {
  return n < 24 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/** Writes a CBOR head (major type and argument) at `at`; `n` ≤ 2^53. */
function headAt(at: number, major: number, n: number): number {
  const m = major << 5;
  if (n < 24) {
    buf[at] = m | n;
    return at + 1;
  }
  if (n <= 0xff) {
    buf[at] = m | 24;
    buf[at + 1] = n;
    return at + 2;
  }
  if (n <= 0xffff) {
    buf[at] = m | 25;
    view.setUint16(at + 1, n);
    return at + 3;
  }
  if (n <= 0xffffffff) {
    buf[at] = m | 26;
    view.setUint32(at + 1, n);
    return at + 5;
  }
  buf[at] = m | 27;
  view.setUint32(at + 1, Math.floor(n / 0x100000000));
  view.setUint32(at + 5, n >>> 0);
  return at + 9;
}

function head(major: number, n: number): void {
  ensure(9);
  pos = headAt(pos, major, n);
}

/** The IEEE half-precision bits of `x` (a number other than NaN) when it is exactly representable, else -1. */
function halfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0 && mant === 0) return sign;
  if (exp === 0xff) return sign | 0x7c00; // ±Infinity (writeNumber writes NaN before asking)
  if (exp >= 113 && exp <= 142) return (mant & 0x1fff) === 0 ? sign | ((exp - 112) << 10) | (mant >>> 13) : -1;
  if (exp >= 103 && exp < 113) {
    // A half subnormal: m × 2^-24 with m < 1024.
    const full = mant | 0x800000, shift = 126 - exp;
    return (full & ((1 << shift) - 1)) === 0 ? sign | (full >>> shift) : -1;
  }
  return -1;
}

function writeNumber(x: number): void {
  ensure(9);
  if (Number.isSafeInteger(x) && !Object.is(x, -0)) {
    pos = x >= 0 ? headAt(pos, 0, x) : headAt(pos, 1, -1 - x);
  } else if (Number.isNaN(x)) {
    buf[pos] = 0xf9;
    buf[pos + 1] = 0x7e;
    buf[pos + 2] = 0;
    pos += 3;
  } else if (Math.fround(x) === x) {
    const half = halfBits(x);
    if (half >= 0) {
      buf[pos] = 0xf9;
      view.setUint16(pos + 1, half);
      pos += 3;
    } else {
      buf[pos] = 0xfa;
      view.setFloat32(pos + 1, x);
      pos += 5;
    }
  } else {
    buf[pos] = 0xfb;
    view.setFloat64(pos + 1, x);
    pos += 9;
  }
}

function writeString(s: string): void {
  const n = s.length;
  ensure(9 + n * 3);
  const hs = headSize(n);
  let p = pos + hs;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[p++] = c;
  }
  if (i < n) p += utf8.encodeInto(s.slice(i), buf.subarray(p)).written;
  const len = p - pos - hs;
  const actual = headSize(len);
  if (actual !== hs) {
    // UTF-8 longer than the UTF-16 length: the head needs more bytes.
    ensure(actual - hs);
    buf.copyWithin(pos + actual, pos + hs, p);
    p += actual - hs;
  }
  headAt(pos, 3, len);
  pos = p;
}

// deno-lint-ignore no-control-regex -- every ASCII code unit, the control characters included, is what the fast path takes
const ASCII = /^[\x00-\x7f]*$/;

/**
 * CBOR deterministic order of distinct ASCII text keys (an object's own
 * keys never repeat): shorter first, then bytewise.
 */
function byLengthThenBytes(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : 1);
}

function writeValue(v: unknown, canonical: boolean, depth: number): boolean {
  switch (typeof v) {
    case "string":
      if (!isWellFormed(v)) return false; // the general path names it
      writeString(v);
      return true;
    case "number":
      // Keys: -0 and integers past 2^53 take the general path's one encoding.
      if (canonical && Number.isInteger(v) && (Object.is(v, -0) || !Number.isSafeInteger(v))) return false;
      writeNumber(v);
      return true;
    case "boolean":
      ensure(1);
      buf[pos++] = v ? 0xf5 : 0xf4;
      return true;
    case "undefined":
      ensure(1);
      buf[pos++] = 0xf7;
      return true;
    case "object":
      break;
    default:
      return false;
  }
  if (v === null) {
    ensure(1);
    buf[pos++] = 0xf6;
    return true;
  }
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    head(4, v.length);
    for (let i = 0; i < v.length; i++) if (!writeValue(v[i], canonical, depth + 1)) return false;
    return true;
  }
  if (v instanceof Uint8Array) {
    head(2, v.length);
    ensure(v.length);
    buf.set(v, pos);
    pos += v.length;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(v);
  if (canonical && keys.length > 1) {
    for (const k of keys) if (!ASCII.test(k)) return false;
    keys.sort(byLengthThenBytes);
  }
  head(5, keys.length);
  for (const k of keys) {
    if (!isWellFormed(k)) return false;
    writeString(k);
    if (!writeValue((v as Record<string, unknown>)[k], canonical, depth + 1)) return false;
  }
  return true;
}

/**
 * Encodes `value` when every part of it is of a common type, else `undefined`.
 * `canonical` sorts object keys (CBOR core deterministic encoding).
 */
export function fastEncode(value: unknown, canonical: boolean): Uint8Array | undefined {
  if (busy) return undefined; // a getter that encodes while we encode: take the slow path
  busy = true;
  pos = 0;
  try {
    return writeValue(value, canonical, 0) ? buf.slice(0, pos) : undefined;
  } finally {
    busy = false;
    if (buf.length > KEEP) {
      buf = new Uint8Array(SCRATCH);
      view = new DataView(buf.buffer);
    }
  }
}

/** The scratch buffer's size in bytes (a test hook). */
export function scratchSize(): number {
  return buf.length;
}

// ---- decoding ----

class Unsupported {}
const UNSUPPORTED = new Unsupported();
// ignoreBOM: a string that starts with U+FEFF keeps it (the default drops it).
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

let src: Uint8Array = new Uint8Array(0);
let srcView = new DataView(src.buffer);
let at = 0;

function need(n: number): void {
  if (at + n > src.length) throw UNSUPPORTED; // truncated: cbor2 gives the error
}

function argument(ai: number): number {
  if (ai < 24) return ai;
  if (ai === 24) {
    need(1);
    return src[at++]!;
  }
  if (ai === 25) {
    need(2);
    const n = srcView.getUint16(at);
    at += 2;
    return n;
  }
  if (ai === 26) {
    need(4);
    const n = srcView.getUint32(at);
    at += 4;
    return n;
  }
  if (ai === 27) {
    need(8);
    const hi = srcView.getUint32(at), lo = srcView.getUint32(at + 4);
    at += 8;
    if (hi > 0x1fffff) throw UNSUPPORTED; // beyond 2^53: a bigint, which cbor2 reads
    return hi * 0x100000000 + lo;
  }
  throw UNSUPPORTED; // indefinite lengths and reserved values
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw UNSUPPORTED; // not UTF-8: cbor2 gives the error
  }
}

function readString(len: number): string {
  need(len);
  const end = at + len;
  if (len <= 32) {
    let s = "";
    for (let i = at; i < end; i++) {
      const c = src[i]!;
      if (c >= 0x80) {
        s = decodeUtf8(src.subarray(at, end));
        at = end;
        return s;
      }
      s += String.fromCharCode(c);
    }
    at = end;
    return s;
  }
  const s = decodeUtf8(src.subarray(at, end));
  at = end;
  return s;
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

function readValue(depth: number): unknown {
  if (depth >= MAX_DEPTH) throw UNSUPPORTED;
  need(1);
  const ib = src[at++]!;
  const major = ib >>> 5, ai = ib & 0x1f;
  switch (major) {
    case 0:
      return argument(ai);
    case 1:
      return -1 - argument(ai);
    case 2: {
      const n = argument(ai);
      need(n);
      const out = src.slice(at, at + n);
      at += n;
      return out;
    }
    case 3:
      return readString(argument(ai));
    case 4: {
      const n = argument(ai);
      need(n); // each item takes at least one byte
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(depth + 1);
      return out;
    }
    case 5: {
      const n = argument(ai);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        need(1);
        if (src[at]! >>> 5 !== 3) throw UNSUPPORTED; // a non-text key: cbor2 decides
        const key = readString(argument(src[at++]! & 0x1f));
        const value = readValue(depth + 1);
        if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
      return out;
    }
    case 7:
      switch (ai) {
        case 20:
          return false;
        case 21:
          return true;
        case 22:
          return null;
        case 23:
          return undefined;
        case 25: {
          need(2);
          const h = srcView.getUint16(at);
          at += 2;
          return halfToNumber(h);
        }
        case 26: {
          need(4);
          const x = srcView.getFloat32(at);
          at += 4;
          return x;
        }
        case 27: {
          need(8);
          const x = srcView.getFloat64(at);
          at += 8;
          return x;
        }
      }
      throw UNSUPPORTED;
    default:
      throw UNSUPPORTED; // tags (Map, Set, Date, typed arrays, bigints, ...)
  }
}

/**
 * Decodes `bytes` when they hold only what {@linkcode fastEncode} writes, else
 * returns `fallback`.
 */
export function fastDecode<F>(bytes: Uint8Array, fallback: F): unknown | F {
  const saved = [src, srcView, at] as const;
  src = bytes;
  srcView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 0;
  let decoded: unknown | F = fallback;
  try {
    const value = readValue(0);
    if (at === bytes.length) decoded = value;
  } catch {
    // UNSUPPORTED, or anything unforeseen: cbor2 decides (and gives the error).
  } finally {
    [src, srcView, at] = saved;
  }
  return decoded;
}
