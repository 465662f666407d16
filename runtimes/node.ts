/**
 * SQLite drivers for Node.js (and Deno, which implements `node:sqlite` too).
 *
 * - {@linkcode nodeSqliteDriver}: the built-in `node:sqlite` (Node >= 22.13,
 *   Deno 2.2+). Nothing to install.
 * - {@linkcode betterSqlite3Driver}: the `better-sqlite3` package, for Node 20
 *   and older Node 22 (`npm install better-sqlite3@12`).
 * - {@linkcode nodeDriver}: the first of the two that loads.
 *
 * Modules are reached with `process.getBuiltinModule`, so importing this file
 * never fails on a runtime that lacks one of them, and nothing here needs a
 * top-level await.
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
} from "../src/driver.ts";

interface NativeDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement & { setReturnArrays?(on: boolean): void; raw?(on: boolean): void };
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => NativeDatabase;
}
type BetterSqlite3 = new (path: string, options?: { readonly?: boolean }) => NativeDatabase;

/** Wraps a connection whose statements switch to array rows with `setReturnArrays` or `raw`. */
function wrap(db: NativeDatabase): SqliteDatabase {
  return {
    exec: (sql: string) => db.exec(sql),
    prepare(sql: string, options?: SqlitePrepareOptions): SqliteStatement {
      const stmt = db.prepare(sql);
      if (options?.arrays) {
        if (stmt.setReturnArrays) stmt.setReturnArrays(true); // node:sqlite
        else stmt.raw!(true); // better-sqlite3
      }
      return stmt;
    },
    close: () => db.close(),
  };
}

// deno-lint-ignore no-explicit-any
const proc = (globalThis as any).process as
  | { getBuiltinModule?: (id: string) => unknown; version?: string }
  | undefined;

function builtin<T>(id: string): T | undefined {
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/**
 * Whether this `node:sqlite` returns TEXT cut at its first U+0000 (Deno's
 * does; Node's does not): asked of the binding once, not guessed from the
 * runtime, so a Deno that fixes it leaves the slower read.
 */
function cutsTextAtNul(mod: NodeSqliteModule): boolean {
  const db = new mod.DatabaseSync(":memory:");
  try {
    return (db.prepare("SELECT 'a' || char(0) || 'b' AS t").get() as { t: string }).t.length !== 3;
  } finally {
    db.close();
  }
}

/**
 * A driver over the built-in `node:sqlite` module.
 *
 * @returns The driver.
 * @throws {Error} When this runtime has no `node:sqlite` (Node < 22.13).
 *
 * @example Open a cache on node:sqlite explicitly
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { nodeSqliteDriver } from "@diskcache/diskcache/node";
 * using cache = new DiskCache(undefined, { driver: nodeSqliteDriver() });
 * ```
 */
export function nodeSqliteDriver(): SqliteDriver {
  const mod = builtin<NodeSqliteModule>("node:sqlite");
  // Node < 22.13 only: Node 24 measures branch coverage (scripts/coverage.mjs).
  /* node:coverage ignore next 5 */
  if (mod === undefined) {
    throw new Error(
      `Cannot load node:sqlite: this runtime (Node ${proc?.version ?? "unknown"}) does not provide it; use Node >= 22.13 or install better-sqlite3@12`,
    );
  }
  return {
    name: "node:sqlite",
    cutsTextAtNul: cutsTextAtNul(mod),
    supportsImmutable: true,
    open(path: string, options?: SqliteOpenOptions): SqliteDatabase {
      const target = options?.readonly && options.immutable ? `file:${encodeURI(path)}?immutable=1` : path;
      return wrap(new mod.DatabaseSync(target, { readOnly: options?.readonly ?? false }));
    },
    errorCode: sqliteErrorCode,
    // Reading an INTEGER past 2^53 without readBigInts throws ERR_OUT_OF_RANGE
    // (Node and Deno alike).
    unsafeIntegerError: (error) => error instanceof RangeError && (error as { code?: unknown }).code === "ERR_OUT_OF_RANGE",
  };
}

// How to install the binding, in a project and for the command through npx
// (which does not install an optional peer).
const INSTALL_BETTER_SQLITE3 =
  "`npm install better-sqlite3@12` (for the diskcache command through npx: `npx -p @diskcache/diskcache -p better-sqlite3@12 diskcache ...`)";

/**
 * A driver over the `better-sqlite3` package (major 12 on Node 20).
 *
 * @returns The driver.
 * @throws {Error} When `better-sqlite3` cannot be loaded.
 *
 * @example Open a cache on better-sqlite3 explicitly
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { betterSqlite3Driver } from "@diskcache/diskcache/node";
 * using cache = new DiskCache(undefined, { driver: betterSqlite3Driver() });
 * ```
 */
export function betterSqlite3Driver(): SqliteDriver {
  const mod = builtin<{ createRequire(url: string): (id: string) => unknown }>("node:module");
  let Database: BetterSqlite3;
  try {
    // Node < 20.16 (no process.getBuiltinModule) only:
    /* node:coverage ignore next */
    if (mod === undefined) throw new Error("node:module is not available");
    Database = mod.createRequire(import.meta.url)("better-sqlite3") as BetterSqlite3;
  } catch (cause) {
    throw new Error(
      `Cannot load better-sqlite3: it is not installed or failed to build; run ${INSTALL_BETTER_SQLITE3}`,
      { cause },
    );
  }
  return {
    name: "better-sqlite3",
    open(path: string, options?: SqliteOpenOptions): SqliteDatabase {
      if (options?.immutable) {
        // It takes plain paths only, and immutable=1 needs a URI: refuse rather than open without it.
        throw new Error("Cannot open the database immutable: better-sqlite3 does not accept SQLite URI filenames; use node:sqlite (Node >= 22.13)");
      }
      return wrap(new Database(path, { readonly: options?.readonly ?? false }));
    },
    errorCode: sqliteErrorCode,
  };
}

/**
 * The best driver this Node.js offers: `node:sqlite`, else `better-sqlite3`.
 *
 * @returns The driver.
 * @throws {Error} When neither is available, naming both ways to fix it.
 *
 * @example Pick the Node driver
 * ```ts ignore
 * import { nodeDriver } from "@diskcache/diskcache/node";
 * nodeDriver().name; // "node:sqlite" on Node 24, "better-sqlite3" on Node 20
 * ```
 */
export function nodeDriver(): SqliteDriver {
  // What follows the return is Node < 22.13's only: Node 24 measures branch coverage (scripts/coverage.mjs).
  /* node:coverage disable */
  if (builtin("node:sqlite") !== undefined) return nodeSqliteDriver();
  try {
    return betterSqlite3Driver();
  } catch (cause) {
    throw new Error(
      `Cannot open cache: Node ${
        proc?.version ?? "(unknown version)"
      } has no built-in node:sqlite and better-sqlite3 is not installed; either upgrade to Node >= 22.13 or run ${INSTALL_BETTER_SQLITE3}`,
      { cause },
    );
  }
  /* node:coverage enable */
}
