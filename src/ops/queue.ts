/**
 * Queue operations with python-diskcache's key scheme: keys are integers
 * from 0 to 999999999999999 (or strings `prefix-NNNNNNNNNNNNNNN`
 * with 15 digits), the first one 500000000000000, `push` to the back takes
 * the largest key + 1 and to the front the smallest − 1. Every operation is
 * one transaction, so processes may share a queue.
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import { LIVE, peekItemSql, queueEndSql, queueNearestSql, SQL } from "../format/sql.ts";
import { count, prepareWrite, put, type WriteOptions } from "./items.ts";
import { decodeKey, fetchValue, MISSING, readColumn, type ValueRow } from "../format/row_values.ts";
import { fetchFresh } from "./_fresh_read.ts";
import { DiskCacheError } from "../errors.ts";

/** Which end of the queue. */
export type Side = "front" | "back";

const FIRST = 500_000_000_000_000;
const LAST = 999_999_999_999_999;
interface Row extends ValueRow {
  rowid: number;
  key: SqliteValue;
  raw: number;
  key_big: number;
  expire_time: number | null;
}

function bounds(prefix: string | undefined): [SqliteValue, SqliteValue] {
  return prefix === undefined ? [0n, 999_999_999_999_999n] : [`${prefix}-000000000000000`, `${prefix}-999999999999999`];
}

/** Where `push` adds, and the expiry and tag of what it adds. */
export interface PushTo extends WriteOptions {
  prefix: string | undefined;
  side: Side;
}

/** Adds `value` at one end; returns its key. */
export function push(engine: Engine, value: unknown, options: PushTo): number | string {
  const { prefix, side } = options;
  const w = prepareWrite(engine, { key: null, raw: 1 }, value, options);
  const [min, max] = bounds(prefix);
  return engine.write("push", () => {
    const order = side === "back" ? "DESC" : "ASC";
    // The bounds themselves are keys a push makes (python-diskcache scans
    // them exclusively, so the key 0 a front push made was never seen, the
    // next front push made 0 again, and the upsert replaced that item).
    const nearest = (lower: string, upper: string) => engine.prepare(queueNearestSql(lower, upper, order));
    let query = nearest("<=", "<=");
    let [lo, hi] = [min, max];
    let num = FIRST;
    for (;;) {
      const row = query.get(lo, hi) as { key: SqliteValue; big: number } | null | undefined;
      if (row == null) break;
      const found = readColumn(row.key, row.big) as number | string;
      // set() may have stored any key in the range: a float (500000000000000.5)
      // counts as its next integer outward (BigInt() of a fraction throws); a
      // string that is not prefix-NNNNNNNNNNNNNNN is stepped over (parsing it
      // gave NaN, and "prefix-NaN", pushed twice, overwrote itself).
      const parsed = prefix === undefined ? Number(found) : queueNumber(String(found), prefix);
      if (!Number.isNaN(parsed)) {
        num = side === "back" ? Math.floor(parsed) + 1 : Math.ceil(parsed) - 1;
        break;
      }
      if (side === "back") hi = found;
      else lo = found;
      query = side === "back" ? nearest("<=", "<") : nearest("<", "<=");
    }
    if (num < 0 || num > LAST) {
      // Inside a transact() the caller may catch this and commit: the value
      // file written for the push goes with that commit too.
      if (w.filename !== null) engine.removeLater(w.filename);
      throw new DiskCacheError(
        `Cannot push to the ${side}${prefix === undefined ? "" : ` of queue "${prefix}"`}: its keys reached ${side === "back" ? LAST : 0}, the ${
          side === "back" ? "largest" : "smallest"
        } queue key. Pull items from that end, or push to the other side.`,
      );
    }
    const key = prefix === undefined ? num : `${prefix}-${String(num).padStart(15, "0")}`;
    w.key = typeof key === "number" ? BigInt(key) : key;
    put(engine, w, engine.now(), null);
    return key;
  }, w.filename);
}

/** The number of a `prefix-NNNNNNNNNNNNNNN` key, or NaN for another string. */
function queueNumber(key: string, prefix: string): number {
  const digits = key.slice(prefix.length + 1);
  return key.length === prefix.length + 16 && /^[0-9]{15}$/.test(digits) ? Number(digits) : NaN;
}

/**
 * Takes (or, with `remove` false, looks at) the item at one end, skipping and
 * deleting expired ones. Returns `[key, value]` or `undefined` when empty.
 */
