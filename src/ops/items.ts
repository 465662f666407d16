/**
 * Reads and writes of single items, as functions over an {@linkcode Engine}.
 * Every write is one `BEGIN IMMEDIATE` transaction; value files are written
 * before it and old ones removed after it commits.
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import type { StoredKey } from "../format/stored_key.ts";
import { describe, DiskCacheError } from "../errors.ts";
import { MODE_RAW } from "../format/schema.ts";
import { hotGetSql, incrSql, SQL } from "../format/sql.ts";
import { type Victim, victimsFreeing, writeVictimsSql } from "../eviction.ts";
import { writeValueFile } from "../format/value_files.ts";
import { fetchValue, MISSING, readColumn, storeValue, type ValueRow } from "../format/row_values.ts";
import type { CacheStats } from "../types.ts";
import { fetchFresh } from "./_fresh_read.ts";
import { readSetting } from "../engine/settings_store.ts";

/** A row located by key. */
interface Located extends ValueRow {
  rowid: number;
  store_time: number;
  expire_time: number | null;
  tag: SqliteValue;
  tag_big: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

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

/** Expiry and tag of a write, as the facade validated them. */
export interface WriteOptions {
  /** Milliseconds until expiry, or `undefined` for never. */
  ttl: number | undefined;
  /** The `tag` column. */
  tag: SqliteValue;
  /**
   * Values smaller than this many bytes are stored in the row (default: the
   * cache's `minFileSize`); internal, for rows read on every hit.
   */
  inlineBelow?: number;
}

/** The item a read found: its value, expiry (seconds) and tag. */
export interface Found {
  value: unknown;
  /** The row's id (with `storeTime`, what `Engine.hit` records). */
  rowid: number;
  storeTime: number;
  expireTime: number | null;
  tag: SqliteValue;
}

function miss<T>(engine: Engine, result?: T): T {
  engine.miss();
  return result as T;
}

/**
 * Looks up a live item; `undefined` on a miss (absent, expired, or its value
 * file gone).
 */
export function find(engine: Engine, k: StoredKey): Found | undefined {
  const { key, raw, original } = k;
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
  engine.hit(row.rowid, row.store_time);
  return {
    value,
    rowid: row.rowid,
    storeTime: row.store_time,
    expireTime: row.expire_time,
    tag: row.tag === null ? null : readColumn(row.tag, row.tag_big),
  };
}

/** A row of the hot statement, as an array or an object (`arrays: "preferred"`, see `SqlitePrepareOptions`). */
type HotRow =
  | [mode: number, value: SqliteValue, filename: string | null, rowid?: number, store_time?: number]
  | { mode: number; value: SqliteValue; filename: string | null; rowid?: number; store_time?: number };

/** The hot path of `get()`: the value of a live item, or {@linkcode MISSING}. */
export function getValue(engine: Engine, k: StoredKey): unknown {
  const stmt = engine.hotStatement(hotSql);
  let mode: number, value: SqliteValue, filename: string | null, rowid: number | undefined, storeTime: number | undefined;
  try {
    const row = stmt.get(k.key, k.raw, engine.clock() / 1000) as HotRow | null | undefined;
    if (row == null) return miss(engine, MISSING);
    if (Array.isArray(row)) mode = row[0], value = row[1], filename = row[2], rowid = row[3], storeTime = row[4];
    else mode = row.mode, value = row.value, filename = row.filename, rowid = row.rowid, storeTime = row.store_time;
  } catch (error) {
    if (engine.driver.unsafeIntegerError?.(error) !== true) throw engine.translate(error, "get");
    return slowGet(engine, k); // an integer the binding refuses to read as a number
  }
  if (filename !== null || (typeof value === "number" && !(value <= MAX_SAFE && value >= -MAX_SAFE))) {
    return slowGet(engine, k);
  }
  // Inline (no file to go missing): fetchValue cannot answer MISSING here.
  const result = mode === MODE_RAW ? readColumn(value, 0) : fetchValue(engine.directory, { mode, big: 0, value, filename: null, size: 0 }, k.original);
  engine.hit(rowid!, storeTime!);
  return result;
}

/** The SQL of the hot statement for the engine's policy and driver. */
function hotSql(engine: Engine): string {
  return hotGetSql(engine.policy, engine.driver.cutsTextAtNul === true);
}

/** get() through {@linkcode find}: value files, and integers past 2^53. */
function slowGet(engine: Engine, k: StoredKey): unknown {
  const found = find(engine, k);
  return found === undefined ? MISSING : found.value;
}

/** Whether a live item exists (its value file is not read). */
export function has(engine: Engine, k: StoredKey): boolean {
  engine.db("has");
  try {
    return engine.prepare(SQL.has).get(k.key, k.raw, engine.now()) != null;
  } catch (error) {
    throw engine.translate(error, "has");
  }
}

/** Writes `value` to a file when it is large; returns the row's columns. */
export function prepareWrite(engine: Engine, k: { key: SqliteValue; raw: number }, value: unknown, options: WriteOptions): Write {
  const stored = storeValue(value, options.inlineBelow ?? engine.settings.minFileSize);
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
    key: k.key,
    raw: k.raw,
    mode: stored.mode,
    inline: stored.inline,
    filename,
    size: stored.file === null ? 0 : stored.file.length,
    expire: options.ttl === undefined ? null : engine.expireAt(options.ttl),
    tag: options.tag,
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
  const state = old === undefined ? engine.prepare(SQL.writeStateOld).get(w.key, w.raw) as WriteState : engine.prepare(SQL.writeState).get() as WriteState;
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
  if (limit <= 0 || engine.policy.order === null) return;
  // The volume before this write plus the value file it added. The page
  // count is read fresh every 32 writes, and on every write once the cache is
  // within reach of the limit (32 writes cannot add more than that margin).
  const files = Number(state.size ?? 0) + added;
  // A row holding more than minFileSize inline (see WriteOptions.inlineBelow)
  // is past what the margin allows for: read the page count now.
  const big = w.inline instanceof Uint8Array && w.inline.byteLength >= engine.settings.minFileSize;
  const margin = big ? engine.settings.sizeLimit : 32 * (engine.settings.minFileSize + 4 * engine.pageSize);
  const excess = engine.pages.bytes(files + margin, engine.settings.sizeLimit) + files - engine.settings.sizeLimit;
  if (excess < 0) return;
  // Victims in policy order, as many as bring the volume under the limit.
  const victims = engine.prepare(writeVictimsSql(engine.policy)!).all(w.key, w.raw, BigInt(limit)) as Victim[];
  countEvictions(engine, removeRows(engine, victims.slice(0, victimsFreeing(victims, excess + 1, limit))));
}

/** Adds to the persistent eviction count (inside the current transaction). */
export function countEvictions(engine: Engine, n: number): void {
  if (n === 0) return;
  engine.prepare(SQL.countEvictions).run(BigInt(n));
}

/** A row chosen for removal. */
export type { Victim } from "../eviction.ts";

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
export function set(engine: Engine, k: StoredKey, value: unknown, options: WriteOptions): void {
  const w = prepareWrite(engine, k, value, options);
  engine.write("set", () => put(engine, w, engine.now()), w.filename);
}

/** Stores `value` only if the key is absent or expired; true when stored. */
export function add(engine: Engine, k: StoredKey, value: unknown, options: WriteOptions): boolean {
  const w = prepareWrite(engine, k, value, options);
  return engine.write("add", () => {
    const now = engine.now();
    const row = engine.prepare(SQL.getAny).get(k.key, k.raw) as Located | null | undefined;
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

/** What `incr` adds: `delta` to the value (a missing one starts from `initial`); `big` answers a bigint. */
export interface IncrOptions {
  delta: number | bigint;
  initial: number | bigint;
  big: boolean;
}

/** Adds `delta` to an integer value (starting from `initial`); returns the result. */
export function incr(engine: Engine, k: StoredKey, options: IncrOptions): number | bigint {
  const { key, raw, original } = k;
  const { delta, initial, big } = options;
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
        `Cannot incr key ${
          describe(original)
        }: the result ${sum} is past Number.MAX_SAFE_INTEGER, which a number cannot hold exactly; pass a bigint delta (incr(key, 1n)) to count on as a bigint`,
      );
    }
    if (live) {
      const stmt = engine.prepare(incrSql(engine.policy));
      if (engine.policy.reads === "time") stmt.run(sum, now, now, row.rowid);
      else stmt.run(sum, now, row.rowid);
    } else {
      put(engine, { key, raw, mode: MODE_RAW, inline: sum, filename: null, size: 0, expire: null, tag: null }, now, row ?? null);
    }
    return big ? sum : Number(sum);
  });
}

