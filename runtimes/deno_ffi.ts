/**
 * An opt-in SQLite driver for Deno over the system's SQLite library through
 * Deno's FFI (`Deno.dlopen`), for users who want the fastest hot path Deno
 * allows. Deno's built-in `node:sqlite` costs about 1.2 µs more per call
 * (measured on Deno 2.9: 3.7 µs against 2.5 µs for a one-row SELECT of a
 * 200-byte blob), because each call crosses its Rust binding layer.
 *
 * It needs `--allow-ffi` and a SQLite shared library (3.24 or newer: the
 * cache's upsert uses `ON CONFLICT ... DO UPDATE`). The default Deno driver
 * stays `node:sqlite`, which needs neither. Choose this one with
 * `driver: denoFfiDriver()`, or for every cache of a process by setting the
 * environment variable `DISKCACHE_DENO_DRIVER=ffi` (see `runtimes/auto.ts`).
 *
 * Behaviour matches the other drivers (see `src/driver.ts`): numbers bind as
 * REAL and bigints as INTEGER, like `node:sqlite`; INTEGER columns read back
 * as `number` when safe and `bigint` otherwise; BLOB columns as fresh
 * `Uint8Array` copies; errors carry SQLite's result code in `errcode`.
 * Every statement is reset right after it runs, so no read transaction is
 * left open between calls.
 *
 * @module
 */
import type { SqliteDatabase, SqliteDriver, SqliteOpenOptions, SqlitePrepareOptions, SqliteRunResult, SqliteStatement, SqliteValue } from "../src/driver.ts";
import { sqliteErrorCode } from "../src/driver.ts";

/** Options for {@linkcode denoFfiDriver}. */
export interface DenoFfiDriverOptions {
  /**
   * Path or file name of the SQLite shared library. Default: the environment
   * variable `DISKCACHE_SQLITE_LIB` when set, else the usual names for this
   * OS (`libsqlite3.so.0` on Linux, `/usr/lib/libsqlite3.dylib` on macOS,
   * `sqlite3.dll` on Windows), tried in turn.
   */
  library?: string;
}

// The slice of Deno's FFI API this file uses, declared here so the file also
// type-checks under tsc for the npm build (where no Deno types exist).
type Pointer = object | null;
interface PointerView {
  copyInto(target: Uint8Array, offset?: number): void;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, (...args: unknown[]) => unknown>; close(): void };
  UnsafePointer: { create(value: bigint): Pointer; value(p: Pointer): bigint | number };
  UnsafePointerView: {
    new (p: object): PointerView;
    getCString(p: object): string;
    getArrayBuffer(p: object, length: number): ArrayBuffer;
  };
  build: { os: string };
  env: { get(name: string): string | undefined };
}

