/**
 * Opening a cache: the directory (created, or checked when read-only), the
 * database file, the connection (a read-only open that SQLite refuses is
 * retried as immutable), pragmas, the schema and its migrations, and the
 * settings in force, read by the one settings loader (`engine/settings_store.ts`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { SQLITE_BUSY, SQLITE_CANTOPEN, SQLITE_LOCKED, SQLITE_READONLY, type SqliteDatabase, type SqliteDriver, type SqliteValue } from "../driver.ts";
import { describe, DiskCacheError } from "../errors.ts";
import { EVICTION_POLICIES } from "../eviction.ts";
import { DROP_TAG_INDEX_SQL, SCHEMA_SQL, TAG_INDEX_SQL } from "../format/schema.ts";
import { DEFAULT_SETTINGS, type DiskCacheSettings, METADATA_ROWS, SETTING_COLUMNS, toStored } from "../settings.ts";
import type { FileModes } from "../format/value_files.ts";
import { type ErrorPlace, translateFileError, translateSqliteError } from "./_translate_error.ts";
import { loadSettings, storedSettings } from "./settings_store.ts";
import { SQL } from "../format/sql.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } = globalThis.process.getBuiltinModule("node:fs");
/** node:os, loaded on the first call: Node loads the module for `getBuiltinModule` (issue 25). */
const tmpdir = (): string => globalThis.process.getBuiltinModule("node:os").tmpdir();
import { sleepSync } from "./_turns.ts";

/** What opening needs. */
export interface EngineOptions {
  directory: string | undefined;
  driver: SqliteDriver;
  timeout: number;
  clock: () => number;
  settings: Partial<DiskCacheSettings>;
  readonly: boolean;
  modes: FileModes;
}

/** An open, initialized connection and what opening learnt. */
export interface Opened {
  directory: string;
  dbPath: string;
  db: SqliteDatabase;
  settings: DiskCacheSettings;
  pageSize: number;
  /** The database file's identity once opened, which writes check (see `Engine.assertSameDatabase`). */
  identity: FileIdentity;
  /** When (`Date.now()`) `identity` was read. */
  identityAt: number;
  /**
   * `PRAGMA data_version` as read before the settings were (undefined on a
   * read-only open): the first write re-reads the settings only when another
   * connection committed since.
   */
  dataVersion: unknown;
}

