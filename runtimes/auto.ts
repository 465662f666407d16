/**
 * Chooses the SQLite driver for the running runtime, synchronously and only
 * when the first cache opens: Bun -> `bun:sqlite`; Deno -> `node:sqlite`;
 * Node -> `node:sqlite`, else `better-sqlite3`. No top-level await, so
 * `require()` of the npm build keeps working.
 *
 * @module
 */
import { setDefaultDriver, type SqliteDriver } from "../src/driver.ts";
import { bunDriverFrom, type BunSqliteModule } from "./_bun_glue.ts";
import { nodeDriver, nodeSqliteDriver } from "./node.ts";

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
  // Bun's and Deno's arms: Node 24, the row that measures branch coverage
  // (scripts/coverage.mjs), never runs them; Bun's and Deno's rows do.
  /* node:coverage disable */
  if (g.Bun !== undefined) {
    // deno-lint-ignore no-explicit-any
    const req = (import.meta as any).require as ((id: string) => unknown) | undefined;
    const mod = req?.("bun:sqlite") ?? g.process?.getBuiltinModule?.("bun:sqlite");
    if (mod === undefined) {
      throw new Error(
        'Cannot load bun:sqlite: this Bun does not expose it synchronously; import from "@diskcache/diskcache/bun" and pass bunDriver() as the "driver" option',
      );
    }
    return bunDriverFrom(mod as BunSqliteModule);
  }
  if (g.Deno !== undefined) return nodeSqliteDriver();
  /* node:coverage enable */
  return nodeDriver();
}

setDefaultDriver(detectDriver);
