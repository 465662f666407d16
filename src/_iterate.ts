/**
 * Iteration over live items, paged (100 rows per query, no transaction held
 * between pages), so memory stays flat whatever the cache's size. Items
 * written during iteration may or may not be seen; none is seen twice.
 *
 * @module
 */
import type { SqliteValue } from "./driver.ts";
import type { Engine } from "./_engine.ts";
import { bigFlag, safeInt } from "./schema.ts";
import { decodeKey, readColumn, UnreadableValue, type ValueRow } from "./_values.ts";
import { fetchFresh } from "./_fresh.ts";
import type { IterateOptions as PublicIterateOptions } from "./types.ts";

/** The public {@linkcode PublicIterateOptions} with its defaults applied (by `checkIterate`). */
type IterateOptions = Required<PublicIterateOptions>;

const PAGE = 100n;
const KEY_COLUMNS = `rowid, raw, ${safeInt("key")} AS key, ${bigFlag("key")} AS key_big`;
const VALUE_COLUMNS = `mode, filename, size, ${safeInt("value")} AS value, ${bigFlag("value")} AS big`;
const LIVE = "(expire_time IS NULL OR expire_time > ?)";

interface Row extends ValueRow {
  rowid: number;
  raw: number;
  key: SqliteValue;
  key_big: number;
}

function* rows(engine: Engine, options: IterateOptions, withValues: boolean): Generator<Row> {
  const columns = withValues ? `${KEY_COLUMNS}, ${VALUE_COLUMNS}` : KEY_COLUMNS;
  const dir = options.reverse ? "DESC" : "ASC";
  const cmp = options.reverse ? "<" : ">";
  let sql: string, first: string;
  if (options.order === "insertion") {
    first = `SELECT ${columns} FROM Cache WHERE ${LIVE} ORDER BY rowid ${dir} LIMIT ?`;
    sql = `SELECT ${columns} FROM Cache WHERE rowid ${cmp} ? AND ${LIVE} ORDER BY rowid ${dir} LIMIT ?`;
  } else {
    // Qualified: a bare `key` in ORDER BY binds to the select list's
    // `CASE ... AS key` alias (an expression: text for big integers, no
    // index), not the column the paging condition compares.
    const order = `ORDER BY Cache.key ${dir}, Cache.raw ${dir}`;
    first = `SELECT ${columns} FROM Cache WHERE ${LIVE} ${order} LIMIT ?`;
    sql = `SELECT ${columns} FROM Cache WHERE (Cache.key, Cache.raw) ${cmp} (?, ?) AND ${LIVE} ${order} LIMIT ?`;
  }
  let last: Row | undefined;
  for (;;) {
    const now = engine.clock() / 1000;
    const page = (last === undefined
      ? engine.prepare(first).all(now, PAGE)
      : options.order === "insertion"
      ? engine.prepare(sql).all(last.rowid, now, PAGE)
      : engine.prepare(sql).all(readColumn(last.key, last.key_big), last.raw, now, PAGE)) as Row[];
    for (const row of page) yield row;
    if (page.length < Number(PAGE)) return;
    last = page[page.length - 1];
  }
}

/** Live keys. */
export function* keys(engine: Engine, options: IterateOptions): Generator<unknown> {
  engine.db("iterate");
  for (const row of rows(engine, options, false)) yield decodeKey(row.key, row.raw, row.key_big);
}

// The row of one key afresh (columns qualified: `key` alone could mean the alias).
const REREAD = `SELECT ${KEY_COLUMNS}, ${VALUE_COLUMNS} FROM Cache WHERE Cache.key = ? AND Cache.raw = ? AND ${LIVE}`;

/**
 * Live `[key, value]` pairs. A value file that vanished after its page was
 * read means the item was replaced meanwhile: its row is read again (old or
 * new value, never neither); an item whose file is really gone is skipped,
 * and so is one whose value cannot be read (a Python pickle, a damaged row).
 */
export function* entries(engine: Engine, options: IterateOptions): Generator<[unknown, unknown]> {
  engine.db("iterate");
  for (const row of rows(engine, options, true)) {
    const key = decodeKey(row.key, row.raw, row.key_big);
    let got: [Row, unknown] | undefined;
    try {
      got = fetchFresh(engine, row, key, () =>
        engine.prepare(REREAD).get(readColumn(row.key, row.key_big) as SqliteValue, row.raw, engine.clock() / 1000) as Row | null | undefined);
    } catch (error) {
      // One value this library cannot read (a Python pickle, a damaged row)
      // must not end the walk over every other item: get() names the reason.
      if (error instanceof UnreadableValue) continue;
      throw error;
    }
    if (got !== undefined) yield [key, got[1]];
  }
}