/** Removes a live item; true when one was removed. */
export function remove(engine: Engine, k: StoredKey): boolean {
  return engine.removeWrite("delete", () => {
    // SELECT then DELETE by rowid: measured faster than DELETE ... RETURNING.
    const row = engine.prepare(SQL.findLive).get(k.key, k.raw, engine.now()) as Victim | null | undefined;
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
export function pop(engine: Engine, k: StoredKey): Found | undefined {
  return engine.write("pop", () => {
    const row = engine.prepare(SQL.getLive).get(k.key, k.raw, engine.now()) as Located | null | undefined;
    if (row == null) return undefined;
    const value = fetchValue(engine.directory, row, k.original);
    engine.prepare(SQL.deleteRow).run(row.rowid);
    if (row.filename !== null) engine.removeLater(row.filename);
    // A value file removed behind the cache's back: its row is dropped, a miss.
    if (value === MISSING) return undefined;
    return { value, rowid: row.rowid, storeTime: row.store_time, expireTime: row.expire_time, tag: row.tag === null ? null : readColumn(row.tag, row.tag_big) };
  });
}

/** Sets a new expiry on a live item; true when it exists. */
export function touch(engine: Engine, k: StoredKey, ttl: number | undefined): boolean {
  return engine.write("touch", () => {
    const ms = engine.clock();
    const now = ms / 1000;
    const expire = ttl === undefined ? null : engine.expireAt(ttl, ms);
    const result = engine.prepare(SQL.touch).run(expire, k.key, k.raw, now);
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
  const read = (key: string) => Number(readSetting(engine, key) ?? 0);
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
      if (reset) engine.prepare(SQL.resetStats).run();
      if (enable !== undefined) engine.updateSettings({ statistics: enable }, "update statistics");
    });
  }
  return out;
}
