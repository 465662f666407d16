/**
 * Iteration over live items, paged (100 rows per query, no transaction held
 * between pages), so memory stays flat whatever the cache's size. Items
 * written during iteration may or may not be seen; none is seen twice.
 *
 * @module
 */
import type { SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import { KEY_COLUMNS, pageSql, REREAD, VALUE_COLUMNS } from "../format/sql.ts";
import { decodeKey, readColumn, UnreadableValue, type ValueRow } from "../format/row_values.ts";
import { fetchFresh } from "./_fresh_read.ts";
import type { IterateOptions as PublicIterateOptions } from "../types.ts";

/** The public {@linkcode PublicIterateOptions} with its defaults applied (by `checkIterate`). */
type IterateOptions = Required<PublicIterateOptions>;

const PAGE = 100n;

interface Row extends ValueRow {
  rowid: number;
  raw: number;
  key: SqliteValue;
  key_big: number;
}

function rows(engine: Engine, options: IterateOptions, withValues: boolean): Generator<Row> {
  return walk<Row>(engine, withValues ? `${KEY_COLUMNS}, ${VALUE_COLUMNS}` : KEY_COLUMNS, options, "iterate");
}

/**
 * Live rows with `columns` (which must include `KEY_COLUMNS`), paged in
 * `options`' order. What SQLite throws is translated as for `get` (a lock
 * is a `Timeout`, damage names the file), with `op` naming the call.
 */
export function* walk<R extends { rowid: number; raw: number; key: SqliteValue; key_big: number }>(
  engine: Engine,
  columns: string,
  options: IterateOptions,
  op: string,
): Generator<R> {
  type Row = R;
  const { first, next: sql } = pageSql(columns, options.order, options.reverse);
  let last: Row | undefined;
  for (;;) {
    const now = engine.clock() / 1000;
    const page = engine.translating(
      op,
      () =>
        (last === undefined
          ? engine.prepare(first).all(now, PAGE)
          : options.order === "insertion"
          ? engine.prepare(sql).all(last.rowid, now, PAGE)
          : engine.prepare(sql).all(readColumn(last.key, last.key_big), last.raw, now, PAGE)) as Row[],
    );
    for (const row of page) {
      yield row;
    }
    if (page.length < Number(PAGE)) {
      return;
    }
    last = page[page.length - 1];
  }
}

/** Live keys. */
export function* keys(engine: Engine, options: IterateOptions): Generator<unknown> {
  engine.db("iterate");
  for (const row of rows(engine, options, false)) yield decodeKey(row.key, row.raw, row.key_big);
}

/**
 * Live `[key, value]` pairs. A value file that vanished after its page was
 * read means the item was replaced meanwhile: its row is read again (old or
 * new value, never neither); an item whose file is really gone is skipped,
 * and so is one whose value cannot be read (a Python pickle, a damaged row),
 * unless `unreadable` is `"throw"` (Deque and Index, whose positions count
 * every item): then its error, which names the key, ends the walk.
 */
export function* entries(engine: Engine, options: IterateOptions, unreadable: "skip" | "throw" = "skip"): Generator<[unknown, unknown]> {
  engine.db("iterate");
  for (const row of rows(engine, options, true)) {
    const key = decodeKey(row.key, row.raw, row.key_big);
    let got: [Row, unknown] | undefined;
    try {
      got = fetchFresh(
        engine,
        row,
        key,
        () => engine.prepare(REREAD).get(readColumn(row.key, row.key_big) as SqliteValue, row.raw, engine.clock() / 1000) as Row | null | undefined,
      );
    } catch (error) {
      // One value this library cannot read (a Python pickle, a damaged row)
      // must not end the walk over every other item: get() names the reason.
      if (error instanceof UnreadableValue) {
        if (unreadable === "skip") continue;
        throw error;
      }
      throw engine.translate(error, "iterate");
    }
    if (got !== undefined) yield [key, got[1]];
  }
}
