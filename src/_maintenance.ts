/**
 * Operations over many items: expire, evict by tag, cull to the size limit,
 * clear, and the tag index. Each works in batches of at most 100 rows, one
 * transaction per batch, so other processes keep writing in between; each
 * returns how many items it removed. A `Timeout` midway carries the count
 * removed so far as `removed`.
 *
 * @module
 */
import type { SqliteValue } from "./driver.ts";
import type { Engine } from "./_engine.ts";
import { Timeout } from "./errors.ts";
import { countEvictions, removeRows, type Victim, volume } from "./_ops.ts";
import { cullSql, SQL } from "./_sql.ts";

const BATCH = 100n;

/** Runs batches until one removes nothing; returns the total. */
function batches(engine: Engine, op: string, batch: () => number): number {
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = engine.removeWrite(op, batch);
    } catch (error) {
      if (error instanceof Timeout) error.removed = total;
      throw error;
    }
    total += n;
    if (n === 0) return total;
  }
}

/** Removes items whose expiry is before `now` (epoch ms). */
export function expire(engine: Engine, now: number): number {
  return removeExpired(engine, now, "expire");
}

/** {@linkcode expire} as part of operation `op` (its errors name `op`). */
function removeExpired(engine: Engine, now: number, op: string): number {
  const seconds = now / 1000;
  return batches(engine, op, () => removeRows(engine, engine.prepare(SQL.expired).all(seconds, BATCH) as Victim[]));
}

/** Removes every item with `tag`. */
export function evict(engine: Engine, tag: SqliteValue): number {
  return batches(engine, "evict", () => removeRows(engine, engine.prepare(SQL.evictTag).all(tag, BATCH) as Victim[]));
}

/** Removes every item. */
export function clear(engine: Engine): number {
  return batches(engine, "clear", () => removeRows(engine, engine.prepare(SQL.clearAll).all(BATCH) as Victim[]));
}

/**
 * Removes expired items, then items in policy order (10 per transaction)
 * while `volume()` is over `sizeLimit`.
 */
export function cull(engine: Engine): number {
  let total = removeExpired(engine, engine.clock(), "cull"); // its errors say cull, not expire
  const order = engine.policy.order;
  if (order === null) return total;
  const select = cullSql(order);
  try {
    total += batches(engine, "cull", () => {
      let excess = volume(engine) - engine.settings.sizeLimit;
      if (excess <= 0) return 0;
      // Up to ten victims in policy order (as python-diskcache), but only as
      // many as the excess needs: a value file's size leaves the volume with
      // it. (Inline rows free pages SQLite keeps, so they count for nothing.)
      const rows = engine.prepare(select).all() as (Victim & { size: number })[];
      let k = 0;
      while (k < rows.length && excess > 0) excess -= Number(rows[k++]!.size);
      const n = removeRows(engine, rows.slice(0, k));
      countEvictions(engine, n);
      return n;
    });
  } catch (error) {
    if (error instanceof Timeout) error.removed = total + (error.removed ?? 0);
    throw error;
  }
  return total;
}

/** Creates or drops the `(tag, rowid)` index and records the setting. */
export function setTagIndex(engine: Engine, on: boolean): void {
  engine.updateSettings({ tagIndex: on }, on ? "createTagIndex" : "dropTagIndex");
}
