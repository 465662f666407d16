/**
 * The bytes of a connection's database pages as the culling of writes
 * reads them: a page count cached between writes, so that most writes skip
 * the `PRAGMA page_count` round trip.
 *
 * @module
 */
import type { SqliteStatement } from "../driver.ts";
import { SQL } from "../format/sql.ts";

/** Writes between two reads of the page count (see {@linkcode PageCount.bytes}). */
const PAGE_COUNT_EVERY = 32;

/** The page count of one connection, read afresh now and then. */
export class PageCount {
  readonly #prepare: (sql: string) => SqliteStatement;
  readonly #pageSize: number;
  /** Last page count read, and how many calls until it is read again. */
  #pages = 0;
  #fresh = 0;

  constructor(prepare: (sql: string) => SqliteStatement, pageSize: number) {
    this.#prepare = prepare;
    this.#pageSize = pageSize;
  }

  /**
   * Bytes of the database pages, from a page count read afresh every
   * {@linkcode PAGE_COUNT_EVERY} calls, or whenever the figure plus `slack`
   * reaches `limit` (too close to trust an older count).
   */
  bytes(slack: number, limit: number): number {
    if (--this.#fresh <= 0 || this.#pages * this.#pageSize + slack >= limit) {
      this.#pages = (this.#prepare(SQL.pageCount).get() as { page_count: number }).page_count;
      this.#fresh = PAGE_COUNT_EVERY;
    }
    return this.#pages * this.#pageSize;
  }
}
