/**
 * The engine under the public facade: one connection, its cached prepared
 * statements, write transactions with deferred file removal, the settings in
 * force, and opening (schema, pragmas, settings resolution).
 *
 * Operations (`_ops.ts`) are functions over an engine; the facade
 * (`disk_cache.ts`) only validates arguments and calls them.
 *
 * @module
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { clearTimeout, setTimeout } from "node:timers";
import { join, resolve } from "node:path";
import {
  SQLITE_BUSY,
  SQLITE_CANTOPEN,
  SQLITE_CORRUPT,
  SQLITE_FULL,
  SQLITE_LOCKED,
  SQLITE_NOTADB,
  SQLITE_READONLY,
  type SqliteDatabase,
  type SqliteDriver,
  type SqliteStatement,
  type SqliteValue,
} from "./driver.ts";
import { DiskCacheError, describe, Timeout } from "./errors.ts";
import { EVICTION_POLICIES, type EvictionPolicySql } from "./eviction.ts";
import { DROP_TAG_INDEX_SQL, SCHEMA_SQL, TAG_INDEX_SQL } from "./schema.ts";
import {
  DEFAULT_SETTINGS,
  type DiskCacheSettings,
  fromStored,
  METADATA_ROWS,
  SETTING_COLUMNS,
  toStored,
} from "./settings.ts";
import { type FileModes, removeValueFile } from "./disk.ts";

/** What the engine needs to open. */
export interface EngineOptions {
  directory: string | undefined;
  driver: SqliteDriver;
  timeout: number;
  clock: () => number;
  settings: Partial<DiskCacheSettings>;
  readonly: boolean;
  modes: FileModes;
}

/**
 * How often (ms of the cache's clock) pending LRU/LFU accesses are written
 * when this connection does not write otherwise: a process that only reads
 * must still move its hot keys away from eviction.
 */
export const ACCESS_FLUSH_MS = 1000;

/** A hit not yet written: the row's store_time (it identifies the row with its rowid), and the access time (LRU) or count (LFU). */
interface PendingAccess {
  storeTime: number;
  value: number;
}

/** The connection and everything tied to it. */
export class Engine {
  readonly directory: string;
  readonly dbPath: string;
  readonly driver: SqliteDriver;
  readonly timeout: number;
  readonly clock: () => number;
  /** Permissions of the directories and files this cache creates. */
  readonly modes: FileModes;
  /** Opened with `readonly`: every write throws. */
  readonly readonly: boolean;
  settings: DiskCacheSettings;
  policy: EvictionPolicySql;
  pageSize = 4096;
  /** Last page count read, and how many writes until it is read again (see cullOnWrite). */
  pages = 0;
  pagesFresh = 0;
  /**
   * Hits and misses counted (when `statistics` is on) but not yet added to
   * the Settings table: they ride along with this connection's next write
   * transaction, `stats()` or `close()`, so reads never take the write lock.
   */
  hits = 0;
  misses = 0;
  /** Pending LRU access times or LFU hit counts by rowid (see recordAccess). */
  accesses = new Map<number, PendingAccess>();
  /** When (clock ms) pending accesses were last written or tried. */
  #accessesFlushedAt = 0;
  /** The timer that writes pending accesses of a connection that went idle. */
  #accessTimer: ReturnType<typeof setTimeout> | undefined;
  /** Statements of the hot path, kept out of the statement map; emptied by close(). */
  hot: { get?: SqliteStatement } = {};
  #db: SqliteDatabase | undefined;
  #statements = new Map<string, SqliteStatement>();
  #depth = 0;
  /** Files to remove once the current transaction commits. */
  #removeOnCommit: string[] = [];
  /** Files written for the current transaction, removed if it rolls back. */
  #removeOnRollback: string[] = [];
  #begin!: SqliteStatement;
  #commit!: SqliteStatement;
  #rollback!: SqliteStatement;

