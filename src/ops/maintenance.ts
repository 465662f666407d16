/**
 * Operations over many items: expire, evict by tag, cull to the size limit,
 * clear, and the tag index. Each works in batches of at most 100 rows, one
 * transaction per batch, so other processes keep writing in between; each
 * returns how many items it removed. A `limit` stops each after that many
 * items, so a caller (the command-line tool) can run one in slices and stop
 * between them. A `Timeout` midway carries the count removed so far as
 * `removed`.
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import { Timeout } from "../errors.ts";
import { countEvictions, removeRows, type Victim, volume } from "./items.ts";
import { SQL } from "../format/sql.ts";
import { cullVictimsSql, victimsFreeing } from "../eviction.ts";

const BATCH = 100n;

/**
 * Runs batches of at most `min(100, what is left of limit)` rows until one
 * removes nothing or `limit` items are gone; returns the total.
 */
function batches(engine: Engine, op: string, limit: number, batch: (size: bigint) => number): number {
  let total = 0;
  while (total < limit) {
    const size = limit - total < Number(BATCH) ? BigInt(limit - total) : BATCH;
    let n: number;
    try {
      n = engine.removeWrite(op, () => batch(size));
    } catch (error) {
      if (error instanceof Timeout) error.removed = total;
      throw error;
    }
    total += n;
    if (n === 0) break;
  }
  return total;
}

/** Removes items whose expiry is before `now` (epoch ms), at most `limit`. */
export function expire(engine: Engine, now: number, limit = Infinity): number {
  return removeExpired(engine, now, limit, "expire");
}

/** {@linkcode expire} as part of operation `op` (its errors name `op`). */
function removeExpired(engine: Engine, now: number, limit: number, op: string): number {
  const seconds = now / 1000;
  return batches(engine, op, limit, (size) => removeRows(engine, engine.prepare(SQL.expired).all(seconds, size) as Victim[]));
}

/** Removes every item with `tag`, at most `limit`. */
export function evict(engine: Engine, tag: SqliteValue, limit = Infinity): number {
  return batches(engine, "evict", limit, (size) => removeRows(engine, engine.prepare(SQL.evictTag).all(tag, size) as Victim[]));
}

/** Removes every item, at most `limit`. */
export function clear(engine: Engine, limit = Infinity): number {
  return batches(engine, "clear", limit, (size) => removeRows(engine, engine.prepare(SQL.clearAll).all(size) as Victim[]));
}

/**
 * Removes expired items, then items in policy order (10 per transaction)
 * while `volume()` is over `sizeLimit`; at most `limit` in all.
 */
export function cull(engine: Engine, limit = Infinity): number {
  let total = removeExpired(engine, engine.clock(), limit, "cull"); // its errors say cull, not expire
  const select = cullVictimsSql(engine.policy);
  if (select === null || total >= limit) return total;
  try {
    total += batches(engine, "cull", limit - total, (size) => {
      const excess = volume(engine) - engine.settings.sizeLimit;
      if (excess <= 0) return 0;
      // Up to ten victims in policy order (as python-diskcache), but only as
      // many as the excess needs, counted as a write's culling counts them.
      // The volume is read again before the next ten.
      const rows = engine.prepare(select).all() as Victim[];
      const n = removeRows(engine, rows.slice(0, victimsFreeing(rows, excess, Number(size))));
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