export function pull(engine: Engine, end: { prefix: string | undefined; side: Side }, remove: boolean): [unknown, unknown] | undefined {
  const { prefix, side } = end;
  const [min, max] = bounds(prefix);
  const order = side === "front" ? "ASC" : "DESC";
  const select = queueEndSql(order, false);
  if (!remove && engine.readonly) {
    const live = queueEndSql(order, true);
    return peekReadOnly(engine, (skip) => engine.prepare(live).get(min, max, engine.now(), BigInt(skip)) as Row | null | undefined);
  }
  return takeFirst(engine, remove ? "pull" : "peek", remove, () => engine.prepare(select).get(min, max) as Row | null | undefined);
}

/** The first or last item in insertion order: `[key, value]`, or `undefined`. */
export function peekItem(engine: Engine, last: boolean): [unknown, unknown] | undefined {
  const select = peekItemSql(last, false);
  if (engine.readonly) {
    const live = peekItemSql(last, true);
    return peekReadOnly(engine, (skip) => engine.prepare(live).get(engine.now(), BigInt(skip)) as Row | null | undefined);
  }
  return takeFirst(engine, "peekItem", false, () => engine.prepare(select).get() as Row | null | undefined);
}

/**
 * `peek`/`peekItem` on a read-only cache: nothing is written, so expired
 * items are passed over (by the query) instead of removed, and so is an item
 * whose value file is really gone. `live(skip)` is the live row after
 * skipping `skip` rows. A file that vanished because the item was replaced
 * meanwhile means reading the row again (old or new value, never neither).
 */
function peekReadOnly(engine: Engine, live: (skip: number) => Row | null | undefined): [unknown, unknown] | undefined {
  engine.db("peek");
  for (let skip = 0;; skip++) {
    const row = live(skip);
    if (row == null) return undefined;
    const got = fetchFresh(engine, row, decodeKey(row.key, row.raw, row.key_big), () => live(skip));
    if (got !== undefined) return [decodeKey(got[0].key, got[0].raw, got[0].key_big), got[1]];
  }
}

/**
 * The value is read inside the transaction, while its file surely exists
 * (files are removed only after the outermost commit): a value that cannot
 * be read or decoded (a Python pickle) throws and rolls back, leaving the
 * item in place, and a `transact()` that rolls back gets a pulled item back
 * with its file.
 */
function takeFirst(
  engine: Engine,
  op: string,
  remove: boolean,
  first: () => Row | null | undefined,
): [unknown, unknown] | undefined {
  return engine.write(op, () => {
    const now = engine.now();
    for (;;) {
      const found = first();
      if (found == null) return undefined;
      const expired = found.expire_time !== null && found.expire_time <= now;
      const key = expired ? undefined : decodeKey(found.key, found.raw, found.key_big);
      const value = expired ? MISSING : fetchValue(engine.directory, found, key);
      // Expired, taken, or its value file removed behind the cache's back:
      // the row goes (its file after the commit).
      if (value === MISSING || remove) {
        engine.prepare(SQL.deleteRow).run(found.rowid);
        if (found.filename !== null) engine.removeLater(found.filename);
      }
      if (value !== MISSING) return [key, value];
    }
  });
}

/**
 * Removes items from one end of the integer queue (a Deque's items) while
 * the cache holds more than `max` rows, without reading their values (an
 * item this library cannot read, a Python pickle, goes like any other).
 * Stops when that end has no queue item left: keys that are not queue items
 * count, as python-diskcache's `len` counts them, but are never removed.
 * Returns how many items it removed.
 */
export function trim(engine: Engine, side: Side, max: number): number {
  const [min, last] = bounds(undefined);
  const end = `SELECT rowid, filename FROM Cache WHERE ? <= Cache.key AND Cache.key <= ? AND Cache.raw = 1 ORDER BY Cache.key ${
    side === "front" ? "ASC" : "DESC"
  } LIMIT 1`;
  return engine.write("trim", () => {
    let removed = 0;
    while (count(engine) > max) {
      const row = engine.prepare(end).get(min, last) as { rowid: number; filename: string | null } | null | undefined;
      if (row == null) break;
      engine.prepare(SQL.deleteRow).run(row.rowid);
      if (row.filename !== null) engine.removeLater(row.filename);
      removed++;
    }
    return removed;
  });
}

