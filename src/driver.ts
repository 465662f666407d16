/**
 * The one seam between the cache and a SQLite binding.
 *
 * The core (`src/`) never imports a SQLite module: it receives a
 * {@linkcode SqliteDriver}. One small driver per runtime lives under
 * `runtimes/` (`node:sqlite` for Deno and Node >= 22.13, `bun:sqlite` for Bun,
 * `better-sqlite3` for older Node). A driver for another binding only has to
 * implement these few synchronous members.
 *
 * Contract every driver keeps, so the core needs no per-runtime branches:
 * - `bigint` parameters bind as SQLite INTEGER, other numbers as REAL or
 *   INTEGER (the core passes every integer it cares about as a `bigint`);
 * - `Uint8Array` parameters bind as BLOB; BLOB columns read back as a
 *   `Uint8Array` (a subclass such as `Buffer` is allowed);
 * - INTEGER columns within the safe range read back as `number`; past 2^53 a
 *   binding may round (bun:sqlite, better-sqlite3) or throw (node:sqlite), an
 *   error its driver recognises in {@linkcode SqliteDriver.unsafeIntegerError}:
 *   the core reads such values again through SQL that casts them to TEXT;
 * - `get` returns the first row as a plain object, or `undefined`/`null`.
 *
 * @module
 */

/**
 * A value SQLite can bind or return.
 *
 * @example Bind every kind of value
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeSqliteDriver } from "@diskcache/diskcache/node";
 * import type { SqliteValue } from "@diskcache/diskcache";
 * const db = nodeSqliteDriver().open(":memory:");
 * const params: SqliteValue[] = ["text", 1.5, 42n, new Uint8Array([1]), null];
 * const row = db.prepare("SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e").get(...params) as Record<string, SqliteValue>;
 * assert.equal(row.a, "text");
 * db.close();
 * ```
 */
export type SqliteValue = string | number | bigint | Uint8Array | null;

/** One result row, column name to value. */
export type SqliteRow = Record<string, SqliteValue>;

/**
 * What `run` reports.
 *
 * @example Count the rows an INSERT changed
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeSqliteDriver } from "@diskcache/diskcache/node";
 * import type { SqliteRunResult } from "@diskcache/diskcache";
 * const db = nodeSqliteDriver().open(":memory:");
 * db.exec("CREATE TABLE t (a)");
 * const result: SqliteRunResult = db.prepare("INSERT INTO t VALUES (?)").run(1);
 * assert.equal(Number(result.changes), 1);
 * assert.equal(Number(result.lastInsertRowid), 1);
 * db.close();
 * ```
 */
export interface SqliteRunResult {
  /** Rows changed by the statement. */
  changes: number | bigint;
  /** Rowid of the last inserted row. */
  lastInsertRowid: number | bigint;
}

/**
 * A prepared statement. Parameters are positional (`?`).
 *
 * @example Run a prepared statement
 * ```ts ignore
 * const stmt: SqliteStatement = db.prepare("SELECT ? AS v");
 * stmt.get(1); // { v: 1 }
 * ```
 */
export interface SqliteStatement {
  /** Executes and reports changes. */
  run(...params: SqliteValue[]): SqliteRunResult;
  /** Executes and returns the first row, or `undefined`/`null` when none. */
  get(...params: SqliteValue[]): unknown;
  /** Executes and returns every row. */
  all(...params: SqliteValue[]): unknown[];
}

/**
 * An open connection.
 *
 * @example Use a connection
 * ```ts ignore
 * const db: SqliteDatabase = driver.open("/tmp/x.db");
 * db.exec("CREATE TABLE t (a)");
 * db.close();
 * ```
 */
export interface SqliteDatabase {
  /** Runs one or more statements without results. */
  exec(sql: string): void;
  /**
   * Compiles one statement. Callers cache the result. With `arrays`, `get`
   * and `all` return each row as an array of column values in SELECT order;
   * see {@linkcode SqlitePrepareOptions.arrays} for `"preferred"`.
   */
  prepare(sql: string, options?: SqlitePrepareOptions): SqliteStatement;
  /** Closes the connection; further calls throw. */
  close(): void;
}

/**
 * Options for {@linkcode SqliteDatabase.prepare}.
 *
 * @example Rows as arrays
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeSqliteDriver } from "@diskcache/diskcache/node";
 * import type { SqlitePrepareOptions } from "@diskcache/diskcache";
 * const db = nodeSqliteDriver().open(":memory:");
 * const options: SqlitePrepareOptions = { arrays: true };
 * assert.deepEqual(db.prepare("SELECT 1 AS a, 2 AS b", options).get(), [1, 2]);
 * db.close();
 * ```
 */