const SYMBOLS = {
  sqlite3_libversion_number: { parameters: [], result: "i32" },
  sqlite3_open_v2: { parameters: ["buffer", "buffer", "i32", "pointer"], result: "i32" },
  sqlite3_close_v2: { parameters: ["pointer"], result: "i32" },
  sqlite3_extended_result_codes: { parameters: ["pointer", "i32"], result: "i32" },
  sqlite3_errmsg: { parameters: ["pointer"], result: "pointer" },
  sqlite3_errstr: { parameters: ["i32"], result: "pointer" },
  sqlite3_extended_errcode: { parameters: ["pointer"], result: "i32" },
  sqlite3_exec: { parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"], result: "i32" },
  sqlite3_prepare_v3: { parameters: ["pointer", "buffer", "i32", "u32", "buffer", "pointer"], result: "i32" },
  sqlite3_finalize: { parameters: ["pointer"], result: "i32" },
  sqlite3_reset: { parameters: ["pointer"], result: "i32" },
  sqlite3_clear_bindings: { parameters: ["pointer"], result: "i32" },
  sqlite3_bind_parameter_count: { parameters: ["pointer"], result: "i32" },
  sqlite3_bind_null: { parameters: ["pointer", "i32"], result: "i32" },
  sqlite3_bind_int64: { parameters: ["pointer", "i32", "i64"], result: "i32" },
  sqlite3_bind_double: { parameters: ["pointer", "i32", "f64"], result: "i32" },
  sqlite3_bind_text: { parameters: ["pointer", "i32", "buffer", "i32", "isize"], result: "i32" },
  sqlite3_bind_blob: { parameters: ["pointer", "i32", "buffer", "i32", "isize"], result: "i32" },
  sqlite3_bind_zeroblob: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  sqlite3_step: { parameters: ["pointer"], result: "i32" },
  sqlite3_column_count: { parameters: ["pointer"], result: "i32" },
  sqlite3_column_name: { parameters: ["pointer", "i32"], result: "pointer" },
  sqlite3_column_type: { parameters: ["pointer", "i32"], result: "i32" },
  sqlite3_column_int64: { parameters: ["pointer", "i32"], result: "i64" },
  sqlite3_column_double: { parameters: ["pointer", "i32"], result: "f64" },
  sqlite3_column_text: { parameters: ["pointer", "i32"], result: "pointer" },
  sqlite3_column_blob: { parameters: ["pointer", "i32"], result: "pointer" },
  sqlite3_column_bytes: { parameters: ["pointer", "i32"], result: "i32" },
  sqlite3_changes64: { parameters: ["pointer"], result: "i64" },
  sqlite3_last_insert_rowid: { parameters: ["pointer"], result: "i64" },
} as const;

type Fn<A extends unknown[], R> = (...args: A) => R;
interface Lib {
  sqlite3_libversion_number: Fn<[], number>;
  sqlite3_open_v2: Fn<[Uint8Array, Uint8Array, number, Pointer], number>;
  sqlite3_close_v2: Fn<[Pointer], number>;
  sqlite3_extended_result_codes: Fn<[Pointer, number], number>;
  sqlite3_errmsg: Fn<[Pointer], Pointer>;
  sqlite3_errstr: Fn<[number], Pointer>;
  sqlite3_extended_errcode: Fn<[Pointer], number>;
  sqlite3_exec: Fn<[Pointer, Uint8Array, Pointer, Pointer, Pointer], number>;
  sqlite3_prepare_v3: Fn<[Pointer, Uint8Array, number, number, Uint8Array, Pointer], number>;
  sqlite3_finalize: Fn<[Pointer], number>;
  sqlite3_reset: Fn<[Pointer], number>;
  sqlite3_clear_bindings: Fn<[Pointer], number>;
  sqlite3_bind_parameter_count: Fn<[Pointer], number>;
  sqlite3_bind_null: Fn<[Pointer, number], number>;
  sqlite3_bind_int64: Fn<[Pointer, number, bigint], number>;
  sqlite3_bind_double: Fn<[Pointer, number, number], number>;
  sqlite3_bind_text: Fn<[Pointer, number, Uint8Array, number, number], number>;
  sqlite3_bind_blob: Fn<[Pointer, number, Uint8Array, number, number], number>;
  sqlite3_bind_zeroblob: Fn<[Pointer, number, number], number>;
  sqlite3_step: Fn<[Pointer], number>;
  sqlite3_column_count: Fn<[Pointer], number>;
  sqlite3_column_name: Fn<[Pointer, number], Pointer>;
  sqlite3_column_type: Fn<[Pointer, number], number>;
  sqlite3_column_int64: Fn<[Pointer, number], number | bigint>;
  sqlite3_column_double: Fn<[Pointer, number], number>;
  sqlite3_column_text: Fn<[Pointer, number], Pointer>;
  sqlite3_column_blob: Fn<[Pointer, number], Pointer>;
  sqlite3_column_bytes: Fn<[Pointer, number], number>;
  sqlite3_changes64: Fn<[Pointer], number | bigint>;
  sqlite3_last_insert_rowid: Fn<[Pointer], number | bigint>;
}

const SQLITE_OK = 0, SQLITE_ROW = 100, SQLITE_DONE = 101;
const SQLITE_INTEGER = 1, SQLITE_FLOAT = 2, SQLITE_TEXT = 3, SQLITE_BLOB = 4;
const OPEN_READONLY = 0x1, OPEN_READWRITE = 0x2, OPEN_CREATE = 0x4, OPEN_URI = 0x40, OPEN_NOMUTEX = 0x8000;
const PREPARE_PERSISTENT = 0x1;
/** SQLITE_TRANSIENT: SQLite copies bound text and blobs before the call returns. */
const TRANSIENT = -1;
/** The oldest SQLite with the upsert syntax the cache writes with. */
const MIN_VERSION = 3_024_000;

/** An error from SQLite through this driver: `errcode` is SQLite's (extended) result code. */
class SqliteFfiError extends Error {
  readonly code = "ERR_SQLITE_ERROR";
  readonly errcode: number;
  constructor(message: string, errcode: number) {
    super(message);
    this.errcode = errcode;
    this.name = "SqliteError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Out-parameter for `sqlite3 **` and `sqlite3_stmt **`. */
const outPointer = new BigUint64Array(1);
const outBytes = new Uint8Array(outPointer.buffer);
/** Scratch space strings are encoded into before SQLite copies them. */
let scratch = new Uint8Array(4096);

function cString(text: string): Uint8Array {
  return encoder.encode(`${text}\0`);
}

function deno(): DenoFfi {
  // deno-lint-ignore no-explicit-any
  const d = (globalThis as any).Deno as DenoFfi | undefined;
  if (d === undefined || typeof d.dlopen !== "function") {
    throw new Error("Cannot use denoFfiDriver: it runs on Deno only (Deno.dlopen is missing); use the runtime's default driver");
  }
  return d;
}

function libraryCandidates(d: DenoFfi, options: DenoFfiDriverOptions): string[] {
  if (options.library !== undefined) return [options.library];
  let fromEnv: string | undefined;
  try {
    fromEnv = d.env.get("DISKCACHE_SQLITE_LIB");
  } catch {
    // No --allow-env: fall back to the usual names.
  }
  if (fromEnv) return [fromEnv];
  switch (d.build.os) {
    case "darwin":
      return ["/usr/lib/libsqlite3.dylib", "libsqlite3.dylib", "/opt/homebrew/opt/sqlite/lib/libsqlite3.dylib"];
    case "windows":
      return ["sqlite3.dll", "winsqlite3.dll"];
    default:
      return ["libsqlite3.so.0", "libsqlite3.so"];
  }
}

const libraries = new Map<string, Lib>();

function load(options: DenoFfiDriverOptions): Lib {
  const d = deno();
  const candidates = libraryCandidates(d, options);
  const failures: string[] = [];
  for (const path of candidates) {
    const cached = libraries.get(path);
    if (cached !== undefined) return cached;
    let lib: Lib;
    try {
      lib = d.dlopen(path, SYMBOLS as unknown as Record<string, { parameters: string[]; result: string }>).symbols as unknown as Lib;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/permission|allow-ffi|Requires ffi/i.test(message)) {
        throw new Error(`Cannot use denoFfiDriver: FFI access is not allowed; run Deno with --allow-ffi (or use the default driver, node:sqlite, which needs no permission)`, { cause: error });
      }
      failures.push(`${path}: ${message}`);
      continue;
    }
    const version = lib.sqlite3_libversion_number();
    if (version < MIN_VERSION) {
      throw new Error(`Cannot use denoFfiDriver: ${path} is SQLite ${formatVersion(version)}, older than the 3.24 the cache needs; point DISKCACHE_SQLITE_LIB (or the "library" option) at a newer libsqlite3`);
    }
    libraries.set(path, lib);
    return lib;
  }
  throw new Error(
    `Cannot use denoFfiDriver: no SQLite shared library could be loaded (tried ${failures.join("; ")}); install one (Debian/Ubuntu: apt-get install libsqlite3-0) or pass its path as the "library" option or DISKCACHE_SQLITE_LIB`,
  );
}

function formatVersion(n: number): string {
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

/** A 64-bit count as a number when it is safe, as the other drivers report it. */
function toNumber(n: number | bigint): number | bigint {
  return typeof n === "bigint" && n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

function readPointer(): Pointer {
  return deno().UnsafePointer.create(outPointer[0]!);
}

/** One open connection; owns its statements so close() can finalize them. */
class FfiDatabase implements SqliteDatabase {
  readonly #lib: Lib;
  readonly #d: DenoFfi;
  #db: Pointer;
  readonly #statements = new Set<FfiStatement>();

  constructor(lib: Lib, path: string, options: SqliteOpenOptions) {
    this.#lib = lib;
    this.#d = deno();
    const readonly = options.readonly ?? false;
    const target = readonly && options.immutable ? `file:${encodeURI(path)}?immutable=1` : path;
    const flags = (readonly ? OPEN_READONLY : OPEN_READWRITE | OPEN_CREATE) | OPEN_URI | OPEN_NOMUTEX;
    outPointer[0] = 0n;
    const rc = lib.sqlite3_open_v2(cString(target), outBytes, flags, null);
    this.#db = readPointer();
    if (rc !== SQLITE_OK) {
      const error = this.error(rc);
      if (this.#db !== null) lib.sqlite3_close_v2(this.#db);
      this.#db = null;
      throw error;
    }
    lib.sqlite3_extended_result_codes(this.#db, 1);
  }

  /** The connection handle; throws once closed. */
  handle(): Pointer {
    if (this.#db === null) throw new SqliteFfiError("database is not open", 21);
    return this.#db;
  }

  /** An error carrying SQLite's message for `rc`. */
  error(rc: number): SqliteFfiError {
    const lib = this.#lib;
    let message: string | undefined;
    if (this.#db !== null && lib.sqlite3_extended_errcode(this.#db) === rc) {
      const p = lib.sqlite3_errmsg(this.#db);
      if (p !== null) message = this.#d.UnsafePointerView.getCString(p);
    }
    if (message === undefined) {
      const p = lib.sqlite3_errstr(rc);
      message = p === null ? `SQLite error ${rc}` : this.#d.UnsafePointerView.getCString(p);
    }
    return new SqliteFfiError(message, rc);
  }

  exec(sql: string): void {
    const rc = this.#lib.sqlite3_exec(this.handle(), cString(sql), null, null, null);
    if (rc !== SQLITE_OK) throw this.error(this.#lib.sqlite3_extended_errcode(this.#db));
  }

  prepare(sql: string, options?: SqlitePrepareOptions): SqliteStatement {
    const lib = this.#lib;
    const bytes = encoder.encode(sql);
    outPointer[0] = 0n;
    const rc = lib.sqlite3_prepare_v3(this.handle(), bytes, bytes.length, PREPARE_PERSISTENT, outBytes, null);
    if (rc !== SQLITE_OK) throw this.error(rc);
    const stmt = readPointer();
    if (stmt === null) throw new SqliteFfiError(`no statement to prepare in ${JSON.stringify(sql)}`, 21);
    const statement = new FfiStatement(this, lib, this.#d, stmt, options?.arrays ?? false);
    this.#statements.add(statement);
    return statement;
  }

  close(): void {
    if (this.#db === null) return;
    for (const statement of this.#statements) statement.finalize();
    this.#statements.clear();
    const rc = this.#lib.sqlite3_close_v2(this.#db);
    if (rc !== SQLITE_OK) throw this.error(rc);
    this.#db = null;
  }
}

class FfiStatement implements SqliteStatement {
  readonly #owner: FfiDatabase;
  readonly #lib: Lib;
  readonly #d: DenoFfi;
  #stmt: Pointer;
  readonly #arrays: boolean;
  readonly #parameters: number;
  #names: string[] | undefined;

  constructor(owner: FfiDatabase, lib: Lib, d: DenoFfi, stmt: Pointer, arrays: boolean) {
    this.#owner = owner;
    this.#lib = lib;
    this.#d = d;
    this.#stmt = stmt;
    this.#arrays = arrays;
    this.#parameters = lib.sqlite3_bind_parameter_count(stmt);
  }

  finalize(): void {
    if (this.#stmt !== null) this.#lib.sqlite3_finalize(this.#stmt);
    this.#stmt = null;
  }

  /** Binds `params` in order; the statement must be reset. */
  #bind(params: SqliteValue[]): Pointer {
    const stmt = this.#stmt;
    if (stmt === null) throw new SqliteFfiError("statement was finalized: its database is closed", 21);
    const lib = this.#lib;
    if (params.length > this.#parameters) {
      throw new RangeError(`Too many parameters: the statement takes ${this.#parameters}, received ${params.length}`);
    }
    if (params.length < this.#parameters) lib.sqlite3_clear_bindings(stmt);
    for (let i = 0; i < params.length; i++) {
      const value = params[i];
      let rc: number;
      if (value === null || value === undefined) rc = lib.sqlite3_bind_null(stmt, i + 1);
      else if (typeof value === "string") {
        if (scratch.length < value.length * 3) scratch = new Uint8Array(value.length * 3 + 1024);
        const { written } = encoder.encodeInto(value, scratch);
        rc = lib.sqlite3_bind_text(stmt, i + 1, scratch, written, TRANSIENT);
      } else if (typeof value === "number") rc = lib.sqlite3_bind_double(stmt, i + 1, value);
      else if (typeof value === "bigint") {
        if (value < -0x8000000000000000n || value > 0x7fffffffffffffffn) {
          throw new RangeError(`Cannot bind ${value}: SQLite integers are 64-bit`);
        }
        rc = lib.sqlite3_bind_int64(stmt, i + 1, value);
      } else if (value instanceof Uint8Array) {
        rc = value.byteLength === 0
          ? lib.sqlite3_bind_zeroblob(stmt, i + 1, 0)
          : lib.sqlite3_bind_blob(stmt, i + 1, value, value.byteLength, TRANSIENT);
      } else {
        throw new TypeError(`Cannot bind parameter ${i + 1}: expected string, number, bigint, Uint8Array or null, received ${typeof value}`);
      }
      if (rc !== SQLITE_OK) throw this.#owner.error(rc);
    }
    return stmt;
  }

  /** Steps once; SQLITE_ROW or SQLITE_DONE, else resets and throws. */
  #step(stmt: Pointer): number {
    const rc = this.#lib.sqlite3_step(stmt);
    if (rc === SQLITE_ROW || rc === SQLITE_DONE) return rc;
    this.#lib.sqlite3_reset(stmt);
    throw this.#owner.error(rc);
  }

  #column(stmt: Pointer, i: number): SqliteValue {
    const lib = this.#lib;
    switch (lib.sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER: {
        // Deno returns every i64 as a bigint; a safe integer converts to a
        // double exactly, so read it as one and fall back for the rest.
        const d = lib.sqlite3_column_double(stmt, i);
        return d >= -Number.MAX_SAFE_INTEGER && d <= Number.MAX_SAFE_INTEGER ? d : lib.sqlite3_column_int64(stmt, i);
      }
      case SQLITE_FLOAT:
        return lib.sqlite3_column_double(stmt, i);
      case SQLITE_TEXT: {
        const p = lib.sqlite3_column_text(stmt, i);
        const n = lib.sqlite3_column_bytes(stmt, i);
        if (p === null || n === 0) return "";
        return decoder.decode(new Uint8Array(this.#d.UnsafePointerView.getArrayBuffer(p, n)));
      }
      case SQLITE_BLOB: {
        const p = lib.sqlite3_column_blob(stmt, i);
        const n = lib.sqlite3_column_bytes(stmt, i);
        const out = new Uint8Array(n);
        if (p !== null && n > 0) new this.#d.UnsafePointerView(p).copyInto(out);
        return out;
      }
      default:
        return null;
    }
  }

  #row(stmt: Pointer): unknown {
    const count = this.#lib.sqlite3_column_count(stmt);
    if (this.#arrays) {
      const row: SqliteValue[] = new Array(count);
      for (let i = 0; i < count; i++) row[i] = this.#column(stmt, i);
      return row;
    }
    let names = this.#names;
    if (names === undefined || names.length !== count) {
      names = this.#names = [];
      for (let i = 0; i < count; i++) {
        const p = this.#lib.sqlite3_column_name(stmt, i);
        names.push(p === null ? `column${i}` : this.#d.UnsafePointerView.getCString(p));
      }
    }
    const row: Record<string, SqliteValue> = {};
    for (let i = 0; i < count; i++) row[names[i]!] = this.#column(stmt, i);
    return row;
  }

  get(...params: SqliteValue[]): unknown {
    const stmt = this.#bind(params);
    try {
      return this.#step(stmt) === SQLITE_ROW ? this.#row(stmt) : undefined;
    } finally {
      this.#lib.sqlite3_reset(stmt);
    }
  }

  all(...params: SqliteValue[]): unknown[] {
    const stmt = this.#bind(params);
    const rows: unknown[] = [];
    try {
      while (this.#step(stmt) === SQLITE_ROW) rows.push(this.#row(stmt));
    } finally {
      this.#lib.sqlite3_reset(stmt);
    }
    return rows;
  }

  run(...params: SqliteValue[]): SqliteRunResult {
    const stmt = this.#bind(params);
    try {
      while (this.#step(stmt) === SQLITE_ROW);
    } finally {
      this.#lib.sqlite3_reset(stmt);
    }
    const db = this.#owner.handle();
    return { changes: toNumber(this.#lib.sqlite3_changes64(db)), lastInsertRowid: toNumber(this.#lib.sqlite3_last_insert_rowid(db)) };
  }
}

/**
 * A driver over the system's SQLite library through Deno's FFI: the fastest
 * hot path on Deno, opt-in. Needs `--allow-ffi` and libsqlite3 >= 3.24.
 *
 * @param options Where the library is; by default the usual names for the OS.
 * @returns The driver. The library is loaded on the first `open`.
 * @throws {Error} On the first open, when not on Deno, without `--allow-ffi`,
 *   or when no suitable library loads; the message says which and what to do.
 *
 * @example Open a cache on the system's SQLite from Deno
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { denoFfiDriver } from "@diskcache/diskcache/deno";
 * // deno run --allow-read --allow-write --allow-ffi app.ts
 * using cache = new DiskCache("./cache", { driver: denoFfiDriver() });
 * cache.set("k", "v");
 * ```
 */
export function denoFfiDriver(options: DenoFfiDriverOptions = {}): SqliteDriver {
  return {
    name: "deno-ffi",
    open(path: string, openOptions?: SqliteOpenOptions): SqliteDatabase {
      return new FfiDatabase(load(options), path, openOptions ?? {});
    },
    errorCode: sqliteErrorCode,
  };
}
