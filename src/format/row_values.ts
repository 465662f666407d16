/**
 * How keys, values and tags become row columns and back (python-diskcache's
 * `Disk.put`/`Disk.store`/`Disk.fetch`, for JavaScript types).
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import { decodeStructured, encodeStructured } from "./codec.ts";
import { describe, DiskCacheError } from "../errors.ts";
import { MODE_BINARY, MODE_CBOR, MODE_PICKLE, MODE_RAW, MODE_TEXT } from "./schema.ts";
import { readValueFile } from "./value_files.ts";
import { checkText } from "./text.ts";
import { ForeignKey } from "./undecodable_key.ts";
import { Pickled } from "./pickle.ts";

// Key and Tag moved to the public types module; re-exported for importers
// written before the move (remove once none is left).
export type { Key, Tag } from "../types.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const utf8 = new TextEncoder();
// ignoreBOM: a string that starts with U+FEFF keeps it (the default drops it).
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Whether `key` is stored natively (`raw = 1`). */
export function isRawKey(key: unknown): boolean {
  switch (typeof key) {
    case "string":
      return true;
    case "number":
      // ±Infinity as REAL, as Python stores float("inf"); SQLite would bind
      // NaN as NULL, so a NaN key goes through the codec (raw = 0).
      return !Number.isNaN(key);
    case "bigint":
      return key >= INT64_MIN && key <= INT64_MAX;
    case "object":
      return key instanceof Uint8Array || key instanceof ArrayBuffer;
    default:
      return false;
  }
}

/** The column value of a raw key (see {@linkcode isRawKey}). */
export function rawKeyValue(key: string | number | bigint | Uint8Array | ArrayBuffer): SqliteValue {
  if (typeof key === "string") {
    checkText(key, "key", "key");
    return key;
  }
  // Integral numbers within int64 are SQLite INTEGER whatever their size, as
  // Python stores an int (2 ** 60 bound as a double was REAL, and Python read
  // it back as a float); past int64 they stay REAL.
  if (typeof key === "number") return Number.isInteger(key) && key >= -(2 ** 63) && key < 2 ** 63 ? BigInt(key) : key;
  if (key instanceof ArrayBuffer) return new Uint8Array(key);
  return key;
}

/** The column value of a structured key: canonical CBOR bytes. */
export function structuredKeyValue(key: unknown): Uint8Array {
  if (key === undefined || typeof key === "function" || typeof key === "symbol") {
    throw new TypeError(`Cannot use key: expected a string, number, bigint, Uint8Array, array or plain object: received ${describe(key)}`);
  }
  if (key instanceof ForeignKey) return key.bytes;
  return encodeStructured(key, "key", true);
}

/**
 * Turns a stored key back into a JavaScript key; a structured key that is
 * not in the codec (a Python pickle) becomes a {@linkcode ForeignKey}.
 */
export function decodeKey(dbKey: SqliteValue, raw: number, big: number): unknown {
  if (raw) return readColumn(dbKey, big);
  const bytes = readColumn(dbKey, 0) as Uint8Array;
  try {
    return decodeStructured(bytes);
  } catch {
    return new ForeignKey(bytes);
  }
}

/** Validates a tag and returns its column value. */
export function tagValue(tag: unknown): SqliteValue {
  if (tag === undefined || tag === null) return null;
  if (typeof tag === "string") {
    checkText(tag, "tag", 'option "tag"');
    return tag;
  }
  if (tag instanceof Uint8Array) return tag;
  if (typeof tag === "number" && Number.isFinite(tag)) return Number.isSafeInteger(tag) ? BigInt(tag) : tag;
  if (typeof tag === "bigint" && tag >= INT64_MIN && tag <= INT64_MAX) return tag;
  throw new TypeError(`Cannot use option "tag": expected a string, finite number, 64-bit bigint or Uint8Array: received ${describe(tag)}`);
}

/**
 * Normalizes a column read through {@linkcode safeInt}: big integers (sent as
 * TEXT, flag 1) to bigint, text holding U+0000 (sent as BLOB, flag 2) to a
 * string, Buffer to Uint8Array.
 */