export interface SqlitePrepareOptions {
  /**
   * `true`: return rows as arrays of column values instead of objects.
   * `"preferred"`: the row shape this binding builds fastest, arrays unless
   * objects cost less; the caller reads either (`Array.isArray`). The core's
   * hottest read asks for it. node:sqlite and better-sqlite3 return arrays
   * (objects cost about 7% more on a one-row read); bun:sqlite returns
   * objects, as its array rows come from `values()`, which builds an array
   * of rows (about 8% more on `get`). A driver that treats it as `true` is
   * correct, only maybe slower.
   *
   * @default {false}
   */
  arrays?: boolean | "preferred";
}

/**
 * Options for {@linkcode SqliteDriver.open}.
 *
 * @example Open a database read-only
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { nodeSqliteDriver } from "@diskcache/diskcache/node";
 * import type { SqliteOpenOptions } from "@diskcache/diskcache";
 * const dir = mkdtempSync(join(tmpdir(), "diskcache-doc-"));
 * const driver = nodeSqliteDriver();
 * driver.open(join(dir, "x.db")).exec("CREATE TABLE t (a)");
 * const options: SqliteOpenOptions = { readonly: true };
 * const db = driver.open(join(dir, "x.db"), options);
 * assert.throws(() => db.exec("INSERT INTO t VALUES (1)"));
 * db.close();
 * rmSync(dir, { recursive: true });
 * ```
 */
export interface SqliteOpenOptions {
  /**
   * Open the file read-only.
   *
   * @default {false}
   */
  readonly?: boolean;
  /**
   * Promise SQLite the file will not change while open (SQLite's
   * `immutable=1`), so a WAL database opens on read-only media without its
   * `-shm` file. Only with `readonly`, and only on a driver that declares
   * {@linkcode SqliteDriver.supportsImmutable}; another driver throws.
   *
   * @default {false}
   */
  immutable?: boolean;
}

/**
 * A synchronous SQLite binding.
 *
 * @example Pass a driver explicitly
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { nodeSqliteDriver } from "@diskcache/diskcache/node";
 * const cache = new DiskCache(undefined, { driver: nodeSqliteDriver() });
 * ```
 */
export interface SqliteDriver {
  /** Name of the binding, e.g. `"node:sqlite"`. */
  readonly name: string;
  /** Opens (creating if needed) the database file at `path`. */
  open(path: string, options?: SqliteOpenOptions): SqliteDatabase;
  /**
   * The primary SQLite result code carried by an error the binding threw
   * (5 for `SQLITE_BUSY`, 11 for `SQLITE_CORRUPT`...), or `undefined` when the
   * error did not come from SQLite.
   */
  errorCode(error: unknown): number | undefined;
  /**
   * Whether `error` is this binding refusing to read an INTEGER column
   * outside ±(2^53 − 1) as a number (node:sqlite throws a RangeError; a
   * binding that rounds such values instead never throws, and needs no
   * implementation). The core then reads the row again through SQL that
   * casts big integers to TEXT. Any other error is passed on.
   *
   * @default {() => false}
   */
  unsafeIntegerError?(error: unknown): boolean;
  /**
   * `true` when {@linkcode SqliteDriver.open} honours `immutable` (SQLite's
   * `immutable=1` URI parameter), which a read-only open of a WAL database
   * on read-only media needs. The core only asks a driver that declares it.
   *
   * @default {false}
   */
  readonly supportsImmutable?: boolean;
  /**
   * `true` when the binding returns a TEXT value cut at its first U+0000
   * (Deno's `node:sqlite`; SQLite itself keeps the whole text). The core's
   * hottest read then sends text holding U+0000 down the path that reads it
   * as BLOB; its other reads always do.
   *
   * A capability the driver declares rather than a workaround it carries:
   * a driver only sees the text already cut, so undoing the cut takes SQL
   * (`instr(value, char(0))`) in the core's own statement. Putting that test
   * in the hot statement on every driver instead costs get() about 3% on
   * bun:sqlite and 1-2% on better-sqlite3 (paired get ratio to the raw
   * binding 1.10x -> 1.13-1.14x and 1.15x -> 1.16-1.17x, two runs each of
   * `npm run bench -- --section get_set --quick`, 2026-12-01), so only a
   * driver that needs it pays for it.
   *
   * @default {false}
   */
  readonly cutsTextAtNul?: boolean;
}

/** SQLite primary result codes the core reacts to. */
export const SQLITE_BUSY = 5;
/** Another connection holds a conflicting lock on a shared-cache table. */
export const SQLITE_LOCKED = 6;
/** The database file is damaged. */
export const SQLITE_CORRUPT = 11;
/** The disk is full. */
export const SQLITE_FULL = 13;
/** The file is not a database. */
export const SQLITE_NOTADB = 26;
/** An attempt to write a read-only database. */
export const SQLITE_READONLY = 8;
/** The file could not be opened. */
export const SQLITE_CANTOPEN = 14;

