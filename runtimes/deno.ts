/**
 * The SQLite drivers for Deno: {@linkcode denoDriver}, Deno's built-in
 * `node:sqlite` (the default: it needs no FFI permission and downloads no
 * native library), and {@linkcode denoFfiDriver}, the system's SQLite
 * library through FFI (opt-in, needs `--allow-ffi`; the faster hot path).
 *
 * @module
 */
import type { SqliteDriver } from "../src/driver.ts";
import { nodeSqliteDriver } from "./node.ts";

export { denoFfiDriver, type DenoFfiDriverOptions } from "./deno_ffi.ts";

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