export function readColumn(value: SqliteValue, big: number): SqliteValue {
  if (big) return big === 2 ? utf8Decoder.decode(value as Uint8Array) : BigInt(value as string);
  if (value instanceof Uint8Array && value.constructor !== Uint8Array) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/** How a value is stored: mode, inline column and the bytes of a value file. */
export interface StoredValue {
  mode: number;
  inline: SqliteValue;
  file: Uint8Array | null;
}

/**
 * Decides how `value` is stored (python-diskcache's rules for the types both
 * share): strings, numbers and bytes inline below `minFileSize` and in value
 * files from it; everything else through the CBOR codec (mode 5).
 */
export function storeValue(value: unknown, minFileSize: number): StoredValue {
  switch (typeof value) {
    case "string":
      checkText(value, "value", "value");
      if (value.length < minFileSize) return { mode: MODE_RAW, inline: value, file: null };
      return { mode: MODE_TEXT, inline: null, file: utf8.encode(value) };
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { mode: MODE_RAW, inline: BigInt(value), file: null };
      // ±Infinity too, as REAL (Python's float("inf")); NaN (SQLite binds it as NULL) and -0 take the codec.
      if (!Number.isNaN(value) && !Object.is(value, -0)) return { mode: MODE_RAW, inline: value, file: null };
      break;
    case "bigint":
      if (value >= INT64_MIN && value <= INT64_MAX) return { mode: MODE_RAW, inline: value, file: null };
      break;
    case "undefined":
      throw new TypeError(
        "Cannot store value: undefined is not storable (get() returns undefined for a miss); use null, or delete() the key",
      );
    case "object":
      if (value instanceof Pickled) { // a recipe's value shared with python-diskcache's
        if (value.bytes.length < minFileSize) return { mode: MODE_PICKLE, inline: value.bytes, file: null };
        return { mode: MODE_PICKLE, inline: null, file: value.bytes };
      }
      if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
        const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
        if (bytes.length < minFileSize) return { mode: MODE_RAW, inline: bytes, file: null };
        return { mode: MODE_BINARY, inline: null, file: bytes };
      }
      break;
  }
  const encoded = encodeStructured(value, "value", false);
  if (encoded.length < minFileSize) return { mode: MODE_CBOR, inline: encoded, file: null };
  return { mode: MODE_CBOR, inline: null, file: encoded };
}

/** The columns a read needs to rebuild a value. */
export interface ValueRow {
  mode: number;
  filename: string | null;
  size: number;
  value: SqliteValue;
  big: number;
}

/** Marks a value whose file is gone (a miss, not an error). */
export const MISSING: unique symbol = Symbol("missing");

/**
 * A stored value this library cannot read (a Python pickle, a foreign mode,
 * bytes that are not valid CBOR, a row a foreign writer made inconsistent):
 * reads throw it, iteration passes over the item.
 */
export class UnreadableValue extends DiskCacheError {
  /** A Python pickle's bytes (mode 4), for the recipes that read the few python-diskcache's recipes store. */
  pickle?: Uint8Array;
}

/**
 * Rebuilds a value from its row, reading its file if it has one. Returns
 * {@linkcode MISSING} when the file was removed or truncated behind the
 * cache's back.
 */
export function fetchValue(directory: string, row: ValueRow, key: unknown): unknown {
  const mode = row.mode;
  if (mode === MODE_RAW) return readColumn(row.value, row.big);
  let bytes: Uint8Array | undefined;
  if (row.filename !== null) {
    bytes = readValueFile(directory, row.filename, row.size);
    if (bytes === undefined) return MISSING;
  } else {
    const inline = readColumn(row.value, 0);
    if (!(inline instanceof Uint8Array) && (mode === MODE_BINARY || mode === MODE_TEXT || mode === MODE_CBOR)) {
      // Python stores modes 2 and 3 in files and modes 4+ as BLOBs: anything
      // else came from a foreign writer or a damaged database.
      throw new UnreadableValue(
        `Cannot read key ${
          describe(key)
        }: its row says mode ${mode} but holds no value file and no bytes (${typeof inline}); the database was written by a foreign library or is damaged: delete the key`,
      );
    }
    bytes = inline as Uint8Array;
  }
  switch (mode) {
    case MODE_BINARY:
      return bytes;
    case MODE_TEXT:
      return utf8Decoder.decode(bytes);
    case MODE_CBOR:
      try {
        return decodeStructured(bytes);
      } catch (cause) {
        throw new UnreadableValue(`Cannot read key ${describe(key)}: its stored value is not valid CBOR; delete the key`, { cause });
      }
    case MODE_PICKLE:
      throw Object.assign(
        new UnreadableValue(
          `Cannot read key ${
            describe(key)
          }: its value is a Python pickle (mode 4), which this library never unpickles; store it from Python as str, bytes, int or float`,
        ),
        { pickle: bytes },
      );
    default:
      throw new UnreadableValue(`Cannot read key ${describe(key)}: unknown value mode ${mode}; it was written by a newer or foreign library`);
  }
}
