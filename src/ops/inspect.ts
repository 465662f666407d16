/**
 * `inspect()` and `inspectAll()`: what a row says about its item (size,
 * storage, expiry, tag, stored key) without reading the value; and
 * `vacuum()`, which gives the database's free pages back to the file system.
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import type { StoredKey } from "../format/stored_key.ts";
import { KEY_COLUMNS, LIVE, SQL } from "../format/sql.ts";
import { DiskCacheError } from "../errors.ts";
import { bigFlag, MODE_BINARY, MODE_CBOR, MODE_PICKLE, MODE_RAW, MODE_TEXT, safeInt } from "../format/schema.ts";
import { decodeKey, readColumn } from "../format/row_values.ts";
import { walk } from "./iterate.ts";
import type { ItemInfo, IterateOptions, Tag } from "../types.ts";

/**
 * The row's facts. An inline value's size is its column's length (a number
 * counts 8 bytes, as SQLite stores it at most); python-diskcache records 0
 * for inline values, so `size` alone would say nothing.
 */
const INFO_COLUMNS = `${KEY_COLUMNS}, store_time, expire_time, access_time, access_count, ${safeInt("tag")} AS tag, ${
  bigFlag("tag")
} AS tag_big, mode, filename, CASE WHEN filename IS NOT NULL THEN size WHEN typeof(value) IN ('integer', 'real') THEN 8 ELSE COALESCE(length(CAST(value AS BLOB)), 0) END AS bytes`;

const ONE = `SELECT ${INFO_COLUMNS} FROM Cache WHERE Cache.key = ? AND Cache.raw = ? AND ${LIVE}`;

interface InfoRow {
  rowid: number;
  raw: number;
  key: SqliteValue;
  key_big: number;
  store_time: number;
  expire_time: number | null;
  access_time: number;
  access_count: number;
  tag: SqliteValue;
  tag_big: number;
  mode: number;
  filename: string | null;
  bytes: number;
}

const MODES: Record<number, ItemInfo["mode"]> = {
  [MODE_RAW]: "raw",
  [MODE_BINARY]: "binary",
  [MODE_TEXT]: "text",
  [MODE_PICKLE]: "pickle",
  [MODE_CBOR]: "cbor",
};

const ms = (seconds: number) => Math.round(Number(seconds) * 1000);

function info(row: InfoRow, key: unknown): ItemInfo {
  return {
    key,
    rawKey: Number(row.raw) === 1,
    size: Number(row.bytes),
    storage: row.filename === null ? "inline" : "file",
    filename: row.filename,
    mode: MODES[Number(row.mode)] ?? "unknown",
    storeTime: ms(row.store_time),
    expireTime: row.expire_time === null ? null : ms(row.expire_time),
    accessTime: ms(row.access_time),
    accessCount: Number(row.access_count),
    tag: readColumn(row.tag, row.tag_big) as Tag | null,
  };
}

/** What the row of the live item `k` says, or `undefined` when there is none. */
export function inspect(engine: Engine, k: StoredKey): ItemInfo | undefined {
  engine.db("inspect");
  const row = engine.translating("inspect", () => engine.prepare(ONE).get(k.key, k.raw, engine.now()) as InfoRow | null | undefined);
  return row == null ? undefined : info(row, k.original);
}

/** {@linkcode inspect} for every live item, paged like `keys()`. */
export function* inspectAll(engine: Engine, options: Required<IterateOptions>): Generator<ItemInfo> {
  engine.db("inspect");
  for (const row of walk<InfoRow>(engine, INFO_COLUMNS, options, "inspect")) yield info(row, decodeKey(row.key, row.raw, row.key_big));
}

/**
 * Rebuilds the database file without its free pages (SQLite's `VACUUM`),
 * then truncates the write-ahead log; returns the bytes the database shrank.
 */
export function vacuum(engine: Engine): number {
  engine.assertWritable("vacuum");
  const db = engine.db("vacuum");
  if (engine.inTransaction) throw new DiskCacheError("Cannot vacuum: a transaction is open on this cache; call vacuum() outside transact()");
  const pages = () => Number((engine.prepare(SQL.pageCount).get() as { page_count: number }).page_count);
  try {
    const before = pages();
    db.exec("VACUUM");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return (before - pages()) * engine.pageSize;
  } catch (error) {
    throw engine.translate(error, "vacuum");
  }
}
