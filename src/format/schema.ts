/**
 * The database schema, identical to python-diskcache 5.x so that either
 * library opens, reads and checks what the other wrote.
 *
 * @module
 */

/** Value stored in the row itself (SQLite INTEGER, REAL, TEXT or BLOB). */
export const MODE_RAW = 1;
/** Bytes in a value file. */
export const MODE_BINARY = 2;
/** UTF-8 text in a value file. */
export const MODE_TEXT = 3;
/** A Python pickle: never decoded here. */
export const MODE_PICKLE = 4;
/** A structured value in the portable CBOR codec, inline or in a value file. */
export const MODE_CBOR = 5;

/** Tables, the key index, the expiry index and the count/size triggers. */
export const SCHEMA_SQL: readonly string[] = [
  "CREATE TABLE IF NOT EXISTS Settings ( key TEXT NOT NULL UNIQUE, value)",
  "CREATE TABLE IF NOT EXISTS Cache ( rowid INTEGER PRIMARY KEY, key BLOB, raw INTEGER, store_time REAL, expire_time REAL, access_time REAL, access_count INTEGER DEFAULT 0, tag BLOB, size INTEGER DEFAULT 0, mode INTEGER DEFAULT 0, filename TEXT, value BLOB)",
  "CREATE UNIQUE INDEX IF NOT EXISTS Cache_key_raw ON Cache(key, raw)",
  "CREATE INDEX IF NOT EXISTS Cache_expire_time ON Cache (expire_time) WHERE expire_time IS NOT NULL",
  "CREATE TRIGGER IF NOT EXISTS Settings_count_insert AFTER INSERT ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value + 1 WHERE key = 'count'; END",
  "CREATE TRIGGER IF NOT EXISTS Settings_count_delete AFTER DELETE ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value - 1 WHERE key = 'count'; END",
  "CREATE TRIGGER IF NOT EXISTS Settings_size_insert AFTER INSERT ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value + NEW.size WHERE key = 'size'; END",
  "CREATE TRIGGER IF NOT EXISTS Settings_size_update AFTER UPDATE ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value + NEW.size - OLD.size WHERE key = 'size'; END",
  "CREATE TRIGGER IF NOT EXISTS Settings_size_delete AFTER DELETE ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value - OLD.size WHERE key = 'size'; END",
];

/** The partial tag index (created when `tagIndex` is on). */
export const TAG_INDEX_SQL = "CREATE INDEX IF NOT EXISTS Cache_tag_rowid ON Cache(tag, rowid) WHERE tag IS NOT NULL";
/** Drops the tag index. */
export const DROP_TAG_INDEX_SQL = "DROP INDEX IF EXISTS Cache_tag_rowid";

/**
 * SQL expression reading a column safely on every driver: integers beyond
 * ±(2^53 − 1) come back as TEXT (then `BigInt`), and TEXT holding U+0000 as
 * BLOB (then UTF-8 decoded: some bindings, such as Deno's `node:sqlite`, cut
 * TEXT at its first NUL), flagged by {@linkcode bigFlag}.
 *
 * @param column Column name.
 * @returns The expression.
 *
 * @example Select a column safely
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeInt } from "./schema.ts";
 * assert.match(safeInt("value"), /CAST\(value AS TEXT\)/);
 * ```
 */
export function safeInt(column: string): string {
  return `CASE WHEN ${bigTest(column)} THEN CAST(${column} AS TEXT) WHEN ${nulTest(column)} THEN CAST(${column} AS BLOB) ELSE ${column} END`;
}

/**
 * SQL expression that is 1 when {@linkcode safeInt} returned a big integer
 * as TEXT, 2 when it returned text holding U+0000 as BLOB, else 0.
 *
 * @param column Column name.
 * @returns The expression.
 *
 * @example Flag a big integer
 * ```ts
 * import assert from "node:assert/strict";
 * import { bigFlag } from "./schema.ts";
 * assert.match(bigFlag("key"), /typeof\(key\)/);
 * ```
 */
export function bigFlag(column: string): string {
  return `(CASE WHEN ${bigTest(column)} THEN 1 WHEN ${nulTest(column)} THEN 2 ELSE 0 END)`;
}

/**
 * SQL test that a TEXT column holds U+0000. (`instr` compares the column's
 * bytes, not its C string.)
 *
 * @param column Column name.
 * @returns The expression.
 */
export function nulTest(column: string): string {
  return `typeof(${column}) = 'text' AND instr(${column}, char(0)) > 0`;
}

function bigTest(column: string): string {
  return `typeof(${column}) = 'integer' AND ${column} NOT BETWEEN -9007199254740991 AND 9007199254740991`;
}
