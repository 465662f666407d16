/**
 * The SQL the operations run on the Cache and Settings tables, in one place:
 * the live-row condition, the column lists that read values safely on every
 * driver (big integers as TEXT, text holding U+0000 as BLOB: see `safeInt`),
 * fixed statements, and the builders of statements that depend on the
 * walking order or the queue's end. The schema itself is in
 * `format/schema.ts`; the eviction policies, and every statement that
 * depends on one (victims, pending reads), in `eviction.ts`.
 *
 * @module
 */
import type { EvictionPolicySql } from "../eviction.ts";
import { bigFlag, nulTest, safeInt } from "./schema.ts";

/** A row that has not expired: its one parameter is now, in epoch seconds. */
export const LIVE = "(expire_time IS NULL OR expire_time > ?)";

/** What a read of one item by key needs (its value read safely, its tag). */
export const ROW_COLUMNS = `rowid, mode, filename, size, store_time, expire_time, ${safeInt("value")} AS value, ${bigFlag("value")} AS big, ${
  safeInt("tag")
} AS tag, ${bigFlag("tag")} AS tag_big`;

/** The key of a row, read safely (iteration). */
export const KEY_COLUMNS = `rowid, raw, ${safeInt("key")} AS key, ${bigFlag("key")} AS key_big`;

/** The value of a row, read safely (iteration, streams). */
export const VALUE_COLUMNS = `mode, filename, size, ${safeInt("value")} AS value, ${bigFlag("value")} AS big`;

/** A queue item: key and value, read safely. */
export const QUEUE_COLUMNS = `rowid, ${safeInt("key")} AS key, raw, ${bigFlag("key")} AS key_big, expire_time, mode, filename, size, ${
  safeInt("value")
} AS value, ${bigFlag("value")} AS big`;

/** Expired rows, soonest first: parameters now (seconds) and a limit. */
const EXPIRED = "SELECT rowid, filename FROM Cache WHERE expire_time IS NOT NULL AND expire_time < ? ORDER BY expire_time LIMIT ?";

/** Fixed statements. */
export const SQL = {
  getLive: `SELECT ${ROW_COLUMNS} FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  getAny: `SELECT ${ROW_COLUMNS} FROM Cache WHERE key = ? AND raw = ?`,
  has: `SELECT 1 AS found FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  upsert:
    "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = excluded.expire_time, access_time = excluded.access_time, access_count = 0, tag = excluded.tag, size = excluded.size, mode = excluded.mode, filename = excluded.filename, value = excluded.value",
  // One statement for what every write needs to know before culling.
  writeState: "SELECT (SELECT value FROM Settings WHERE key = 'size') AS size, (SELECT MIN(expire_time) FROM Cache WHERE expire_time IS NOT NULL) AS soonest",
  // The same, with the value file of the row the write replaces (if any).
  writeStateOld:
    "SELECT (SELECT value FROM Settings WHERE key = 'size') AS size, (SELECT MIN(expire_time) FROM Cache WHERE expire_time IS NOT NULL) AS soonest, (SELECT filename FROM Cache WHERE key = ? AND raw = ?) AS old",
  findLive: `SELECT rowid, filename FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  deleteRow: "DELETE FROM Cache WHERE rowid = ?",
  touch: `UPDATE Cache SET expire_time = ? WHERE key = ? AND raw = ? AND ${LIVE}`,
  count: "SELECT value FROM Settings WHERE key = 'count'",
  pageCount: "PRAGMA page_count",
  expired: EXPIRED,
  volume: "SELECT (SELECT page_count FROM pragma_page_count()) AS pages, (SELECT value FROM Settings WHERE key = 'size') AS size",
  countEvictions: "INSERT INTO Settings VALUES ('evictions', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
  resetStats: "UPDATE Settings SET value = 0 WHERE key IN ('hits', 'misses', 'evictions')",
  readSetting: "SELECT value FROM Settings WHERE key = ?",
  putSetting: "INSERT OR REPLACE INTO Settings VALUES (?, ?)",
  addToSetting: "UPDATE Settings SET value = value + ? WHERE key = ?",
  // Batches of the operations over many items (parameters end with a limit).
  evictTag: "SELECT rowid, filename FROM Cache WHERE tag = ? ORDER BY rowid LIMIT ?",
  clearAll: "SELECT rowid, filename FROM Cache ORDER BY rowid LIMIT ?",
  // getStream/getFile: the live value of a key.
  storedBytes: `SELECT ${VALUE_COLUMNS} FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
} as const;

// What get() reads: plain columns, no SQL expressions (each costs on every
// read). Two cases leave this fast path for getLive, whose columns cast
// integers past 2^53 to TEXT: a value file (it needs the size), and a number
// the binding could not read exactly (rounded past 2^53, or refused with an
// error its driver recognises: SqliteDriver.unsafeIntegerError).
const HOT_COLUMNS = "mode, value, filename";
// On a driver that cuts TEXT at U+0000, text holding one takes the slow path
// too (an empty filename marks it), whose columns read it as BLOB.
const HOT_COLUMNS_NUL = `mode, value, CASE WHEN ${nulTest("value")} THEN '' ELSE filename END AS filename`;

