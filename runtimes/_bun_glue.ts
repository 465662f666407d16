/**
 * Builds the bun:sqlite driver from the module object, so that both the
 * explicit `/bun` entry (static import) and the automatic selection
 * (`import.meta.require`) share it.
 *
 * @module
 */
// The driver interface every driver implements (node.ts imports the same names).
import {
  type SqliteDatabase,
  type SqliteDriver,
  sqliteErrorCode,
  type SqliteOpenOptions,
  type SqlitePrepareOptions,
  type SqliteStatement,
  type SqliteValue,
} from "../src/driver.ts";

/**
 * The part of a `bun:sqlite` `Statement` the driver uses.
 *
 * @example A bun:sqlite statement fits
 * ```ts ignore
 * import { Database } from "bun:sqlite";
 * import type { BunStatement } from "@diskcache/diskcache/bun";
 * const stmt: BunStatement = new Database(":memory:").prepare("SELECT 1 AS a");
 * stmt.values(); // [[1]]
 * ```
 */
export interface BunStatement extends SqliteStatement {
  /** Executes and returns every row as an array of column values. */
  values(...params: SqliteValue[]): unknown[][];
  /** Frees the statement. */
  finalize(): void;
}
/**
 * The part of a `bun:sqlite` `Database` the driver uses.
 *
 * @example A bun:sqlite database fits
 * ```ts ignore
 * import { Database } from "bun:sqlite";
 * import type { BunDatabase } from "@diskcache/diskcache/bun";
 * const db: BunDatabase = new Database(":memory:");
 * db.exec("CREATE TABLE t (a)");
 * db.close();
 * ```
 */
export interface BunDatabase {
  /** Runs statements without results. */
  exec(sql: string): void;
  /** Compiles one statement. */
  prepare(sql: string): BunStatement;
  /** Closes the connection. */
  close(): void;
}

/**
 * The part of `bun:sqlite` the driver uses.
 *
 * @example Hand Bun's module to the driver
 * ```ts ignore
 * import * as bunSqlite from "bun:sqlite";
 * import { bunDriverFrom, type BunSqliteModule } from "@diskcache/diskcache/bun";
 * const mod: BunSqliteModule = bunSqlite;
 * const driver = bunDriverFrom(mod);
 * ```
 */
export interface BunSqliteModule {
  /** The `Database` class. */
  // deno-lint-ignore no-explicit-any
  Database: new (path: string, options?: any) => BunDatabase;
  /** Open flags, for URIs (`immutable=1`), which the options form cannot ask for. */
  constants?: { SQLITE_OPEN_READONLY: number; SQLITE_OPEN_URI: number };
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
      const c = mod.constants;
      const db = readonly && options?.immutable && c
        ? new mod.Database(`file:${encodeURI(path)}?immutable=1`, c.SQLITE_OPEN_READONLY | c.SQLITE_OPEN_URI)
        : new mod.Database(path, readonly ? { readonly: true } : { create: true, readwrite: true });
      // bun:sqlite keeps the file open until every statement is finalized.
      const statements = new Set<BunStatement>();
      return {
        exec: (sql: string) => db.exec(sql),
        prepare(sql: string, opts?: SqlitePrepareOptions): SqliteStatement {
          const stmt = db.prepare(sql);
          statements.add(stmt);
          // Object rows for "preferred": cheaper here than values() (see SqlitePrepareOptions.arrays).
          return opts?.arrays === true ? arrayStatement(stmt) : stmt;
        },
        close: () => {
          for (const stmt of statements) stmt.finalize();
          statements.clear();
          db.close();
        },
      };
    },
    errorCode: sqliteErrorCode,
    supportsImmutable: mod.constants !== undefined,
  };
}
