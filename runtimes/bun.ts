/**
 * The SQLite driver for Bun: the built-in `bun:sqlite`.
 *
 * Only Bun has `bun:sqlite`. This file reaches it synchronously instead of
 * importing it statically, so that Node and Deno load it far enough to say
 * so, and what to import instead, rather than failing in their module
 * loaders. The default entry point reaches the same module through
 * {@linkcode bunDriverFrom}, without importing this file.
 *
 * @module
 */
import { bunDriverFrom, type BunSqliteModule } from "./_bun_glue.ts";
import type { SqliteDriver } from "../src/driver.ts";

/** The error for a runtime (`here`) that does not give this driver `bun:sqlite`. */
function unavailable(here: string): Error {
  return new Error(
    `Cannot load "@diskcache/diskcache/bun" on ${here}: it is the driver for Bun's built-in bun:sqlite. Import "@diskcache/diskcache" instead, which picks the SQLite driver of the runtime it runs on`,
  );
}

/**
 * `bun:sqlite`, or the error saying this is not Bun. Node 24 is the row
 * that measures branch coverage (scripts/coverage.mjs), and only its own arm
 * of each test here can run there: the Deno and Bun arms are excluded from
 * its count (Deno's and Bun's rows run them, and cover their lines).
 */
function loadBunSqlite(): BunSqliteModule {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Bun === undefined) {
    /* node:coverage ignore next */
    throw unavailable(g.Deno !== undefined ? `Deno ${g.Deno.version.deno}` : `Node ${g.process.versions.node}`);
    /* node:coverage disable */
  }
  // deno-lint-ignore no-explicit-any
  const req = (import.meta as any).require as ((id: string) => unknown) | undefined;
  const mod = req?.("bun:sqlite") ?? g.process?.getBuiltinModule?.("bun:sqlite");
  if (mod === undefined) throw unavailable("this Bun, which does not expose bun:sqlite synchronously");
  return mod as BunSqliteModule;
  /* node:coverage enable */
}

const bunSqlite = loadBunSqlite();

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
  return bunDriverFrom(bunSqlite);
}

export { bunDriverFrom };
export type { BunDatabase, BunSqliteModule, BunStatement } from "./_bun_glue.ts";
