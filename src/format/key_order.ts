/**
 * SQLite's order of stored keys, in JavaScript: what `ORDER BY key, raw`
 * gives, so that the key-ordered streams of several shards merge into the
 * order one cache would give. Storage classes sort INTEGER and REAL (as
 * numbers) before TEXT (BINARY collation: bytes of the UTF-8) before BLOB
 * (bytes); equal keys sort by `raw`.
 *
 * @module
 */
import { isRawKey, rawKeyValue, structuredKeyValue } from "./row_values.ts";

/** A key as its stored column sorts: storage class, value, raw flag. */
export interface KeyOrder {
  /** 0 numbers, 1 text, 2 blobs, 3 keys that cannot be encoded again (last). */
  cls: 0 | 1 | 2 | 3;
  value: number | bigint | string | Uint8Array | null;
  raw: 0 | 1;
}

/** How `key`, as iteration returned it, is stored and sorts. */
export function storedKeyOrder(key: unknown): KeyOrder {
  if (isRawKey(key)) {
    const value = rawKeyValue(key as string) as number | bigint | string | Uint8Array;
    const cls = typeof value === "string" ? 1 : value instanceof Uint8Array ? 2 : 0;
    return { cls, value, raw: 1 };
  }
  try {
    return { cls: 2, value: structuredKeyValue(key), raw: 0 };
  } catch {
    return { cls: 3, value: null, raw: 0 };
  }
}

/** Negative, zero or positive as `a` sorts before, with or after `b` in SQLite. */
export function compareKeys(a: KeyOrder, b: KeyOrder): number {
  if (a.cls !== b.cls) return a.cls - b.cls;
  let c = 0;
  if (a.cls === 0) {
    const x = a.value as number | bigint, y = b.value as number | bigint;
    c = x < y ? -1 : x > y ? 1 : 0; // exact between number and bigint
  } else if (a.cls === 1) c = compareUtf8(a.value as string, b.value as string);
  else if (a.cls === 2) c = compareBytes(a.value as Uint8Array, b.value as Uint8Array);
  return c !== 0 ? c : a.raw - b.raw;
}

/**
 * Compares strings as their UTF-8 bytes compare (code point order): UTF-16
 * units differ from it only where a surrogate (a code point past U+FFFF)
 * meets a unit from U+E000 up.
 */
function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