/** What tells one file from another: its device and inode numbers. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The identity of the file at `path`, or `undefined` when nothing is there. */
export function fileIdentity(path: string): FileIdentity | undefined {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

/** Opens (creating if needed) the cache `options` describe. */
export function openCache(options: EngineOptions): Opened {
  const directory = options.readonly ? existingDirectory(options.directory) : openDirectory(options.directory, options.modes.dirMode);
  try {
    return openIn(directory, options);
  } catch (error) {
    // The temporary directory made for this cache (no directory given) goes with it.
    if (options.directory === undefined) rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

function openIn(directory: string, options: EngineOptions): Opened {
  const dbPath = join(directory, "cache.db");
  const place: ErrorPlace = { driver: options.driver, directory, dbPath, timeout: options.timeout };
  if (!options.readonly && !existsSync(dbPath)) {
    // SQLite creates the -wal and -shm files with the database file's mode.
    try {
      closeSync(openSync(dbPath, "a", options.modes.fileMode));
    } catch (error) {
      throw translateFileError(directory, error, "open cache");
    }
  }
  if (options.readonly && !existsSync(dbPath)) {
    throw new DiskCacheError(`Cannot open cache read-only: "${dbPath}" does not exist; open it once writable first`);
  }
  const connected = connect(place, options, false);
  // Read after the connection opened the file: a file replaced before that is the one opened.
  const identity = fileIdentity(dbPath);
  const identityAt = Date.now();
  if (identity === undefined) {
    connected.db.close();
    throw new DiskCacheError(`Cannot open cache: "${dbPath}" vanished while it was being opened; retry`);
  }
  return { directory, dbPath, identity, identityAt, ...connected };
}

/**
 * Opens the connection and initializes it. A read-only open that SQLite
 * refuses because it cannot create the `-shm` file a WAL database is read
 * through (read-only media: `SQLITE_CANTOPEN`; a directory this process may
 * not write: `SQLITE_READONLY_DIRECTORY`) is retried as immutable, when the
 * cache was closed cleanly: immutable reads skip the `-wal` file, so one
 * that holds writes is refused rather than read around.
 */
function connect(
  place: ErrorPlace,
  options: EngineOptions,
  immutable: boolean,
): { db: SqliteDatabase; settings: DiskCacheSettings; pageSize: number; dataVersion: unknown } {
  const { driver, dbPath } = place;
  let db: SqliteDatabase | undefined;
  try {
    db = driver.open(dbPath, { readonly: options.readonly, immutable });
    return { db, ...initialize(db, options, dbPath) };
  } catch (error) {
    db?.close();
    const code = driver.errorCode(error);
    if (options.readonly && (code === SQLITE_CANTOPEN || (code === SQLITE_READONLY && !immutable))) {
      if (!immutable && driver.supportsImmutable === true) {
        if (walHasFrames(dbPath)) {
          throw new DiskCacheError(
            `Cannot open cache read-only: "${dbPath}" was not closed cleanly or is open in another process (writes are in "${dbPath}-wal"), and SQLite can read them only by creating "${dbPath}-shm", which this process may not do there; read it while no process has it open after one closed it cleanly, or as a user who may write the directory`,
            { cause: error },
          );
        }
        return connect(place, options, true);
      }
      const why = driver.supportsImmutable === true
        ? "and opening it so failed too; check that it is a cache database you may read"
        : `which ${driver.name} does not support (its driver does not declare supportsImmutable); use a driver that does, or make the directory writable`;
      throw new DiskCacheError(
        `Cannot open cache read-only: SQLite cannot open "${dbPath}" with ${driver.name}; on read-only media, or in a directory this process may not write, a WAL database opens only as immutable, ${why}`,
        { cause: error },
      );
    }
    throw translateSqliteError(place, error, "open cache");
  }
}

/** Whether the `-wal` file beside `dbPath` holds frames (more than its 32-byte header): writes a clean close would have checkpointed. */
function walHasFrames(dbPath: string): boolean {
  try {
    return statSync(`${dbPath}-wal`).size > 32;
  } catch {
    return false; // no -wal file: closed cleanly
  }
}

/** The busy timeout pragma's value for a `timeout` in ms. */
export function busyTimeout(timeout: number): number {
  return Math.min(Math.round(timeout), 2 ** 31 - 1);
}

/** SQLite's default `wal_autocheckpoint`, in pages: the most the WAL budget allows. */
const WAL_DEFAULT_PAGES = 1000;
/**
 * The fewest pages between checkpoints, whatever the `sizeLimit` (128 KiB of
 * 4 KiB pages): a checkpoint syncs the database file, and one every few
 * writes doubled a small set's median time (measured with a 1 MB limit: 16
 * pages 2.4x the raw upsert, 32 pages 1.55x, 64 pages 1.36x, SQLite's
 * default 1.28x).
 */
const WAL_MIN_PAGES = 32;

/**
 * The write-ahead log's share of `sizeLimit` on a connection, in pages: a
 * sixteenth of the limit, at least {@linkcode WAL_MIN_PAGES} and at most
 * SQLite's default (1000 pages, about 4 MB of 4 KiB pages). A `sizeLimit` of
 * 64 MB (62.5 MiB) or more keeps SQLite's default.
 */
export function walPages(sizeLimit: number, pageSize: number): number {
  return Math.max(WAL_MIN_PAGES, Math.min(WAL_DEFAULT_PAGES, Math.floor(sizeLimit / 16 / pageSize)));
}

/**
 * Keeps the `-wal` file within a share of `sizeLimit` (see {@linkcode walPages}):
 * `wal_autocheckpoint` checkpoints once the log holds that many pages, and
 * `journal_size_limit` truncates a log that grew past that (a long read or
 * a large transaction held a checkpoint back) when it next restarts. Both are
 * this connection's, not stored settings: python-diskcache's Settings table
 * is unchanged, and each connection derives them from the `sizeLimit` in force.
 */
export function applyWalBudget(db: SqliteDatabase, sizeLimit: number, pageSize: number): void {
  const pages = walPages(sizeLimit, pageSize);
  db.exec(`PRAGMA wal_autocheckpoint = ${pages}`);
  // The size of a log of `pages` frames: its 32-byte header, and each frame's 24-byte header and page.
  db.exec(`PRAGMA journal_size_limit = ${32 + pages * (24 + pageSize)}`);
}

/** Pragmas, schema and settings; retried while another process initializes. */
function initialize(
  db: SqliteDatabase,
  options: EngineOptions,
  dbPath: string,
): { settings: DiskCacheSettings; pageSize: number; dataVersion: unknown } {
  db.exec(`PRAGMA busy_timeout = ${busyTimeout(options.timeout)}`);
  const deadline = Date.now() + options.timeout;
  for (;;) {
    try {
      const { settings, dataVersion } = options.readonly
        ? { settings: initReadonly(db, options.settings, dbPath), dataVersion: undefined }
        : initOnce(db, options.settings);
      const pageSize = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
      if (!options.readonly) applyWalBudget(db, settings.sizeLimit, pageSize);
      return { settings, pageSize, dataVersion };
    } catch (error) {
      const code = options.driver.errorCode(error);
      if ((code === SQLITE_BUSY || code === SQLITE_LOCKED) && Date.now() < deadline) {
        try {
          db.exec("ROLLBACK");
        } catch { /* no transaction open */ }
        sleepSync(1 + Math.random() * 5);
        continue;
      }
      throw error;
    }
  }
}

/** How many of the cache's two tables exist. */
function tableCount(db: SqliteDatabase): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name IN ('Settings', 'Cache')").get() as {
    n: number;
  }).n;
}