// A reordering gives rows one another's keys: the plan (each moving row's
// new key) goes to a TEMP table (this connection's only) first, so that every
// new key is known before the first one changes.
const PLAN = "temp.diskcache_reorder";
const PLAN_TABLE = `CREATE TEMP TABLE IF NOT EXISTS diskcache_reorder (id INTEGER PRIMARY KEY, key, raw)`;
const PLAN_CLEAR = `DELETE FROM ${PLAN}`;
// Reverse: every live row takes the key of the row as far from the other end.
const REVERSE_PLAN = `INSERT INTO ${PLAN} (id, key, raw)
  SELECT a.rowid, b.key, b.raw
  FROM (SELECT rowid, row_number() OVER (ORDER BY Cache.key ASC, Cache.raw ASC) AS n FROM main.Cache WHERE ${LIVE}) AS a
  JOIN (SELECT Cache.key AS key, Cache.raw AS raw, row_number() OVER (ORDER BY Cache.key DESC, Cache.raw DESC) AS n FROM main.Cache WHERE ${LIVE}) AS b
  ON a.n = b.n`;
// Rotate right by r of the m live queue items: the item at position i takes the key at (i + r) mod m.
const QUEUE_ROWS = `FROM main.Cache WHERE ? <= Cache.key AND Cache.key <= ? AND Cache.raw = 1 AND ${LIVE}`;
const QUEUE_COUNT = `SELECT count(*) AS m ${QUEUE_ROWS}`;
const ROTATE_PLAN = `INSERT INTO ${PLAN} (id, key, raw)
  SELECT a.rowid, b.key, b.raw
  FROM (SELECT rowid, row_number() OVER (ORDER BY Cache.key) - 1 AS n ${QUEUE_ROWS}) AS a
  JOIN (SELECT Cache.key AS key, Cache.raw AS raw, row_number() OVER (ORDER BY Cache.key) - 1 AS n ${QUEUE_ROWS}) AS b
  ON b.n = (a.n + ?) % ?`;
// Two steps, as the unique (key, raw) index is checked row by row: first
// every moving row leaves its place for one no key has (raw < 0, unique by
// rowid), then each takes its new place.
const PLAN_VACATE = `UPDATE main.Cache SET raw = -1 - rowid WHERE rowid IN (SELECT id FROM ${PLAN})`;
const PLAN_MOVE = `UPDATE main.Cache SET key = (SELECT key FROM ${PLAN} WHERE id = Cache.rowid),
  raw = (SELECT raw FROM ${PLAN} WHERE id = Cache.rowid) WHERE rowid IN (SELECT id FROM ${PLAN})`;

/**
 * Runs `plan` (which fills the plan table) and moves the rows as it says, in
 * one transaction: no value is read, decoded or rewritten, so values this
 * library cannot read (Python pickles) move like any other, value files stay
 * where they are, and each item keeps its expiry, tag and metadata.
 */
function reorder(engine: Engine, op: string, plan: () => void): void {
  engine.write(op, () => {
    const db = engine.db(op);
    db.exec(PLAN_TABLE);
    db.exec(PLAN_CLEAR);
    plan();
    engine.prepare(PLAN_VACATE).run();
    engine.prepare(PLAN_MOVE).run();
    db.exec(PLAN_CLEAR);
  });
}

/**
 * Reverses the order of the live items by key (a Deque's positions: every
 * key counts, as in python-diskcache, whose `reverse()` copies every value
 * through a temporary deque), by giving each row the key of its mirror.
 */
export function reverse(engine: Engine): void {
  reorder(engine, "reverse", () => {
    const now = engine.now();
    engine.prepare(REVERSE_PLAN).run(now, now);
  });
}

/**
 * Rotates the integer queue (a Deque's items) `steps` to the right (negative:
 * to the left), as python-diskcache's `Deque.rotate`: its steps are taken
 * modulo the cache's length (every key counts), then each step moves one
 * queue item from one end to the other, so keys that are not queue items
 * stay where they are. Items take one another's keys: none is read.
 */
export function rotate(engine: Engine, steps: number): void {
  reorder(engine, "rotate", () => {
    const n = count(engine);
    const [min, max] = bounds(undefined);
    const now = engine.now();
    const m = Number((engine.prepare(QUEUE_COUNT).get(min, max, now) as { m: number }).m);
    if (n === 0 || m === 0) return;
    const left = steps < 0;
    const r = (Math.abs(steps) % n) % m;
    const right = left ? (m - r) % m : r;
    if (right === 0) return;
    engine.prepare(ROTATE_PLAN).run(min, max, now, min, max, now, BigInt(right), BigInt(m));
  });
}