const CODE_NAMES: Record<string, number> = {
  SQLITE_ERROR: 1,
  SQLITE_INTERNAL: 2,
  SQLITE_PERM: 3,
  SQLITE_ABORT: 4,
  SQLITE_BUSY,
  SQLITE_LOCKED,
  SQLITE_NOMEM: 7,
  SQLITE_READONLY,
  SQLITE_INTERRUPT: 9,
  SQLITE_IOERR: 10,
  SQLITE_CORRUPT,
  SQLITE_NOTFOUND: 12,
  SQLITE_FULL,
  SQLITE_CANTOPEN,
  SQLITE_PROTOCOL: 15,
  SQLITE_SCHEMA: 17,
  SQLITE_TOOBIG: 18,
  SQLITE_CONSTRAINT: 19,
  SQLITE_MISMATCH: 20,
  SQLITE_MISUSE: 21,
  SQLITE_NOLFS: 22,
  SQLITE_AUTH: 23,
  SQLITE_RANGE: 25,
  SQLITE_NOTADB,
};

// sqlite3_errstr() texts, for bindings whose errors carry only a message
// (Deno's node:sqlite).
const MESSAGES: [RegExp, number][] = [
  [/database is locked/, SQLITE_BUSY],
  [/database table is locked/, SQLITE_LOCKED],
  [/database disk image is malformed/, SQLITE_CORRUPT],
  [/file is not a database/, SQLITE_NOTADB],
  [/database or disk is full/, SQLITE_FULL],
  [/attempt to write a readonly database/, SQLITE_READONLY],
  [/unable to open database file/, SQLITE_CANTOPEN],
  [/disk I\/O error/, 10],
];

/**
 * Reads a primary SQLite result code off an error object of any of the known
 * bindings: a numeric `errcode` (node:sqlite), a string `code` such as
 * `"SQLITE_BUSY_SNAPSHOT"` (better-sqlite3, bun:sqlite), or, for errors that
 * carry only a message (Deno's node:sqlite), SQLite's own error text.
 * Drivers may use it to implement {@linkcode SqliteDriver.errorCode}.
 *
 * @param error Anything thrown by a binding.
 * @returns The primary result code, or `undefined`.
 *
 * @example Read the code of a busy error
 * ```ts
 * import assert from "node:assert/strict";
 * import { sqliteErrorCode } from "./driver.ts";
 * assert.equal(sqliteErrorCode({ errcode: 517 }), 5);
 * assert.equal(sqliteErrorCode({ code: "SQLITE_BUSY_SNAPSHOT" }), 5);
 * ```
 */
export function sqliteErrorCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { errcode?: unknown; errno?: unknown; code?: unknown; message?: unknown };
  if (typeof e.errcode === "number") return e.errcode & 0xff;
  const code = typeof e.code === "string" ? e.code : "";
  if (code.startsWith("SQLITE_")) {
    const known = CODE_NAMES[code] ?? CODE_NAMES[code.match(/^SQLITE_[A-Z]+/)![0]];
    if (known !== undefined) return known;
    if (typeof e.errno === "number") return e.errno & 0xff;
  }
  if (code.startsWith("SQLITE_") || code === "ERR_SQLITE_ERROR") {
    const message = typeof e.message === "string" ? e.message : "";
    for (const [pattern, value] of MESSAGES) if (pattern.test(message)) return value;
    return 1;
  }
  return undefined;
}

let defaultDriverFactory: (() => SqliteDriver) | undefined;
let defaultDriver: SqliteDriver | undefined;

/**
 * Registers how the default driver is found. Entry points call this at import
 * time with a lazy, synchronous factory; it runs on the first open.
 *
 * @param factory Returns the driver for the current runtime, or throws an
 * error that says how to get one.
 *
 * @example Register a driver
 * ```ts ignore
 * setDefaultDriver(() => myDriver);
 * ```
 */
export function setDefaultDriver(factory: () => SqliteDriver): void {
  defaultDriverFactory = factory;
  defaultDriver = undefined;
}

/**
 * The driver used when a cache is opened without a `driver` option.
 *
 * @returns The registered default driver.
 * @throws {Error} When no entry point registered one.
 *
 * @example Look up the default driver
 * ```ts ignore
 * getDefaultDriver().name; // "node:sqlite"
 * ```
 */
export function getDefaultDriver(): SqliteDriver {
  if (defaultDriver !== undefined) return defaultDriver;
  if (defaultDriverFactory === undefined) {
    throw new Error(
      'Cannot open cache: no SQLite driver is registered; import DiskCache from the package entry point ("@diskcache/diskcache") or pass the "driver" option',
    );
  }
  defaultDriver = defaultDriverFactory();
  return defaultDriver;
}
