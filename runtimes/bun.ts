/**
 * The SQLite driver for Bun: the built-in `bun:sqlite`.
 *
 * This file imports `bun:sqlite` statically, so only Bun can load it. The
 * default entry point reaches the same module synchronously through
 * {@linkcode bunDriverFrom}, without importing this file.
 *
 * @module
 */
import { constants, Database } from "bun:sqlite";
import { bunDriverFrom } from "./_bun_glue.ts";
import type { SqliteDriver } from "../src/driver.ts";

/**
 * A driver over `bun:sqlite`.
 *
 * @returns The driver.
 *
 * @example Open a cache on Bun explicitly
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { bunDriver } from "@diskcache/diskcache/bun";
 * using cache = new DiskCache(undefined, { driver: bunDriver() });
 * ```
 */
export function bunDriver(): SqliteDriver {
  return bunDriverFrom({ Database, constants });
}

export { bunDriverFrom };
export type { BunDatabase, BunSqliteModule, BunStatement } from "./_bun_glue.ts";
