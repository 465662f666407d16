/**
 * Chooses the SQLite driver for the running runtime, synchronously and only
 * when the first cache opens: Bun -> `bun:sqlite`; Deno -> `node:sqlite`;
 * Node -> `node:sqlite`, else `better-sqlite3`. No top-level await, so
 * `require()` of the npm build keeps working.
 *
 * On Deno, the environment variable `DISKCACHE_DENO_DRIVER` picks the driver
 * for every cache opened without a `driver` option: `ffi` (the system's
 * SQLite through Deno's FFI, see `runtimes/deno_ffi.ts`) or `node:sqlite`
 * (the default). Other runtimes ignore it, so child processes of any runtime
 * can inherit it. An unknown value is an error, never a silent fallback.
 *
 * @module
 */
import { setDefaultDriver, type SqliteDriver } from "../src/driver.ts";
import { bunDriverFrom, type BunSqliteModule } from "./_bun_glue.ts";
import { nodeDriver, nodeSqliteDriver } from "./node.ts";
import { denoFfiDriver } from "./deno_ffi.ts";

/** `DISKCACHE_DENO_DRIVER`, or undefined when unset or unreadable (no --allow-env). */
function requestedDenoDriver(deno: { env: { get(name: string): string | undefined } }): string | undefined {
  try {
    return deno.env.get("DISKCACHE_DENO_DRIVER") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The driver for the runtime this code runs on.
 *
 * @returns The driver.
 * @throws {Error} When the runtime offers no SQLite binding, saying how to get one.
 *
 * @example Detect the driver
 * ```ts ignore
 * detectDriver().name; // "bun:sqlite" under Bun
 * ```
 */
export function detectDriver(): SqliteDriver {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Bun !== undefined) {
    // deno-lint-ignore no-explicit-any
    const req = (import.meta as any).require as ((id: string) => unknown) | undefined;
    const mod = req?.("bun:sqlite") ?? g.process?.getBuiltinModule?.("bun:sqlite");
    if (mod === undefined) throw new Error("Cannot load bun:sqlite: this Bun does not expose it synchronously; import from \"@diskcache/diskcache/bun\" and pass bunDriver() as the \"driver\" option");
    return bunDriverFrom(mod as BunSqliteModule);
  }
  if (g.Deno !== undefined) {
    const requested = requestedDenoDriver(g.Deno);
    if (requested === "ffi") return denoFfiDriver();
    if (requested !== undefined && requested !== "node:sqlite") {
      throw new Error(`Cannot open cache: DISKCACHE_DENO_DRIVER is "${requested}"; use "ffi" or "node:sqlite", or unset it`);
    }
    return nodeSqliteDriver();
  }
  return nodeDriver();
}

setDefaultDriver(detectDriver);
