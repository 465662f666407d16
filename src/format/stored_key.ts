/**
 * A key in the form the operations use: made once per public call, then
 * passed through every operation it runs.
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import { isRawKey, rawKeyValue, structuredKeyValue } from "./row_values.ts";

/** A key as stored: its `key` column, its `raw` column, and the key the caller gave (for messages and decoding). */
export interface StoredKey {
  /** The `key` column: the key itself when raw, else its canonical encoding. */
  readonly key: SqliteValue;
  /** The `raw` column: 1 for a key stored natively, 0 for an encoded one. */
  readonly raw: number;
  /** The key as given. */
  readonly original: unknown;
}

/** The stored form of `key`; throws the `TypeError` of a key that cannot be stored. */
export function storedKey(key: unknown): StoredKey {
  // Strings first: the commonest key, and rawKeyValue refuses lone surrogates.
  if (typeof key === "string") return { key: rawKeyValue(key), raw: 1, original: key };
  return isRawKey(key) ? { key: rawKeyValue(key as string), raw: 1, original: key } : { key: structuredKeyValue(key), raw: 0, original: key };
}
