/**
 * The SQLite driver for Deno: Deno's built-in `node:sqlite`, which needs no
 * FFI permission and downloads no native library. Its one quirk, TEXT cut
 * at U+0000 on read, is declared as `cutsTextAtNul` (probed, in
 * `nodeSqliteDriver`), so the core reads such text as BLOB.
 *
 * @module
 */
import type { SqliteDriver } from "../src/driver.ts";
import { nodeSqliteDriver } from "./node.ts";

/**
 * A driver over Deno's built-in `node:sqlite`.
 *
 * @returns The driver.
 *
 * @example Open a cache on Deno explicitly
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { denoDriver } from "@diskcache/diskcache/deno";
 * using cache = new DiskCache(undefined, { driver: denoDriver() });
 * ```
 */
export function denoDriver(): SqliteDriver {
  return nodeSqliteDriver();
}