/**
 * The hot statement of `get()`: mode, value and filename of a live item,
 * with its rowid and store_time when the policy records reads.
 */
export function hotGetSql(policy: EvictionPolicySql, cutsTextAtNul: boolean): string {
  const columns = cutsTextAtNul ? HOT_COLUMNS_NUL : HOT_COLUMNS;
  return `SELECT ${columns}${policy.reads !== null ? ", rowid, store_time" : ""} FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`;
}

/**
 * `incr()` of a live row: the new value and store time, and the policy's hit
 * update (`onHit`); parameters the value, now (seconds), now again when the
 * policy records the time of a read, and the rowid.
 */
export function incrSql(policy: EvictionPolicySql): string {
  return `UPDATE Cache SET value = ?, store_time = ?${policy.onHit === null ? "" : `, ${policy.onHit}`} WHERE rowid = ?`;
}

/**
 * The first page and the next pages of a walk over live rows: `first`
 * takes (now, limit), `next` the last row's rowid (insertion order) or key
 * and raw (key order), then (now, limit).
 */
export function pageSql(
  columns: string,
  order: "insertion" | "key",
  reverse: boolean,
): { first: string; next: string } {
  const dir = reverse ? "DESC" : "ASC";
  const cmp = reverse ? "<" : ">";
  if (order === "insertion") {
    return {
      first: `SELECT ${columns} FROM Cache WHERE ${LIVE} ORDER BY rowid ${dir} LIMIT ?`,
      next: `SELECT ${columns} FROM Cache WHERE rowid ${cmp} ? AND ${LIVE} ORDER BY rowid ${dir} LIMIT ?`,
    };
  }
  // Qualified: a bare `key` in ORDER BY binds to the select list's
  // `CASE ... AS key` alias (an expression: text for big integers, no
  // index), not the column the paging condition compares.
  const sort = `ORDER BY Cache.key ${dir}, Cache.raw ${dir}`;
  return {
    first: `SELECT ${columns} FROM Cache WHERE ${LIVE} ${sort} LIMIT ?`,
    next: `SELECT ${columns} FROM Cache WHERE (Cache.key, Cache.raw) ${cmp} (?, ?) AND ${LIVE} ${sort} LIMIT ?`,
  };
}

/** The row of one key afresh, key and value (columns qualified: `key` alone could mean the alias). */
export const REREAD = `SELECT ${KEY_COLUMNS}, ${VALUE_COLUMNS} FROM Cache WHERE Cache.key = ? AND Cache.raw = ? AND ${LIVE}`;

/**
 * The nearest queue key within (lower, upper) bounds given as parameters,
 * `lower`/`upper` the comparison operators, `order` ASC or DESC. Cache.key,
 * not key: the bare name binds to the alias. The key is read through
 * safeInt: a driver that cuts TEXT at U+0000 read a prefix holding it as
 * "a", parsed as NaN.
 */
export function queueNearestSql(lower: string, upper: string, order: "ASC" | "DESC"): string {
  return `SELECT ${safeInt("key")} AS key, ${
    bigFlag("key")
  } AS big FROM Cache WHERE ? ${lower} Cache.key AND Cache.key ${upper} ? AND Cache.raw = 1 ORDER BY Cache.key ${order} LIMIT 1`;
}

/**
 * The queue item at one end between two key bounds; `live`: only a live
 * one, skipping a number of rows (a read-only peek). Cache.key, not key: a
 * bare name in ORDER BY binds to the `AS key` alias of the columns, which no
 * index serves (every call sorted the whole range).
 */
export function queueEndSql(order: "ASC" | "DESC", live: boolean): string {
  return live
    ? `SELECT ${QUEUE_COLUMNS} FROM Cache WHERE ? <= Cache.key AND Cache.key <= ? AND Cache.raw = 1 AND ${LIVE} ORDER BY Cache.key ${order} LIMIT 1 OFFSET ?`
    : `SELECT ${QUEUE_COLUMNS} FROM Cache WHERE ? <= Cache.key AND Cache.key <= ? AND Cache.raw = 1 ORDER BY Cache.key ${order} LIMIT 1`;
}

/** The first or last item in insertion order; `live`: only a live one, skipping a number of rows. */
export function peekItemSql(last: boolean, live: boolean): string {
  const order = `ORDER BY rowid ${last ? "DESC" : "ASC"} LIMIT 1`;
  return live ? `SELECT ${QUEUE_COLUMNS} FROM Cache WHERE ${LIVE} ${order} OFFSET ?` : `SELECT ${QUEUE_COLUMNS} FROM Cache ${order}`;
}
