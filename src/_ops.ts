/**
 * Reads and writes of single items, as functions over an {@linkcode Engine}.
 * Every write is one `BEGIN IMMEDIATE` transaction; value files are written
 * before it and old ones removed after it commits.
 *
 * @module
 */
import type { SqliteValue } from "./driver.ts";
import type { Engine } from "./_engine.ts";
import { DiskCacheError, describe } from "./errors.ts";
import { bigFlag, MODE_RAW, nulTest, safeInt } from "./schema.ts";
import { writeValueFile } from "./disk.ts";
import { fetchValue, MISSING, readColumn, storeValue, type ValueRow } from "./_values.ts";
import type { CacheStats } from "./types.ts";
import { fetchFresh } from "./_fresh.ts";

/** A row located by key. */
interface Located extends ValueRow {
  rowid: number;
  store_time: number;
  expire_time: number | null;
  tag: SqliteValue;
  tag_big: number;
}

const LIVE = "(expire_time IS NULL OR expire_time > ?)";
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const ROW_COLUMNS =
  `rowid, mode, filename, size, store_time, expire_time, ${safeInt("value")} AS value, ${bigFlag("value")} AS big, ${safeInt("tag")} AS tag, ${bigFlag("tag")} AS tag_big`;

// What get() reads: plain columns, no SQL expressions (each costs on every
// read). Two cases leave this fast path for getLive, whose columns cast
// integers past 2^53 to TEXT: a value file (it needs the size), and a number
// the binding could not read exactly (bun:sqlite and better-sqlite3 round it
// past 2^53; node:sqlite throws a non-SQLite error).
const HOT_COLUMNS = "mode, value, filename";
// On a driver that cuts TEXT at U+0000, text holding one takes the slow path
// too (an empty filename marks it), whose columns read it as BLOB.
const HOT_COLUMNS_NUL = `mode, value, CASE WHEN ${nulTest("value")} THEN '' ELSE filename END AS filename`;

const SQL = {
  getValue: `SELECT ${HOT_COLUMNS} FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  getValueHit: `SELECT ${HOT_COLUMNS}, rowid, store_time FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  getValueNul: `SELECT ${HOT_COLUMNS_NUL} FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  getValueHitNul: `SELECT ${HOT_COLUMNS_NUL}, rowid, store_time FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  getLive: `SELECT ${ROW_COLUMNS} FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  getAny: `SELECT ${ROW_COLUMNS} FROM Cache WHERE key = ? AND raw = ?`,
  has: `SELECT 1 AS found FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  upsert:
    "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = excluded.expire_time, access_time = excluded.access_time, access_count = 0, tag = excluded.tag, size = excluded.size, mode = excluded.mode, filename = excluded.filename, value = excluded.value",
  // One statement for what every write needs to know before culling.
  writeState:
    "SELECT (SELECT value FROM Settings WHERE key = 'size') AS size, (SELECT MIN(expire_time) FROM Cache WHERE expire_time IS NOT NULL) AS soonest",
  // The same, with the value file of the row the write replaces (if any).
  writeStateOld:
    "SELECT (SELECT value FROM Settings WHERE key = 'size') AS size, (SELECT MIN(expire_time) FROM Cache WHERE expire_time IS NOT NULL) AS soonest, (SELECT filename FROM Cache WHERE key = ? AND raw = ?) AS old",
  pageCount: "PRAGMA page_count",
  findLive: `SELECT rowid, filename FROM Cache WHERE key = ? AND raw = ? AND ${LIVE}`,
  deleteRow: "DELETE FROM Cache WHERE rowid = ?",
  touch: `UPDATE Cache SET expire_time = ? WHERE key = ? AND raw = ? AND ${LIVE}`,
  count: "SELECT value FROM Settings WHERE key = 'count'",
  expired:
    "SELECT rowid, filename FROM Cache WHERE expire_time IS NOT NULL AND expire_time < ? ORDER BY expire_time LIMIT ?",
  volume: "SELECT (SELECT page_count FROM pragma_page_count()) AS pages, (SELECT value FROM Settings WHERE key = 'size') AS size",
} as const;

/** What `set`, `add` and `incr` write. */
export interface Write {
  key: SqliteValue;
  raw: number;
  mode: number;
  inline: SqliteValue;
  filename: string | null;
  size: number;
  expire: number | null;
  tag: SqliteValue;
}

