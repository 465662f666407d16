/**
 * The shard hash of python-diskcache's `Disk.hash`, so that a FanoutCache of
 * either library puts a str, bytes, int or float key in the same shard:
 * Adler-32 of the UTF-8 (strings), of the bytes (binary), of the big-endian
 * IEEE double (non-integral or out-of-range floats), and the integer modulo
 * 0xFFFFFFFF (ints, and integral numbers within 64 bits, whatever their size). Other keys
 * hash their canonical encoding. An integral number may also sit where Python
 * put an equal float key (`100.0`, `-0.0`): {@linkcode shardHashes} lists those places.
 *
 * @module
 */
import { isRawKey, rawKeyValue, structuredKeyValue } from "./row_values.ts";

const utf8 = new TextEncoder();
const MASK = 0xffffffffn;

/** Adler-32 checksum (RFC 1950), as zlib.adler32. */
export function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  const MOD = 65521;
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(i + 3800, bytes.length); // defer the modulo while sums stay exact
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** Python's `key % 0xFFFFFFFF` (a non-negative remainder). */
function intHash(k: bigint): number {
  return Number(((k % MASK) + MASK) % MASK);
}

/** Adler-32 of the big-endian IEEE double, Python's hash of a float key. */
function floatHash(k: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, k, false);
  return adler32(new Uint8Array(view.buffer));
}

/** The 32-bit shard hash of a key, as python-diskcache computes it. */
export function shardHash(key: unknown): number {
  return shardHashes(key)[0]!;
}

/**
 * The shard hashes under which a key may be stored, its own first. An
 * integral number (or a bigint a double holds exactly) is one key in SQLite
 * whether stored as INTEGER or REAL, but python-diskcache's FanoutCache hashes
 * Python's `100` as an int and `100.0` as a float (and `-0.0` apart from
 * `0.0`): the others are the hashes of those equal floats, where Python put
 * them.
 */
export function shardHashes(key: unknown): number[] {
  if (!isRawKey(key)) return [adler32(structuredKeyValue(key))];
  const k = rawKeyValue(key as string);
  if (typeof k === "string") return [adler32(utf8.encode(k))];
  if (k instanceof Uint8Array) return [adler32(k)];
  // rawKeyValue made every integral number within int64 a bigint: it lives in
  // the shard of the equal Python int (python-diskcache hashes an int as an int).
  if (typeof k === "bigint") {
    const own = intHash(k), asFloat = Number(k);
    if (BigInt(asFloat) !== k) return [own];
    // -0 first for the key -0 (keys() gives -0 for Python's -0.0).
    if (k === 0n) return Object.is(key, -0) ? [own, floatHash(-0), floatHash(0)] : [own, floatHash(0), floatHash(-0)];
    return [own, floatHash(asFloat)];
  }
  return [floatHash(k as number)];
}