  constructor(options: EngineOptions) {
    this.driver = options.driver;
    this.timeout = options.timeout;
    this.clock = options.clock;
    this.readonly = options.readonly;
    this.modes = options.modes;
    this.directory = options.readonly ? existingDirectory(options.directory) : openDirectory(options.directory, options.modes.dirMode);
    this.dbPath = join(this.directory, "cache.db");
    if (!options.readonly && !existsSync(this.dbPath)) {
      // SQLite creates the -wal and -shm files with the database file's mode.
      try {
        closeSync(openSync(this.dbPath, "a", options.modes.fileMode));
      } catch (error) {
        throw this.fileError(error, "open cache");
      }
    }
    if (options.readonly && !existsSync(this.dbPath)) {
      throw new DiskCacheError(`Cannot open cache read-only: "${this.dbPath}" does not exist; open it once writable first`);
    }
    this.settings = this.#open(options.readonly, false, options.settings);
    this.policy = EVICTION_POLICIES[this.settings.evictionPolicy];
    this.#accessesFlushedAt = this.clock();
    this.#begin = this.prepare("BEGIN IMMEDIATE");
    this.#commit = this.prepare("COMMIT");
    this.#rollback = this.prepare("ROLLBACK");
  }

  /**
   * Opens the connection and initializes it. A read-only open that SQLite
   * refuses (a WAL database on read-only media has no `-shm` file to map)
   * is retried as immutable.
   */
  #open(readonly: boolean, immutable: boolean, settings: Partial<DiskCacheSettings>): DiskCacheSettings {
    try {
      this.#db = this.driver.open(this.dbPath, { readonly, immutable });
      return this.#init(settings);
    } catch (error) {
      this.#db?.close();
      this.#db = undefined;
      if (readonly && this.driver.errorCode(error) === SQLITE_CANTOPEN) {
        if (!immutable) return this.#open(true, true, settings);
        throw new DiskCacheError(
          `Cannot open cache read-only: SQLite cannot open "${this.dbPath}" with ${this.driver.name}; on read-only media a WAL database opens only as immutable, which node:sqlite and bun:sqlite support and better-sqlite3 does not (use Node >= 22.13, or make the directory writable)`,
          { cause: error },
        );
      }
      throw this.translate(error, "open cache");
    }
  }

  /** The open connection, or a clear error after `close()`. */
  db(op: string): SqliteDatabase {
    if (this.#db === undefined) {
      throw new DiskCacheError(`Cannot ${op}: the cache at "${this.directory}" is closed; open a new DiskCache`);
    }
    return this.#db;
  }

  /** A prepared statement, compiled once per connection; `arrays` rows come back as arrays. */
  prepare(sql: string, arrays = false): SqliteStatement {
    const key = arrays ? `[] ${sql}` : sql;
    let stmt = this.#statements.get(key);
    if (stmt === undefined) {
      stmt = this.db("prepare a statement").prepare(sql, arrays ? { arrays } : undefined);
      this.#statements.set(key, stmt);
    }
    return stmt;
  }

  /** Current time in seconds, as stored in the database. */
  now(): number {
    return this.clock() / 1000;
  }

  /**
   * The expiry, in epoch seconds, of an item given `ttl` ms from `ms` (default
   * the clock). Added in milliseconds, then divided once: `now + ttl / 1000`
   * can round below the instant the clock later reads (1000.006 + 0.074 is
   * 1000.0799999999999), and `expire()` would remove the item at that instant.
   */
  expireAt(ttl: number, ms: number = this.clock()): number {
    return (ms + ttl) / 1000;
  }

  /** Removes `filename` after the current transaction commits. */
  removeLater(filename: string): void {
    this.#removeOnCommit.push(filename);
  }

  /**
   * Runs `fn` inside one `BEGIN IMMEDIATE` transaction (joining the one in
   * progress, if any). `newFile`, a value file written for this write, is
   * removed if the transaction cannot start or rolls back.
   */
  /** Throws the read-only error before a write touches anything. */
  assertWritable(op: string): void {
    if (this.readonly) {
      throw new DiskCacheError(`Cannot ${op}: the cache at "${this.directory}" was opened read-only; open it without "readonly" to write`);
    }
  }

  write<T>(op: string, fn: () => T, newFile?: string | null): T {
    if (this.readonly) {
      if (newFile) removeValueFile(this.directory, newFile);
      this.assertWritable(op);
    }
    if (newFile) this.#removeOnRollback.push(newFile);
    if (this.#depth > 0) return fn();
    this.db(op);
    try {
      this.#begin.run();
    } catch (error) {
      this.#discard();
      throw this.translate(error, op);
    }
    this.#depth = 1;
    let result: T;
    try {
      if (this.accesses.size !== 0) this.#flushAccesses();
      // Pending counts first, so a reset inside fn() resets them too.
      if (this.hits !== 0 || this.misses !== 0) this.#flushStats();
      result = fn();
      if (this.hits !== 0 || this.misses !== 0) this.#flushStats();
      this.#commit.run();
    } catch (error) {
      this.#depth = 0;
      try {
        this.#rollback.run();
      } catch { /* already rolled back by SQLite */ }
      this.#unlinkedWhenFull = this.driver.errorCode(error) === SQLITE_FULL ? this.#removeOnCommit.slice() : [];
      this.#discard();
      throw this.translate(error, op);
    }
    this.#depth = 0;
    this.#removeOnRollback.length = 0;
    const done = this.#removeOnCommit;
    if (done.length > 0) {
      this.#removeOnCommit = [];
      for (const name of done) removeValueFile(this.directory, name);
    }
    return result;
  }

  /** Value files of the rows a write was removing when it failed with SQLITE_FULL (see removeWrite). */
  #unlinkedWhenFull: string[] = [];

  /**
   * {@linkcode Engine.write} for an operation that only removes items
   * (`delete`, `clear`, `evict`, `expire`, `cull`), so that removing works on
   * a disk the cache's own value files have filled: SQLite needs room for
   * the WAL frames of even a DELETE. When the transaction fails with
   * SQLITE_FULL, the value files of the rows it was deleting are unlinked at
   * once, then the transaction runs once more. Those items are being removed
   * anyway, so nothing acknowledged is lost: if the retry fails too, each row
   * whose file is gone reads as a miss (`pull` and `check({ fix: true })` drop
   * it). Only files of rows this call deletes are touched (never the old file
   * of a value being replaced), and never inside an enclosing transaction,
   * which may still roll back and keep them.
   */
  removeWrite<T>(op: string, fn: () => T): T {
    if (this.#depth > 0) return this.write(op, fn);
    this.#unlinkedWhenFull = [];
    try {
      return this.write(op, fn);
    } catch (error) {
      const files = this.#unlinkedWhenFull;
      this.#unlinkedWhenFull = [];
      if (files.length === 0) throw error;
      for (const name of files) removeValueFile(this.directory, name);
      return this.write(op, fn);
    }
  }

  /**
   * Runs `fn` in one transaction: a throw rolls back everything it wrote, and
   * removes the value files it created. Nested calls run in savepoints, so an
   * inner throw caught by the outer function undoes only the inner part.
   * An `async` function is refused before it runs (its writes after an
   * `await` would land outside the transaction). A plain function that
   * returns a promise cannot be told apart up front: what it wrote before
   * returning is rolled back, but what its promise writes later is not.
   */
  transact<T>(fn: () => T): T {
    if (isAsyncFunction(fn)) {
      throw new TypeError(
        "Cannot transact: the callback is an async function; transactions hold the database's write lock, so the callback must be synchronous (nothing was run)",
      );
    }
    const checked = () => {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === "function") {
        throw new TypeError(
          "Cannot transact: the callback returned a promise; transactions hold the database's write lock, so the callback must be synchronous",
        );
      }
      return result;
    };
    if (this.#depth === 0) return this.write("transact", checked);
    const db = this.db("transact");
    const name = `diskcache_${this.#depth}`;
    const commitMark = this.#removeOnCommit.length;
    const rollbackMark = this.#removeOnRollback.length;
    db.exec(`SAVEPOINT ${name}`);
    this.#depth++;
    try {
      const result = checked();
      db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      this.#removeOnCommit.length = commitMark;
      for (const file of this.#removeOnRollback.splice(rollbackMark)) removeValueFile(this.directory, file);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  #reading = false;

  /**
   * Inside a {@linkcode Engine.read} snapshot (not a write transaction): the
   * value files found missing before this snapshot began, and whether the
   * snapshot may still be restarted. See `readFresh` in `_fresh.ts`.
   */
  snapshot: { vanished: Set<string>; restartable: boolean } | undefined;

  /**
   * Runs `fn` (reads only) in one read transaction, so it sees one snapshot;
   * inside a write transaction it simply joins it. A value file that
   * vanished under the snapshot (another process replaced the item and
   * removed the old file after its commit) restarts `fn` in a fresh snapshot
   * ({@linkcode RestartRead}), a bounded number of times.
   */
  read<T>(op: string, fn: () => T): T {
    if (this.#depth > 0 || this.#reading) return fn();
    const db = this.db(op);
    const snapshot = { vanished: new Set<string>(), restartable: true };
    const hits = this.hits, misses = this.misses; // a restart reads everything again: count it once
    for (let restarts = 0; ; restarts++) {
      this.hits = hits;
      this.misses = misses;
      try {
        db.exec("BEGIN");
      } catch (error) {
        throw this.translate(error, op);
      }
      this.#reading = true;
      this.snapshot = snapshot;
      snapshot.restartable = restarts < READ_RESTARTS;
      try {
        return fn();
      } catch (error) {
        if (!(error instanceof RestartRead)) throw error;
        snapshot.vanished.add(error.filename);
      } finally {
        this.#reading = false;
        this.snapshot = undefined;
        db.exec("COMMIT");
      }
    }
  }

  /** Writes changed settings for every process and applies them to this connection. */
  updateSettings(changes: Partial<DiskCacheSettings>): void {
    const names = Object.keys(changes) as (keyof DiskCacheSettings)[];
    if (names.length === 0) return;
    this.write("update settings", () => {
      const put = this.prepare("INSERT OR REPLACE INTO Settings VALUES (?, ?)");
      for (const name of names) put.run(SETTING_COLUMNS[name], toStored(changes[name]!));
      if (changes.evictionPolicy !== undefined) {
        const init = EVICTION_POLICIES[changes.evictionPolicy].init;
        if (init !== null) this.db("update settings").exec(init);
      }
      if (changes.tagIndex !== undefined) this.db("update settings").exec(changes.tagIndex ? TAG_INDEX_SQL : DROP_TAG_INDEX_SQL);
    });
    this.#apply({ ...this.settings, ...changes });
  }

  /** Re-reads every setting from the Settings table. */
  reloadSettings(): void {
    const next = { ...this.settings };
    for (const name of Object.keys(SETTING_COLUMNS) as (keyof DiskCacheSettings)[]) {
      const stored = this.readSetting(SETTING_COLUMNS[name]);
      if (stored !== undefined) (next as Record<string, unknown>)[name] = fromStored(name, stored);
    }
    this.#apply(next);
  }

  #apply(next: DiskCacheSettings): void {
    const db = this.db("apply settings");
    const before = this.settings;
    if (this.accesses.size !== 0 && next.evictionPolicy !== before.evictionPolicy) this.accesses.clear();
    this.settings = next;
    this.policy = EVICTION_POLICIES[next.evictionPolicy];
    this.hot = {};
    if (next.sqliteSynchronous !== before.sqliteSynchronous) db.exec(`PRAGMA synchronous = ${next.sqliteSynchronous}`);
    if (next.sqliteCacheSize !== before.sqliteCacheSize) db.exec(`PRAGMA cache_size = ${next.sqliteCacheSize}`);
    if (next.sqliteMmapSize !== before.sqliteMmapSize) db.exec(`PRAGMA mmap_size = ${next.sqliteMmapSize}`);
    if (next.sqliteJournalMode !== before.sqliteJournalMode && !this.inTransaction) {
      db.prepare(`PRAGMA journal_mode = ${next.sqliteJournalMode}`).get();
    }
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  /**
   * Records a cache hit of the row `rowid` stored at `storeTime` (seconds)
   * for the LRU/LFU policy without taking the write lock: the update rides
   * along with this connection's next write transaction. A connection that
   * only reads writes them itself, if the lock is free at that instant (it
   * never waits): on a hit {@linkcode ACCESS_FLUSH_MS} after the last
   * write, past 1,000 pending rows, and from a timer once it goes idle.
   */
  recordAccess(rowid: number, storeTime: number): void {
    if (this.readonly) return;
    const now = this.clock();
    const lru = this.settings.evictionPolicy === "least-recently-used";
    const seen = this.accesses.get(rowid);
    if (seen !== undefined && seen.storeTime === storeTime) seen.value = lru ? now / 1000 : seen.value + 1;
    else this.accesses.set(rowid, { storeTime, value: lru ? now / 1000 : 1 });
    if (this.#depth !== 0 || this.#reading) return;
    if (this.accesses.size >= 1000 || now - this.#accessesFlushedAt >= ACCESS_FLUSH_MS) this.#tryFlushAccesses();
    if (this.#accessTimer === undefined && this.accesses.size !== 0) this.#armAccessTimer();
  }

  #armAccessTimer(): void {
    this.#accessTimer = setTimeout(() => {
      this.#accessTimer = undefined;
      // Timers run between synchronous calls: never inside a transaction,
      // and close() clears this one.
      if (this.accesses.size === 0) return;
      this.#tryFlushAccesses();
      if (this.accesses.size !== 0) this.#armAccessTimer();
    }, ACCESS_FLUSH_MS);
    // Never keeps a process alive: close() writes what is still pending.
    this.#accessTimer.unref?.();
  }

  /**
   * Writes pending accesses and statistics now if the write lock is free;
   * when another connection holds it, gives up at once and keeps them.
   */
  #tryFlushAccesses(): void {
    this.#accessesFlushedAt = this.clock();
    const db = this.db("get");
    db.exec("PRAGMA busy_timeout = 0");
    try {
      this.write("get", () => {});
    } catch {
      // Another process holds the lock: keep the updates for the next write.
    } finally {
      db.exec(`PRAGMA busy_timeout = ${this.#busyTimeout()}`);
    }
  }

  /**
   * Applies pending accesses to rows that are still the ones read: a rowid
   * alone is not enough, as SQLite reuses the rowid of a deleted row, and a
   * count read from "x" would land on "y"; a replaced row has a new
   * store_time, and its old hits are dropped too.
   */
  #flushAccesses(): void {
    const lru = this.settings.evictionPolicy === "least-recently-used";
    const stmt = this.prepare(
      lru
        ? "UPDATE Cache SET access_time = max(access_time, ?) WHERE rowid = ? AND store_time = ?"
        : "UPDATE Cache SET access_count = access_count + ? WHERE rowid = ? AND store_time = ?",
    );
    for (const [rowid, { storeTime, value }] of this.accesses) stmt.run(lru ? value : BigInt(value), rowid, storeTime);
    this.accesses.clear();
    this.#accessesFlushedAt = this.clock();
  }

  #busyTimeout(): number {
    return Math.min(Math.round(this.timeout), 2 ** 31 - 1);
  }

  #discard(): void {
    for (const name of this.#removeOnRollback) removeValueFile(this.directory, name);
    this.#removeOnRollback.length = 0;
    this.#removeOnCommit.length = 0;
  }

  /** Turns a binding error into one of ours (Timeout, DiskCacheError) or passes it on. */
  translate(error: unknown, op: string): unknown {
    if (error instanceof DiskCacheError || error instanceof TypeError || error instanceof RangeError) return error;
    const code = this.driver.errorCode(error);
    if (code === undefined) return error;
    const msg = (error as Error).message;
    switch (code) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return new Timeout(
          `Cannot ${op}: the database "${this.dbPath}" stayed locked by another connection for more than ${this.timeout} ms; retry, raise the "timeout" option, or spread writers over a FanoutCache`,
          { cause: error },
        );
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return new DiskCacheError(
          `Cannot ${op}: the database "${this.dbPath}" is corrupt (${msg}); move the directory aside and open a fresh cache (a cache's data is disposable)`,
          { cause: error },
        );
      case SQLITE_FULL:
        return new DiskCacheError(`Cannot ${op}: the disk holding "${this.directory}" is full; free space and retry`, { cause: error });
      case SQLITE_READONLY:
      case SQLITE_CANTOPEN:
        return new DiskCacheError(
          `Cannot ${op}: the database "${this.dbPath}" cannot be written or opened (${msg}); check the directory's permissions, or open it with { readonly: true }`,
          { cause: error },
        );
      default:
        return new DiskCacheError(`Cannot ${op}: SQLite failed on "${this.dbPath}": ${msg}`, { cause: error });
    }
  }

  /** Turns a file-system error of a value file into one of ours. */
  fileError(error: unknown, op: string): unknown {
    const code = (error as { code?: string }).code;
    if (code === "ENOSPC" || code === "EDQUOT") {
      return new DiskCacheError(`Cannot ${op}: the disk holding "${this.directory}" is full; free space and retry`, { cause: error });
    }
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
      return new DiskCacheError(
        `Cannot ${op}: "${this.directory}" cannot be written (${code}); check its permissions, or open it with { readonly: true }`,
        { cause: error },
      );
    }
    return error;
  }

  /** Reads one Settings row. */
  readSetting(key: string): SqliteValue | undefined {
    const row = this.prepare("SELECT value FROM Settings WHERE key = ?").get(key) as { value: SqliteValue } | null | undefined;
    return row?.value ?? undefined;
  }

  /** Closes the connection; later calls throw. */
  #flushStats(): void {
    const add = this.prepare("UPDATE Settings SET value = value + ? WHERE key = ?");
    add.run(BigInt(this.hits), "hits");
    add.run(BigInt(this.misses), "misses");
    this.hits = this.misses = 0;
  }

  /**
   * Adds pending hit and miss counts (and accesses) to the database now if
   * the write lock is free; when another connection holds it, gives up at
   * once and keeps them pending (`stats()` adds them to what it reads).
   */
  flushStats(): void {
    if ((this.hits !== 0 || this.misses !== 0) && !this.readonly && this.#depth === 0 && !this.#reading) this.#tryFlushAccesses();
  }

  /**
   * Called first thing by `close()`: an in-flight `setStream` or `setFile`
   * stops reading its source and removes its unfinished value file.
   */
  readonly onClose: Set<() => void> = new Set();

  close(): void {
    const db = this.#db;
    if (db === undefined) return;
    for (const abort of this.onClose) abort();
    this.onClose.clear();
    if (this.#accessTimer !== undefined) clearTimeout(this.#accessTimer);
    this.#accessTimer = undefined;
    // Best effort, as statistics and access times are: a close never waits
    // for (nor fails because of) another process holding the lock.
    if ((this.accesses.size !== 0 || this.hits !== 0 || this.misses !== 0) && !this.readonly && this.#depth === 0) this.#tryFlushAccesses();
    this.#db = undefined;
    this.#statements.clear();
    this.hot = {};
    db.close();
  }

  /** Pragmas, schema and settings; retried while another process initializes. */
  #init(options: Partial<DiskCacheSettings>): DiskCacheSettings {
    const db = this.#db!;
    db.exec(`PRAGMA busy_timeout = ${this.#busyTimeout()}`);
    const deadline = Date.now() + this.timeout;
    for (;;) {
      try {
        return this.#initOnce(db, options);
      } catch (error) {
        const code = this.driver.errorCode(error);
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

  #initReadonly(db: SqliteDatabase, tables: number, options: Partial<DiskCacheSettings>): DiskCacheSettings {
    if (tables < 2) throw new DiskCacheError(`Cannot open cache read-only: "${this.dbPath}" is not a cache database`);
    if (Object.keys(options).length > 0) {
      throw new TypeError(`Cannot open cache read-only with settings (${Object.keys(options).join(", ")}): settings are written to the cache; drop them or open writable`);
    }
    const settings = { ...DEFAULT_SETTINGS } as DiskCacheSettings;
    for (const row of db.prepare("SELECT key, value FROM Settings").all() as { key: string; value: SqliteValue }[]) {
      const name = (Object.keys(SETTING_COLUMNS) as (keyof DiskCacheSettings)[]).find((n) => SETTING_COLUMNS[n] === row.key);
      if (name !== undefined) (settings as unknown as Record<string, unknown>)[name] = fromStored(name, row.value);
    }
    db.exec(`PRAGMA cache_size = ${settings.sqliteCacheSize}`);
    db.exec(`PRAGMA mmap_size = ${settings.sqliteMmapSize}`);
    this.pageSize = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
    return settings;
  }

  #initOnce(db: SqliteDatabase, options: Partial<DiskCacheSettings>): DiskCacheSettings {
    const hasTables = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name IN ('Settings', 'Cache')").get() as { n: number };
    if (this.readonly) return this.#initReadonly(db, hasTables.n, options);
    const stored = new Map<string, SqliteValue>();
    if (hasTables.n === 2) {
      for (const row of db.prepare("SELECT key, value FROM Settings").all() as { key: string; value: SqliteValue }[]) {
        stored.set(row.key, row.value);
      }
    }
    const settings = { ...DEFAULT_SETTINGS } as DiskCacheSettings;
    const changed: (keyof DiskCacheSettings)[] = [];
    for (const name of Object.keys(SETTING_COLUMNS) as (keyof DiskCacheSettings)[]) {
      const column = SETTING_COLUMNS[name];
      let fromDb: DiskCacheSettings[typeof name] | undefined;
      try {
        fromDb = stored.has(column) ? fromStored(name, stored.get(column)) : undefined;
      } catch (error) {
        if (options[name] === undefined) throw error; // else the option overwrites what this version cannot read
      }
      const wanted = options[name] ?? fromDb ?? DEFAULT_SETTINGS[name];
      (settings as unknown as Record<string, unknown>)[name] = wanted;
      if (fromDb === undefined || fromDb !== wanted) changed.push(name);
    }
    if (hasTables.n < 2) {
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
    this.pageSize = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
    const policy = EVICTION_POLICIES[settings.evictionPolicy];
    const metadataMissing = METADATA_ROWS.some((key) => !stored.has(key));
    // python-diskcache writes its triggers with double-quoted string literals
    // ("count"), which SQLite builds without DQS (node:sqlite's) reject. The
    // same triggers with single quotes mean the same to every SQLite.
    const dqsTriggers = hasTables.n === 2
      ? (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'Settings_%' AND sql LIKE '%"%'`)
        .all() as { name: string }[]).map((r) => r.name)
      : [];
    if (
      hasTables.n === 2 && changed.length === 0 && !metadataMissing && dqsTriggers.length === 0 &&
      !needsSchemaWork(db, settings)
    ) {
      return settings;
    }
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const name of dqsTriggers) db.exec(`DROP TRIGGER IF EXISTS ${name}`);
      for (const sql of SCHEMA_SQL) db.exec(sql);
      if (policy.init !== null) db.exec(policy.init);
      db.exec(settings.tagIndex ? TAG_INDEX_SQL : DROP_TAG_INDEX_SQL);
      const put = db.prepare("INSERT OR REPLACE INTO Settings VALUES (?, ?)");
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
    return settings;
  }
}

/** How many times one {@linkcode Engine.read} restarts after a value file vanished under it. */
const READ_RESTARTS = 20;

/**
 * Thrown inside {@linkcode Engine.read} when a value file its snapshot names
 * is gone: only a fresh snapshot can tell a replaced value from a lost file.
 */
export class RestartRead extends Error {
  /** The value file found missing. */
  readonly filename: string;
  constructor(filename: string) {
    super(`value file ${filename} vanished under a read snapshot`);
    this.filename = filename;
  }
}

/** True when an index the settings want is missing or one they do not want exists. */
function needsSchemaWork(db: SqliteDatabase, settings: DiskCacheSettings): boolean {
  const names = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name),
  );
  const policy = EVICTION_POLICIES[settings.evictionPolicy];
  const policyIndex = policy.init?.match(/EXISTS (\w+)/)?.[1];
  if (policyIndex !== undefined && !names.has(policyIndex)) return true;
  return settings.tagIndex !== names.has("Cache_tag_rowid");
}

/** True for `async function` and async arrows (not for a plain function returning a promise). */
function isAsyncFunction(fn: unknown): boolean {
  const tag = Object.prototype.toString.call(fn);
  return tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]";
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepBuffer, 0, 0, ms);
}

function existingDirectory(directory: string | undefined): string {
  if (directory === undefined) throw new TypeError(`Cannot open cache read-only: "directory" is required`);
  const full = resolve(directory);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch (error) {
    throw new DiskCacheError(`Cannot open cache read-only: directory ${describe(directory)} does not exist or cannot be read`, { cause: error });
  }
  if (!isDir) throw new DiskCacheError(`Cannot open cache read-only: "directory" must be a directory, but ${describe(directory)} is a file`);
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