/** The item a read found: its value, expiry (seconds) and tag. */
export interface Found {
  value: unknown;
  storeTime: number;
  expireTime: number | null;
  tag: SqliteValue;
}

function miss<T>(engine: Engine, result?: T): T {
  if (engine.settings.statistics) engine.misses++;
  return result as T;
}

function hit(engine: Engine, rowid: number, storeTime: number): void {
  if (engine.settings.statistics) engine.hits++;
  if (engine.policy.onHit !== null) engine.recordAccess(rowid, storeTime);
}

/**
 * Looks up a live item; `undefined` on a miss (absent, expired, or its value
 * file gone).
 */
export function find(engine: Engine, key: SqliteValue, raw: number, original: unknown): Found | undefined {
  const op = "get";
  engine.db(op);
  let row: Located | null | undefined;
  try {
    row = engine.prepare(SQL.getLive).get(key, raw, engine.now()) as Located | null | undefined;
  } catch (error) {
    throw engine.translate(error, op);
  }
  if (row == null) return miss(engine);
  // A value file that vanished after the row was read: read the row again.
  const got = fetchFresh(engine, row, original, () => engine.prepare(SQL.getLive).get(key, raw, engine.now()) as Located | null | undefined);
  if (got === undefined) return miss(engine);
  const value = got[1];
  row = got[0];
  hit(engine, row.rowid, row.store_time);
  return {
    value,
    storeTime: row.store_time,
    expireTime: row.expire_time,
    tag: row.tag === null ? null : readColumn(row.tag, row.tag_big),
  };
}

/** A row of the hot statement, as arrays or as objects (see `SqliteDriver.objectRows`). */
type HotRow = [mode: number, value: SqliteValue, filename: string | null, rowid?: number, store_time?: number] & {
  mode: number;
  value: SqliteValue;
  filename: string | null;
  rowid?: number;
  store_time?: number;
};

/** The hot path of `get()`: the value of a live item, or {@linkcode MISSING}. */
export function getValue(engine: Engine, key: SqliteValue, raw: number, original: unknown): unknown {
  const onHit = engine.policy.onHit !== null;
  const objects = engine.driver.objectRows === true;
  // The hottest statement, kept out of the statement map (prepare() throws
  // the "closed" error, and close() forgets it).
  const nul = engine.driver.cutsTextAtNul === true;
  const stmt = engine.hot.get ??= engine.prepare(
    onHit ? (nul ? SQL.getValueHitNul : SQL.getValueHit) : (nul ? SQL.getValueNul : SQL.getValue),
    !objects,
  );
  let mode: number, value: SqliteValue, filename: string | null, rowid: number | undefined, storeTime: number | undefined;
  try {
    const row = stmt.get(key, raw, engine.clock() / 1000) as HotRow | null | undefined;
    if (row == null) return miss(engine, MISSING);
    if (objects) mode = row.mode, value = row.value, filename = row.filename, rowid = row.rowid, storeTime = row.store_time;
    else mode = row[0], value = row[1], filename = row[2], rowid = row[3], storeTime = row[4];
  } catch (error) {
    if (engine.driver.errorCode(error) !== undefined) throw engine.translate(error, "get");
    return slowGet(engine, key, raw, original); // an integer node:sqlite refuses to read
  }
  if (filename !== null || (typeof value === "number" && !(value <= MAX_SAFE && value >= -MAX_SAFE))) {
    return slowGet(engine, key, raw, original);
  }
  // Inline (no file to go missing): fetchValue cannot answer MISSING here.
  const result = mode === MODE_RAW ? readColumn(value, 0) : fetchValue(engine.directory, { mode, big: 0, value, filename: null, size: 0 }, original);
  if (onHit) hit(engine, rowid!, storeTime!);
  else if (engine.settings.statistics) engine.hits++;
  return result;
}

/** get() through {@linkcode find}: value files, and integers past 2^53. */
function slowGet(engine: Engine, key: SqliteValue, raw: number, original: unknown): unknown {
  const found = find(engine, key, raw, original);
  return found === undefined ? MISSING : found.value;
}

/** Whether a live item exists (its value file is not read). */
export function has(engine: Engine, key: SqliteValue, raw: number): boolean {
  engine.db("has");
  try {
    return engine.prepare(SQL.has).get(key, raw, engine.now()) != null;
  } catch (error) {
    throw engine.translate(error, "has");
  }
}

