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
} from "../src/driver.ts";

/** The part of `bun:sqlite` the driver uses. */
export interface BunSqliteModule {
  // deno-lint-ignore no-explicit-any
  Database: new (path: string, options?: any) => SqliteDatabase;
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
      return new mod.Database(path, readonly ? { readonly: true } : { create: true, readwrite: true });
    },
    errorCode: sqliteErrorCode,
  };
}