function initReadonly(db: SqliteDatabase, options: Partial<DiskCacheSettings>, dbPath: string): DiskCacheSettings {
  if (tableCount(db) < 2) throw new DiskCacheError(`Cannot open cache read-only: "${dbPath}" is not a cache database`);
  if (Object.keys(options).length > 0) {
    throw new TypeError(
      `Cannot open cache read-only with settings (${Object.keys(options).join(", ")}): settings are written to the cache; drop them or open writable`,
    );
  }
  const { settings } = loadSettings(storedSettings(db), {}, DEFAULT_SETTINGS);
  db.exec(`PRAGMA cache_size = ${settings.sqliteCacheSize}`);
  db.exec(`PRAGMA mmap_size = ${settings.sqliteMmapSize}`);
  return settings;
}

/** `PRAGMA data_version` on `db`: it changes when another connection commits. */
function dataVersion(db: SqliteDatabase): unknown {
  return (db.prepare("PRAGMA data_version").get() as { data_version: unknown }).data_version;
}

/**
 * Pragmas, schema and settings of a writable open: the settings in force, and
 * a `PRAGMA data_version` as of which they are the stored ones (the first write
 * reads them again only once it changed; see `Engine`'s settings following).
 */
function initOnce(db: SqliteDatabase, options: Partial<DiskCacheSettings>): { settings: DiskCacheSettings; dataVersion: unknown } {
  // Read before the settings: a commit of another connection after this read changes it. (A
  // switch to WAL below changes it too, which costs a needless second read of the settings.)
  const before = dataVersion(db);
  const tables = tableCount(db);
  const stored = tables === 2 ? storedSettings(db) : new Map<string, SqliteValue>();
  const { settings, changed } = loadSettings(stored, options, DEFAULT_SETTINGS);
  if (tables < 2) {
    // auto_vacuum only takes effect before the first table exists.
    db.exec(`PRAGMA auto_vacuum = ${settings.sqliteAutoVacuum}`);
  }
  const mode = (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode;
  if (mode.toLowerCase() !== settings.sqliteJournalMode) {
    db.prepare(`PRAGMA journal_mode = ${settings.sqliteJournalMode}`).get();
  }
  db.exec(`PRAGMA synchronous = ${settings.sqliteSynchronous}`);
  db.exec(`PRAGMA cache_size = ${settings.sqliteCacheSize}`);
  db.exec(`PRAGMA mmap_size = ${settings.sqliteMmapSize}`);
  const policy = EVICTION_POLICIES[settings.evictionPolicy];
  const metadataMissing = METADATA_ROWS.some((key) => !stored.has(key));
  // python-diskcache writes its triggers with double-quoted string literals
  // ("count"), which SQLite builds without DQS (node:sqlite's) reject. The
  // same triggers with single quotes mean the same to every SQLite.
  const dqsTriggers = tables === 2
    ? (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'Settings_%' AND sql LIKE '%"%'`)
      .all() as { name: string }[]).map((r) => r.name)
    : [];
  if (
    tables === 2 && changed.length === 0 && !metadataMissing && dqsTriggers.length === 0 &&
    !needsSchemaWork(db, settings)
  ) {
    return { settings, dataVersion: before };
  }
  db.exec("BEGIN IMMEDIATE");
  let version = before;
  try {
    // This transaction writes every setting (a new cache): they are the stored ones as of now,
    // while it holds the write lock, after the switch to WAL.
    if (changed.length === Object.keys(SETTING_COLUMNS).length) version = dataVersion(db);
    for (const name of dqsTriggers) db.exec(`DROP TRIGGER IF EXISTS ${name}`);
    for (const sql of SCHEMA_SQL) db.exec(sql);
    if (policy.init !== null) db.exec(policy.init);
    db.exec(settings.tagIndex ? TAG_INDEX_SQL : DROP_TAG_INDEX_SQL);
    const put = db.prepare(SQL.putSetting);
    for (const name of changed) put.run(SETTING_COLUMNS[name], toStored(settings[name]));
    const meta = db.prepare("INSERT OR IGNORE INTO Settings VALUES (?, 0)");
    for (const key of METADATA_ROWS) meta.run(key);
    db.exec("COMMIT");
  } catch (error) {
    try {
      db.exec("ROLLBACK");
    } catch { /* nothing to roll back */ }
    throw error;
  }
  return { settings, dataVersion: version };
}

/** True when an index the settings want is missing or one they do not want exists. */
function needsSchemaWork(db: SqliteDatabase, settings: DiskCacheSettings): boolean {
  const names = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name),
  );
  const policy = EVICTION_POLICIES[settings.evictionPolicy];
  if (policy.index !== null && !names.has(policy.index)) return true;
  return settings.tagIndex !== names.has("Cache_tag_rowid");
}

function existingDirectory(directory: string | undefined): string {
  if (directory === undefined) throw new TypeError(`Cannot open cache read-only: "directory" is required`);
  const full = resolve(directory);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch (error) {
    throw new DiskCacheError(
      `Cannot open cache read-only: directory ${describe(directory)} does not exist or cannot be read`,
      { cause: error },
    );
  }
  if (!isDir) {
    throw new DiskCacheError(
      `Cannot open cache read-only: "directory" must be a directory, but ${describe(directory)} is a file`,
    );
  }
  return full;
}

function openDirectory(directory: string | undefined, mode: number): string {
  if (directory === undefined) return mkdtempSync(join(tmpdir(), "diskcache-"));
  const full = resolve(directory);
  try {
    mkdirSync(full, { recursive: true, mode });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EEXIST" || code === "ENOTDIR") {
      throw new DiskCacheError(
        `Cannot open cache: "directory" must be a directory, but ${describe(directory)} (or one of its parents) is a file`,
        { cause: error },
      );
    }
    throw new DiskCacheError(
      `Cannot open cache: directory ${describe(directory)} cannot be created (${code ?? (error as Error).message}); check the path and its permissions`,
      { cause: error },
    );
  }
  // mkdirSync({ recursive: true }) returns only when a directory is there:
  // on a file it throws EEXIST or ENOTDIR (Node, Deno and Bun alike).
  return full;
}