/** Writes `value` to a file when it is large; returns the row's columns. */
export function prepareWrite(
  engine: Engine,
  key: SqliteValue,
  raw: number,
  value: unknown,
  ttl: number | undefined,
  tag: SqliteValue,
): Write {
  const stored = storeValue(value, engine.settings.minFileSize);
  engine.db("set");
  engine.assertWritable("set");
  const bytes = stored.file?.length ?? (stored.inline instanceof Uint8Array ? stored.inline.length : 0);
  if (bytes > engine.settings.sizeLimit && engine.policy.order !== null) {
    throw new RangeError(
      `Cannot store value: it takes ${bytes} bytes, more than the whole sizeLimit of ${engine.settings.sizeLimit} bytes, and storing it would evict everything; raise sizeLimit or store it elsewhere`,
    );
  }
  let filename: string | null = null;
  if (stored.file !== null) {
    try {
      filename = writeValueFile(engine.directory, stored.file, engine.modes);
    } catch (error) {
      throw engine.fileError(error, "set");
    }
  }
  return {
    key,
    raw,
    mode: stored.mode,
    inline: stored.inline,
    filename,
    size: stored.file === null ? 0 : stored.file.length,
    expire: ttl === undefined ? null : engine.expireAt(ttl),
    tag,
  };
}

/** Numbers every write reads before it culls (and the replaced row's file). */
interface WriteState {
  size: number | bigint | null;
  soonest: number | null;
  old?: string | null;
}

/**
 * Inserts or replaces the row of `w.key` inside the current transaction.
 * `old` is the row already there (`null`: none), or `undefined` when the
 * caller did not look: then its file is looked up in the statement that
 * reads the write state, always: a row can name a file of 0 bytes (an
 * empty `setFile`/`setStream`), so a Settings `size` of 0 does not mean
 * that no row names a file.
 */
export function put(engine: Engine, w: Write, now: number, old?: { filename: string | null } | null): void {
  const state = old === undefined
    ? engine.prepare(SQL.writeStateOld).get(w.key, w.raw) as WriteState
    : engine.prepare(SQL.writeState).get() as WriteState;
  const oldFile = old === undefined ? state.old ?? null : old?.filename ?? null;
  if (oldFile !== null) engine.removeLater(oldFile);
  engine.prepare(SQL.upsert).run(w.key, w.raw, now, w.expire, now, w.tag, w.size, w.mode, w.filename, w.inline);
  cullOnWrite(engine, now, state, w);
}

/**
 * Bounded culling after a write: up to `cullLimit` expired items, then,
 * while `volume()` is at or over `sizeLimit`, the rest of that budget in
 * policy order, but only as many as the excess needs, and never the row
 * this write stored. (python-diskcache removes the whole budget, the new
 * row included: with values near a tenth of the limit, a set could leave
 * the cache empty.)
 */
function cullOnWrite(engine: Engine, now: number, state: WriteState, w: Write): void {
  const added = w.size;
  let limit = engine.settings.cullLimit;
  if (limit === 0) return;
  if (state.soonest !== null && state.soonest < now) {
    limit -= removeRows(engine, engine.prepare(SQL.expired).all(now, BigInt(limit)) as Victim[]);
  }
  const order = engine.policy.order;
  if (limit <= 0 || order === null) return;
  // The volume before this write plus the value file it added. The page
  // count is read fresh every 32 writes, and on every write once the cache is
  // within reach of the limit (32 writes cannot add more than that margin).
  const files = Number(state.size ?? 0) + added;
  const margin = 32 * (engine.settings.minFileSize + 4 * engine.pageSize);
  if (--engine.pagesFresh <= 0 || engine.pages * engine.pageSize + files + margin >= engine.settings.sizeLimit) {
    engine.pages = (engine.prepare(SQL.pageCount).get() as { page_count: number }).page_count;
    engine.pagesFresh = 32;
  }
  let excess = engine.pages * engine.pageSize + files - engine.settings.sizeLimit;
  if (excess < 0) return;
  // Each victim frees its value file and, roughly, the bytes of its key and
  // inline value in the database pages: count them as they go, and stop once
  // the volume is under the limit.
  const victims = engine.prepare(
    `SELECT rowid, filename, size + COALESCE(length(CAST(value AS BLOB)), 0) + COALESCE(length(CAST(key AS BLOB)), 0) AS bytes FROM Cache WHERE NOT (key = ? AND raw = ?) ORDER BY ${order} LIMIT ?`,
  ).all(w.key, w.raw, BigInt(limit)) as (Victim & { bytes: number })[];
  let k = 0;
  while (k < victims.length && excess >= 0) excess -= Number(victims[k++]!.bytes);
  countEvictions(engine, removeRows(engine, victims.slice(0, k)));
}

