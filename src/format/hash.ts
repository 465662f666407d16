/**
 * The shard hash of python-diskcache's `Disk.hash`, so that a FanoutCache of
 * either library puts a str, bytes, int or float key in the same shard:
 * Adler-32 of the UTF-8 (strings), of the bytes (binary), of the big-endian
 * IEEE double (non-integral or out-of-range floats), and the integer modulo
 * 0xFFFFFFFF (ints, and integral numbers within 64 bits, whatever their size). Other keys
 * hash their canonical encoding.
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

/** The 32-bit shard hash of a key, as python-diskcache computes it. */
export function shardHash(key: unknown): number {
  if (!isRawKey(key)) return adler32(structuredKeyValue(key));
  const k = rawKeyValue(key as string);
  if (typeof k === "string") return adler32(utf8.encode(k));
  if (k instanceof Uint8Array) return adler32(k);
  // rawKeyValue made every integral number within int64 a bigint: it lives in
  // the shard of the equal Python int (python-diskcache hashes an int as an int).
  if (typeof k === "bigint") return intHash(k);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, k as number, false);
  return adler32(new Uint8Array(view.buffer));
}
