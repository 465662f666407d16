/**
 * The prepared statements of one connection: each SQL text compiled once,
 * and the statement of the hottest read (`get()`) kept apart, its rows in
 * the shape the driver builds fastest.
 *
 * @module
 */
import type { SqliteDatabase, SqliteStatement } from "../driver.ts";

/** The statement cache of one connection. */
export class Statements {
  readonly #db: (op: string) => SqliteDatabase;
  readonly #map = new Map<string, SqliteStatement>();
  /** The statement of the hottest read, forgotten when settings change. */
  #hot: SqliteStatement | undefined;

  /** `db(op)` is the open connection, or throws the closed-cache error. */
  constructor(db: (op: string) => SqliteDatabase) {
    this.#db = db;
  }

  /**
   * A prepared statement, compiled once; rows come back as objects, or with
   * `arrays: "preferred"` in the shape the driver builds fastest (arrays, or
   * objects on a binding where those are cheaper: read either).
   */
  prepare(sql: string, arrays?: "preferred"): SqliteStatement {
    const key = arrays === undefined ? sql : `[] ${sql}`;
    let stmt = this.#map.get(key);
    if (stmt === undefined) {
      stmt = this.#db("prepare a statement").prepare(sql, arrays === undefined ? undefined : { arrays });
      this.#map.set(key, stmt);
    }
    return stmt;
  }

  /**
   * The statement of the hottest read, its rows in the shape the driver
   * builds fastest (`arrays: "preferred"`); `sql(arg)` is asked once, then
   * again after {@linkcode Statements.forgetHot}.
   */
  hot<A>(sql: (arg: A) => string, arg: A): SqliteStatement {
    return this.#hot ??= this.prepare(sql(arg), "preferred");
  }

  /** Settings changed: the hot statement's SQL may differ now. */
  forgetHot(): void {
    this.#hot = undefined;
  }

  /** Forgets every statement (the connection closes). */
  clear(): void {
    this.#map.clear();
    this.#hot = undefined;
  }
}