/** Adds to the persistent eviction count (inside the current transaction). */
export function countEvictions(engine: Engine, n: number): void {
  if (n === 0) return;
  engine.prepare("INSERT INTO Settings VALUES ('evictions', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value")
    .run(BigInt(n));
}

/** A row chosen for removal. */
export interface Victim {
  rowid: number;
  filename: string | null;
}

/** Deletes rows (their files after the commit); returns how many. */
export function removeRows(engine: Engine, rows: Victim[]): number {
  if (rows.length === 0) return 0;
  const del = engine.prepare(SQL.deleteRow);
  for (const row of rows) {
    del.run(row.rowid);
    if (row.filename !== null) engine.removeLater(row.filename);
  }
  return rows.length;
}

/** Estimated bytes on disk: database pages plus value files (python-diskcache's `volume()`). */
export function volume(engine: Engine): number {
  const row = engine.prepare(SQL.volume).get() as { pages: number; size: number | null };
  return row.pages * engine.pageSize + Number(row.size ?? 0);
}

/** Stores `value` under the key, replacing what was there. */
export function set(engine: Engine, key: SqliteValue, raw: number, value: unknown, ttl: number | undefined, tag: SqliteValue): void {
  const w = prepareWrite(engine, key, raw, value, ttl, tag);
  engine.write("set", () => put(engine, w, engine.now()), w.filename);
}

