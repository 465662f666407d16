/**
 * Queue operations with python-diskcache's key scheme: keys are integers
 * between 0 and 999999999999999 exclusive (or strings `prefix-NNNNNNNNNNNNNNN`
 * with 15 digits), the first one 500000000000000, `push` to the back takes
 * the largest key + 1 and to the front the smallest − 1. Every operation is
 * one transaction, so processes may share a queue.
 *
 * @module
 */
import type { SqliteValue } from "./driver.ts";
import type { Engine } from "./_engine.ts";
import { bigFlag, safeInt } from "./schema.ts";
import { removeValueFile } from "./disk.ts";
import { prepareWrite, put } from "./_ops.ts";
import { decodeKey, fetchValue, MISSING, type ValueRow } from "./_values.ts";
import { fetchFresh } from "./_fresh.ts";

/** Which end of the queue. */
export type Side = "front" | "back";

const FIRST = 500_000_000_000_000;
const COLUMNS = `rowid, ${safeInt("key")} AS key, raw, ${bigFlag("key")} AS key_big, expire_time, mode, filename, size, ${
  safeInt("value")
} AS value, ${bigFlag("value")} AS big`;

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

/** Adds `value` at one end; returns its key. */
export function push(
  engine: Engine,
  value: unknown,
  prefix: string | undefined,
  side: Side,
  ttl: number | undefined,
  tag: SqliteValue,
): number | string {
  const w = prepareWrite(engine, null, 1, value, ttl, tag);
  const [min, max] = bounds(prefix);
  return engine.write("push", () => {
    const order = side === "back" ? "DESC" : "ASC";
    const row = engine.prepare(`SELECT key FROM Cache WHERE ? < key AND key < ? AND raw = 1 ORDER BY key ${order} LIMIT 1`)
      .get(min, max) as { key: number | string } | null | undefined;
    let num = FIRST;
    if (row != null) {
      num = prefix === undefined ? Number(row.key) : Number(String(row.key).slice(-15));
      num += side === "back" ? 1 : -1;
    }
    const key = prefix === undefined ? num : `${prefix}-${String(num).padStart(15, "0")}`;
    w.key = typeof key === "number" ? BigInt(key) : key;
    put(engine, w, engine.now(), null);
    return key;
  }, w.filename);
}

/**
 * Takes (or, with `remove` false, looks at) the item at one end, skipping and
 * deleting expired ones. Returns `[key, value]` or `undefined` when empty.
 */
export function pull(engine: Engine, prefix: string | undefined, side: Side, remove: boolean): [unknown, unknown] | undefined {
  const [min, max] = bounds(prefix);
  const order = side === "front" ? "ASC" : "DESC";
  const select = `SELECT ${COLUMNS} FROM Cache WHERE ? < key AND key < ? AND raw = 1 ORDER BY key ${order} LIMIT 1`;
  if (!remove && engine.readonly) {
    const live = `SELECT ${COLUMNS} FROM Cache WHERE ? < key AND key < ? AND raw = 1 AND ${LIVE} ORDER BY key ${order} LIMIT 1 OFFSET ?`;
    return peekReadOnly(engine, (skip) => engine.prepare(live).get(min, max, engine.now(), BigInt(skip)) as Row | null | undefined);
  }
  return takeFirst(engine, remove ? "pull" : "peek", remove, () => engine.prepare(select).get(min, max) as Row | null | undefined);
}

/** The first or last item in insertion order: `[key, value]`, or `undefined`. */
export function peekItem(engine: Engine, last: boolean): [unknown, unknown] | undefined {
  const select = `SELECT ${COLUMNS} FROM Cache ORDER BY rowid ${last ? "DESC" : "ASC"} LIMIT 1`;
  if (engine.readonly) {
    const live = `SELECT ${COLUMNS} FROM Cache WHERE ${LIVE} ORDER BY rowid ${last ? "DESC" : "ASC"} LIMIT 1 OFFSET ?`;
    return peekReadOnly(engine, (skip) => engine.prepare(live).get(engine.now(), BigInt(skip)) as Row | null | undefined);
  }
  return takeFirst(engine, "peekItem", false, () => engine.prepare(select).get() as Row | null | undefined);
}

const LIVE = "(expire_time IS NULL OR expire_time > ?)";

/**
 * `peek`/`peekItem` on a read-only cache: nothing is written, so expired
 * items are passed over (by the query) instead of removed, and so is an item
 * whose value file is really gone. `live(skip)` is the live row after
 * skipping `skip` rows. A file that vanished because the item was replaced
 * meanwhile means reading the row again (old or new value, never neither).
 */
function peekReadOnly(engine: Engine, live: (skip: number) => Row | null | undefined): [unknown, unknown] | undefined {
  engine.db("peek");
  for (let skip = 0; ; skip++) {
    const row = live(skip);
    if (row == null) return undefined;
    const got = fetchFresh(engine, row, decodeKey(row.key, row.raw, row.key_big), () => live(skip));
    if (got !== undefined) return [decodeKey(got[0].key, got[0].raw, got[0].key_big), got[1]];
  }
}

function takeFirst(
  engine: Engine,
  op: string,
  remove: boolean,
  first: () => Row | null | undefined,
): [unknown, unknown] | undefined {
  for (;;) {
    const row = engine.write(op, () => {
      const now = engine.now();
      for (;;) {
        const found = first();
        if (found == null) return undefined;
        const expired = found.expire_time !== null && found.expire_time <= now;
        if (expired || remove) {
          engine.prepare("DELETE FROM Cache WHERE rowid = ?").run(found.rowid);
          // A removed item's file is read after the commit, then removed by us.
          if (expired && found.filename !== null) engine.removeLater(found.filename);
        }
        if (!expired) return found;
      }
    });
    if (row === undefined) return undefined;
    const key = decodeKey(row.key, row.raw, row.key_big);
    let value: unknown;
    try {
      value = fetchValue(engine.directory, row, key);
    } finally {
      if (remove && row.filename !== null) removeValueFile(engine.directory, row.filename);
    }
    if (value === MISSING) {
      // The value file was removed behind the cache's back (or by another
      // process after our commit): drop a row that still names it, try again.
      if (!remove) {
        engine.write(op, () => engine.prepare("DELETE FROM Cache WHERE rowid = ? AND filename = ?").run(row.rowid, row.filename));
      }
      continue;
    }
    return [key, value];
  }
}
