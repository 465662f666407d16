/**
 * Builds the bun:sqlite driver from the module object, so that both the
 * explicit `/bun` entry (static import) and the automatic selection
 * (`import.meta.require`) share it.
 *
 * @module
 */
import {
  type SqliteDatabase,
  type SqliteDriver,
  sqliteErrorCode,
  type SqliteOpenOptions,
  type SqlitePrepareOptions,
  type SqliteStatement,
  type SqliteValue,
} from "../src/driver.ts";

interface BunStatement extends SqliteStatement {
  values(...params: SqliteValue[]): unknown[][];
}
interface BunDatabase {
  exec(sql: string): void;
  prepare(sql: string): BunStatement;
  close(): void;
}

/** The part of `bun:sqlite` the driver uses. */
export interface BunSqliteModule {
  // deno-lint-ignore no-explicit-any
  Database: new (path: string, options?: any) => BunDatabase;
}

/** Array rows come from `values()`, which returns every row. */
function arrayStatement(stmt: BunStatement): SqliteStatement {
  return {
    run: (...params) => stmt.run(...params),
    get: (...params) => stmt.values(...params)[0],
    all: (...params) => stmt.values(...params),
  };
}

/**
 * Wraps a loaded `bun:sqlite` module as a driver.
 *
 * @param mod The `bun:sqlite` module.
 * @returns The driver.
 *
 * @example Build the driver from the module
 * ```ts ignore
 * import * as bunSqlite from "bun:sqlite";
 * const driver = bunDriverFrom(bunSqlite);
 * ```
 */
export function bunDriverFrom(mod: BunSqliteModule): SqliteDriver {
  return {
    name: "bun:sqlite",
    open(path: string, options?: SqliteOpenOptions): SqliteDatabase {
      const readonly = options?.readonly ?? false;
      const db = new mod.Database(path, readonly ? { readonly: true } : { create: true, readwrite: true });
      return {
        exec: (sql: string) => db.exec(sql),
        prepare(sql: string, opts?: SqlitePrepareOptions): SqliteStatement {
          const stmt = db.prepare(sql);
          return opts?.arrays ? arrayStatement(stmt) : stmt;
        },
        close: () => db.close(),
      };
    },
    errorCode: sqliteErrorCode,
  };
}