/** Stores `value` only if the key is absent or expired; true when stored. */
export function add(engine: Engine, key: SqliteValue, raw: number, value: unknown, ttl: number | undefined, tag: SqliteValue): boolean {
  const w = prepareWrite(engine, key, raw, value, ttl, tag);
  return engine.write("add", () => {
    const now = engine.now();
    const row = engine.prepare(SQL.getAny).get(key, raw) as Located | null | undefined;
    if (row != null && (row.expire_time === null || row.expire_time > now)) {
      if (w.filename !== null) engine.removeLater(w.filename);
      return false;
    }
    put(engine, w, now, row ?? null);
    return true;
  }, w.filename);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Adds `delta` to an integer value (starting from `initial`); returns the result. */
export function incr(
  engine: Engine,
  key: SqliteValue,
  raw: number,
  original: unknown,
  delta: number | bigint,
  initial: number | bigint,
  big: boolean,
): number | bigint {
  return engine.write("incr", () => {
    const now = engine.now();
    const row = engine.prepare(SQL.getAny).get(key, raw) as Located | null | undefined;
    const live = row != null && (row.expire_time === null || row.expire_time > now);
    let current: number | bigint = initial;
    if (live) {
      const stored = readColumn(row.value, row.big);
      if (row.mode !== MODE_RAW || !(typeof stored === "bigint" || (typeof stored === "number" && Number.isInteger(stored)))) {
        // The message describes the decoded value: the stored column of a
        // structured value (2n ** 64n) is its CBOR bytes, a Uint8Array.
        let what: string;
        try {
          const value = row.mode === MODE_RAW ? stored : fetchValue(engine.directory, row, original);
          what = value === MISSING
            ? "its value file is missing"
            : typeof value === "bigint"
            ? `its value ${value}n does not fit in a signed 64-bit integer`
            : `its value is not an integer: received ${describe(value)}`;
        } catch {
          what = "its value is not an integer: received a value this cache cannot read";
        }
        throw new TypeError(`Cannot incr key ${describe(original)}: ${what}`);
      }
      current = stored as number | bigint;
    }
    const sum = BigInt(current) + BigInt(delta);
    if (sum < INT64_MIN || sum > INT64_MAX) {
      throw new RangeError(`Cannot incr key ${describe(original)}: the result ${sum} does not fit in a signed 64-bit integer`);
    }
    if (!big && (sum < -9007199254740991n || sum > 9007199254740991n)) {
      throw new RangeError(
        `Cannot incr key ${describe(original)}: the result ${sum} is past Number.MAX_SAFE_INTEGER, which a number cannot hold exactly; pass a bigint delta (incr(key, 1n)) to count on as a bigint`,
      );
    }
    if (live) {
      const onHit = engine.policy.onHit;
      const extra = onHit === null ? "" : `, ${onHit}`;
      const stmt = engine.prepare(`UPDATE Cache SET value = ?, store_time = ?${extra} WHERE rowid = ?`);
      if (onHit?.includes("?")) stmt.run(sum, now, now, row.rowid);
      else stmt.run(sum, now, row.rowid);
    } else {
      put(engine, { key, raw, mode: MODE_RAW, inline: sum, filename: null, size: 0, expire: null, tag: null }, now, row ?? null);
    }
    return big ? sum : Number(sum);
  });
}

/** Removes a live item; true when one was removed. */
export function remove(engine: Engine, key: SqliteValue, raw: number): boolean {
  return engine.removeWrite("delete", () => {
    // SELECT then DELETE by rowid: measured faster than DELETE ... RETURNING.
    const row = engine.prepare(SQL.findLive).get(key, raw, engine.now()) as Victim | null | undefined;
    if (row == null) return false;
    engine.prepare(SQL.deleteRow).run(row.rowid);
    if (row.filename !== null) engine.removeLater(row.filename);
    return true;
  });
}

/**
 * Removes a live item and returns it; `undefined` on a miss. The value is
 * read inside the transaction, while its file surely exists (files are
 * removed only after the outermost commit), so a value that cannot be read
 * or decoded rolls the removal back and the item stays; and a `transact()`
 * that rolls back gets the item back with its file.
 */
export function pop(engine: Engine, key: SqliteValue, raw: number, original: unknown): Found | undefined {
  return engine.write("pop", () => {
    const row = engine.prepare(SQL.getLive).get(key, raw, engine.now()) as Located | null | undefined;
    if (row == null) return undefined;
    const value = fetchValue(engine.directory, row, original);
    engine.prepare(SQL.deleteRow).run(row.rowid);
    if (row.filename !== null) engine.removeLater(row.filename);
    // A value file removed behind the cache's back: its row is dropped, a miss.
    if (value === MISSING) return undefined;
    return { value, storeTime: row.store_time, expireTime: row.expire_time, tag: row.tag === null ? null : readColumn(row.tag, row.tag_big) };
  });
}

/** Sets a new expiry on a live item; true when it exists. */
export function touch(engine: Engine, key: SqliteValue, raw: number, ttl: number | undefined): boolean {
  return engine.write("touch", () => {
    const ms = engine.clock();
    const now = ms / 1000;
    const expire = ttl === undefined ? null : engine.expireAt(ttl, ms);
    const result = engine.prepare(SQL.touch).run(expire, key, raw, now);
    return Number(result.changes) > 0;
  });
}

/** Number of items, expired ones included (the Settings `count`). */
export function count(engine: Engine): number {
  engine.db("count");
  const row = engine.prepare(SQL.count).get() as { value: number } | null | undefined;
  if (row == null) throw new DiskCacheError(`Cannot count items: the Settings table of "${engine.dbPath}" has no "count" row; run check({ fix: true })`);
  return Number(row.value);
}

/** Hit and miss counts (pending ones flushed first); optionally turns counting on or off, or resets. */
export function stats(
  engine: Engine,
  enable: boolean | undefined,
  reset: boolean,
): CacheStats {
  engine.flushStats();
  const read = (key: string) => Number(engine.readSetting(key) ?? 0);
  let out: CacheStats;
  try {
    // One snapshot; a connection holding the lock exclusively (journal mode
    // "delete") made these reads throw a raw "database is locked".
    out = engine.read("stats", () => ({
      hits: read("hits") + engine.hits,
      misses: read("misses") + engine.misses,
      evictions: read("evictions"),
      count: read("count"),
      volume: volume(engine),
      sizeLimit: engine.settings.sizeLimit,
    }));
  } catch (error) {
    throw engine.translate(error, "read statistics");
  }
  if (reset || (enable !== undefined && enable !== engine.settings.statistics)) {
    engine.write("update statistics", () => {
      if (reset) engine.prepare("UPDATE Settings SET value = 0 WHERE key IN ('hits', 'misses', 'evictions')").run();
      if (enable !== undefined) {
        engine.prepare("INSERT OR REPLACE INTO Settings VALUES ('statistics', ?)").run(enable ? 1n : 0n);
      }
    });
    if (enable !== undefined) engine.settings.statistics = enable;
  }
  return out;
}
