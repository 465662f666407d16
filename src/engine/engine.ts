/**
 * The engine under the public facade: one connection, its prepared
 * statements (cached in `engine/_statements.ts`), the settings in force (applied in one place), the counting of
 * reads, and the entry points of transactions.
 *
 * Opening is in `engine/_open.ts`, reading and writing the Settings table in
 * `engine/settings_store.ts`, transactions (and the hooks after the outermost
 * commit or rollback) in `engine/_transactions.ts`, buffered reads and their flush in
 * `engine/_pending_reads.ts`, the page count culling reads in `engine/_page_count.ts`, error
 * translation in `engine/_translate_error.ts`. Operations (`ops/items.ts` and friends) are
 * functions over an engine; the facade (`disk_cache.ts`) only validates
 * arguments and calls them.
 *
 * @module
 */
import type { SqliteDatabase, SqliteDriver, SqliteStatement } from "../driver.ts";
import { DiskCacheError, Timeout } from "../errors.ts";
import { EVICTION_POLICIES, type EvictionPolicySql } from "../eviction.ts";
import type { DiskCacheSettings } from "../settings.ts";
import type { FileModes } from "../format/value_files.ts";
import { applyWalBudget, busyTimeout, type EngineOptions, type FileIdentity, fileIdentity, openCache } from "./_open.ts";
import { applyPragmas, reloadedSettings, SETTINGS_PRINT_SQL, settingsDiffer, writeSettings } from "./settings_store.ts";
import { PendingReads } from "./_pending_reads.ts";
import { translateFileError, translateSqliteError } from "./_translate_error.ts";
import { RestartRead, type TransactionHooks, Transactions, WouldBlock } from "./_transactions.ts";
import { PageCount } from "./_page_count.ts";
import { Statements } from "./_statements.ts";
import { removeAtExit, runAtExit } from "./_exit_flush.ts";
import { LOOK_EVERY_MS, nextTry, sleepSync, WriteTurns } from "./_turns.ts";

export type { EngineOptions };
export { ACCESS_FLUSH_MS } from "./_pending_reads.ts";
export { FAIR_TURNS, WAITING_FILE } from "./_turns.ts";

/** How long (ms) after a write found the database file to be the one opened the next write trusts it without a stat. */
export const IDENTITY_CHECK_MS = LOOK_EVERY_MS;
export { RestartRead };
export { type AtExit, removeAtExit, runAtExit } from "./_exit_flush.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { rmSync } = globalThis.process.getBuiltinModule("node:fs");
const { setTimeout } = globalThis.process.getBuiltinModule("node:timers");

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
  /** Opened without a directory: the temporary directory made for it is removed at close (or the process's exit). */
  readonly temporary: boolean;
  readonly pageSize: number;
  /**
   * Called first thing by `close()`: an in-flight `setStream` or `setFile`
   * stops reading its source and removes its unfinished value file.
   */
  readonly onClose: Set<() => void> = new Set();
  /** The bytes of the database pages, as writes read them to cull. */
  readonly pages: PageCount;
  /** Hooks at the end of the outermost transaction (see `TransactionHooks`). */
  readonly hooks: TransactionHooks;
  #settings: DiskCacheSettings;
  readonly #identity: FileIdentity;
  /**
   * When (`Date.now()`) the database file was last found to be the one opened: at open, then by
   * writes. `Date.now`, not `performance.now`: Node loads its `performance` global on first use, a
   * millisecond or more of a short process's first write (issue 25).
   */
  #identityCheckedAt: number;
  /** When (`Date.now()`, for the same reason) the current outermost write began (see {@linkcode Engine.beginTurn}). */
  #writeAt = 0;
  /** This connection's side of the fair turns at the write lock (`engine/_turns.ts`). */
  readonly #turns: WriteTurns;
  #policy: EvictionPolicySql;
  #pending: PendingReads;
  #db: SqliteDatabase | undefined;
  #statements = new Statements((op) => this.db(op));
  #tx: Transactions;
  /** `PRAGMA data_version`, compiled on the first write. */
  #dataVersion: SqliteStatement | undefined;
  /** What `PRAGMA data_version` said at the last write: a commit of another connection changes it. */
  #seenVersion: unknown;
  /** The stored settings, as {@linkcode SETTINGS_PRINT_SQL} gave them at the last look. */
  #seenSettings: unknown;
  /** Whether the connection's `busy_timeout` is the cache's `timeout` (true) or 0 (see {@linkcode Engine.lockWaits}). */
  #lockWaits = true;
  /** A write taken in fair turns left `busy_timeout` 0: the next read outside a transaction sets it back (see {@linkcode Engine.guardReads}). */
  #readsUnguarded = false;
  /** Stops {@linkcode Engine.atExit} from running at the process's exit (on close). */
  #exitDone: () => void;

  constructor(options: EngineOptions) {
    this.driver = options.driver;
    this.timeout = options.timeout;
    this.clock = options.clock;
    this.readonly = options.readonly;
    this.modes = options.modes;
    this.temporary = options.directory === undefined;
    const opened = openCache(options);
    this.directory = opened.directory;
    this.dbPath = opened.dbPath;
    this.#db = opened.db;
    this.pageSize = opened.pageSize;
    this.#identity = opened.identity;
    this.#identityCheckedAt = opened.identityAt;
    // The data_version read before the settings were: a first write after no other commit need not read them again.
    this.#seenVersion = opened.dataVersion;
    this.#turns = new WriteTurns(this.directory, this.modes.fileMode);
    this.#settings = opened.settings;
    this.#policy = EVICTION_POLICIES[this.#settings.evictionPolicy];
    this.#pending = new PendingReads(this.clock, this);
    this.pages = new PageCount((sql) => this.prepare(sql), this.pageSize);
    const pending = this.#pending;
    this.#tx = new Transactions(this, {
      begun: () => {
        this.#followStoredSettings();
        pending.writeAccesses(this, this.#policy);
        // Pending counts first, so a reset inside the work resets them too.
        pending.writeCounts(this);
      },
      committing: () => pending.writeCounts(this),
    });
    this.hooks = this.#tx;
    const flushDone = runAtExit(this);
    const removeDone = this.temporary ? removeAtExit(this.directory) : undefined;
    this.#exitDone = () => {
      flushDone();
      removeDone?.();
    };
  }

  /** The settings in force on this connection (change them with {@linkcode Engine.updateSettings}). */
  get settings(): Readonly<DiskCacheSettings> {
    return this.#settings;
  }

  // Read-only views of private state: accessor boilerplate, like the getters of deque.ts and index.ts.
  /** The SQL of the eviction policy in force. */
  get policy(): EvictionPolicySql {
    return this.#policy;
  }

  /** Hits counted and not yet written. */
  get hits(): number {
    return this.#pending.hits;
  }

  /** Misses counted and not yet written. */
  get misses(): number {
    return this.#pending.misses;
  }

  /**
   * Inside a {@linkcode Engine.read} snapshot (not a write transaction): the
   * value files found missing before this snapshot began, and whether the
   * snapshot may still be restarted. See `readFresh` in `ops/_fresh_read.ts`.
   */
  get snapshot(): { vanished: Set<string>; restartable: boolean } | undefined {
    return this.#tx.snapshot;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#db === undefined;
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#tx.depth > 0;
  }

  /** The open connection, or a clear error after `close()`. */
  db(op: string): SqliteDatabase {
    if (this.#db === undefined) {
      throw new DiskCacheError(`Cannot ${op}: the cache at "${this.directory}" is closed; open a new DiskCache`);
    }
    return this.#db;
  }

  /** A prepared statement, compiled once per connection (see `Statements.prepare`); reads get their busy handler back first (see {@linkcode Engine.guardReads}). */
  prepare(sql: string, arrays?: "preferred"): SqliteStatement {
    if (this.#readsUnguarded) this.guardReads();
    return this.#statements.prepare(sql, arrays);
  }

  /** The statement of the hottest read: `sql(engine)` is asked again after settings change (see `Statements.hot`). */
  hotStatement(sql: (engine: Engine) => string): SqliteStatement {
    if (this.#readsUnguarded) this.guardReads();
    return this.#statements.hot(sql, this);
  }

  /**
   * Before a read outside a transaction: when a write taken in fair turns
   * left `busy_timeout` 0, sets it back to the cache's `timeout`, so that a
   * read meeting a busy database (another connection recovering the WAL)
   * waits as it always did. Called by {@linkcode Engine.prepare} and
   * {@linkcode Engine.hotStatement}, through which every read finds its
   * statement, and by holders of their own statements before they run
   * them (the memory tier). Costs a flag test unless a contended write
   * came just before.
   */
  guardReads(): void {
    if (this.#readsUnguarded && this.#tx.depth === 0 && !this.closed) this.lockWaits(true);
  }

  /** See `TransactionHost.leaveReadsUnguarded`. */
  leaveReadsUnguarded(): void {
    this.#readsUnguarded = true;
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

  /** Counts a miss (when `statistics` is on). */
  miss(): void {
    if (this.#settings.statistics) this.#pending.misses++;
  }

  /** Counts a hit of the row `rowid` stored at `storeTime` (seconds), for statistics and the LRU/LFU policy. */
  hit(rowid: number, storeTime: number): void {
    if (this.#settings.statistics) this.#pending.hits++;
    if (this.#policy.reads !== null) this.recordAccess(rowid, storeTime);
  }

  /**
   * Records a cache hit for the LRU/LFU policy without taking the write
   * lock: the update rides along with this connection's next write
   * transaction. A connection that only reads writes them itself, if the
   * lock is free at that instant (it never waits): on a hit
   * `ACCESS_FLUSH_MS` after the last write, past 1,000 pending rows, and
   * from a timer once it goes idle.
   */
  recordAccess(rowid: number, storeTime: number): void {
    if (this.readonly) return;
    this.#pending.record(rowid, storeTime, this.#policy, this.#tx.idle);
  }

  /**
   * Throws when the database file is no longer the one this connection
   * opened: the directory was deleted, or the file replaced. SQLite keeps
   * writing into the unlinked file and reports success, and no open ever
   * sees those writes again. The file is stat'ed by a write that comes
   * {@linkcode IDENTITY_CHECK_MS} or more after the last check that found it
   * (a stat on every write cost a tenth to a half of a small `set()`): a
   * write after a pause checks at once, and a steady writer finds out
   * within that time, which is no worse than its writes racing the deletion.
   * Once it failed, every write checks, and fails.
   */
  assertSameDatabase(op: string): void {
    const at = this.#writeAt;
    const since = at - this.#identityCheckedAt;
    if (since >= 0 && since < IDENTITY_CHECK_MS) return; // a clock set back checks at once
    const now = fileIdentity(this.dbPath);
    if (now !== undefined && now.ino === this.#identity.ino && now.dev === this.#identity.dev) {
      this.#identityCheckedAt = at;
      return;
    }
    throw new DiskCacheError(
      `Cannot ${op}: the database "${this.dbPath}" was deleted or replaced after this cache opened it (${
        now === undefined ? "it is gone" : "another file is there now"
      }), so what this cache writes would never be seen again; close this DiskCache and open it again`,
    );
  }

  /** Throws the read-only error before a write touches anything. */
  assertWritable(op: string): void {
    if (this.readonly) {
      throw new DiskCacheError(
        `Cannot ${op}: the cache at "${this.directory}" was opened read-only; open it without "readonly" to write`,
      );
    }
  }

  /**
   * Sets the connection's `busy_timeout` to the cache's `timeout` (`wait`)
   * or to 0, only when it is not so already: the synchronous API waits in
   * SQLite's busy handler, the asynchronous one fails at once and waits on
   * timers ({@linkcode Engine.whenUnlocked}). A program that keeps to one of
   * them never switches; one that mixes them pays one pragma per switch.
   */
  lockWaits(wait: boolean): void {
    if (wait) this.#readsUnguarded = false;
    if (this.#lockWaits === wait) return;
    this.db("lock").exec(`PRAGMA busy_timeout = ${wait ? busyTimeout(this.timeout) : 0}`);
    this.#lockWaits = wait;
  }

  /**
   * Right before the outermost `BEGIN IMMEDIATE` of a write: whether it is
   * contended, and so waits for the lock in fair turns (WAL mode only: in
   * the other journal modes readers hold writers up too, and every write
   * keeps SQLite's busy handler). A synchronous write (not `trying`) that
   * has had the lock to itself while another connection waits first steps
   * aside: until another connection commits, at most until the end of the
   * window in which waiting writes try the lock. See `engine/_turns.ts`.
   */
  beginTurn(trying: boolean): boolean {
    // Date.now(), not performance.now(), on the uncontended path: see #identityCheckedAt (issue 25).
    const at = Date.now();
    this.#writeAt = at;
    const turns = this.#turns;
    if (!turns.contended(at) || this.#settings.sqliteJournalMode !== "wal") return false;
    // A quarter of `timeout` at most: the step aside delays a write that may not wait long.
    const aside = trying ? 0 : Math.min(turns.stepAside(), this.timeout / 4);
    if (aside > 0) {
      const seen = this.#seenVersion;
      const version = this.#dataVersion ??= this.prepare("PRAGMA data_version", "preferred");
      try {
        do sleepSync(0.25); while (Date.now() - at < aside && firstColumn(version.get()) === seen);
      } catch { /* the lock is taken as usual */ }
    }
    return true;
  }

  /** While a write waits for the lock in fair turns: says so to the other connections (see `engine/_turns.ts`). */
  waiting(): void {
    this.#turns.waiting();
  }

  /**
   * Runs `fn` so that its outermost write never waits for the lock (see
   * {@linkcode Transactions.trying}). In WAL mode the connection is left not
   * waiting (the next synchronous write switches back); in the other journal
   * modes readers wait for writers too, so the synchronous API's reads get
   * their busy handler back at once.
   */
  trying<T>(fn: () => T): T {
    try {
      return this.#tx.trying(fn);
    } finally {
      if (this.#settings.sqliteJournalMode !== "wal" && !this.closed) this.lockWaits(true);
    }
  }

  /**
   * Runs `fn` (synchronous calls on this cache) without ever blocking the JS
   * thread on the write lock: when its first write transaction finds the
   * lock held by another connection, `fn` stops right there (nothing of that
   * transaction ran) and runs again after a timer, with backoff, until the
   * lock is free or `timeout` ms passed (then {@linkcode Timeout}, as the
   * synchronous API throws). So `fn` must be safe to run again from the start
   * when it has not written yet: single operations are, and so is
   * `transact(fn)`, which begins before it calls its callback. Reads in WAL
   * mode never wait for writers. Inside `transact()` `fn` just runs (the
   * lock is held).
   */
  async whenUnlocked<T>(op: string, fn: () => T): Promise<T> {
    if (this.inTransaction) return fn();
    const start = performance.now();
    const turns = this.#turns;
    const aside = this.#settings.sqliteJournalMode === "wal" && turns.contended(Date.now()) ? Math.min(turns.stepAside(), this.timeout / 4) : 0;
    if (aside > 0) {
      // Fair turns (engine/_turns.ts): another connection waits, and this one had the lock to itself.
      const seen = this.#seenVersion;
      const version = this.#dataVersion ??= this.prepare("PRAGMA data_version", "preferred");
      try {
        do await new Promise((resolve) => setTimeout(resolve, 1)); while (
          performance.now() - start < aside && !this.closed && firstColumn(version.get()) === seen
        );
      } catch { /* the lock is tried as usual */ }
    }
    for (;;) {
      try {
        return this.trying(fn);
      } catch (error) {
        if (!(error instanceof WouldBlock)) throw error;
        const left = this.timeout - (performance.now() - start);
        if (left <= 0) throw this.translate(error.cause, op);
        turns.waiting();
        await new Promise((resolve) => setTimeout(resolve, nextTry(performance.now() - start, left)));
      }
    }
  }

  /** Runs `fn` in one write transaction (see {@linkcode Transactions.write}). */
  write<T>(op: string, fn: () => T, newFile?: string | null): T {
    return this.#tx.write(op, fn, newFile);
  }

  /** {@linkcode Engine.write} for an operation that only removes items (see {@linkcode Transactions.removeWrite}). */
  removeWrite<T>(op: string, fn: () => T): T {
    return this.#tx.removeWrite(op, fn);
  }

  /** Runs `fn` in one transaction, nested calls in savepoints (see {@linkcode Transactions.transact}). */
  transact<T>(fn: () => T): T {
    return this.#tx.transact(fn);
  }

  /**
   * Runs `fn` in one read snapshot (see {@linkcode Transactions.read}); the
   * hits and misses of a restarted snapshot are counted once.
   */
  read<T>(op: string, fn: () => T): T {
    if (this.#readsUnguarded) this.guardReads();
    const pending = this.#pending;
    const hits = pending.hits, misses = pending.misses;
    return this.#tx.read(op, fn, () => {
      pending.hits = hits;
      pending.misses = misses;
    });
  }

  /** Removes `filename` after the current transaction commits. */
  removeLater(filename: string): void {
    this.#tx.removeLater(filename);
  }

  /**
   * Writes changed settings for every process (as `op`) and applies them to
   * this connection. A new journal mode is applied first and saved only once
   * it is in force (see {@linkcode Engine.#switchJournalMode}).
   */
  updateSettings(changes: Partial<DiskCacheSettings>, op = "update settings"): void {
    const names = Object.keys(changes) as (keyof DiskCacheSettings)[];
    if (names.length === 0) return;
    const next = { ...this.#settings, ...changes };
    const before = this.#settings.sqliteJournalMode;
    const switched = next.sqliteJournalMode !== before && this.#switchJournalMode(op, next.sqliteJournalMode);
    try {
      this.write(op, () => writeSettings(this, op, next, names));
    } catch (error) {
      if (switched) {
        try {
          this.db(op).prepare(`PRAGMA journal_mode = ${before}`).get();
        } catch { /* kept as is: every open applies the stored mode */ }
      }
      throw error;
    }
    this.#apply(next);
  }

  /**
   * Puts journal mode `mode` in force on this connection before it is saved.
   * Saved first, a mode SQLite cannot apply yet (leaving WAL needs every
   * other connection closed) made every later open wait its whole timeout
   * while any connection stayed open; python-diskcache has that trap.
   * Refused, with nothing saved: inside a transaction (SQLite cannot switch
   * there), and while another connection prevents it (a `Timeout`).
   */
  #switchJournalMode(op: string, mode: DiskCacheSettings["sqliteJournalMode"]): true {
    this.assertWritable(op);
    const db = this.db(op);
    this.guardReads();
    if (this.inTransaction) {
      throw new DiskCacheError(
        `Cannot ${op}: "sqliteJournalMode" cannot change inside a transaction (SQLite refuses to switch there); change it outside transact() (nothing was saved)`,
      );
    }
    const was = this.#settings.sqliteJournalMode;
    let now: string;
    try {
      now = String((db.prepare(`PRAGMA journal_mode = ${mode}`).get() as { journal_mode: string }).journal_mode).toLowerCase();
    } catch (error) {
      const ours = this.translate(error, op);
      if (!(ours instanceof Timeout) || was !== "wal") throw ours; // a lock held past the timeout: nothing was saved
      throw new Timeout(
        `Cannot ${op}: "sqliteJournalMode" can change from "${was}" to "${mode}" only while no other connection has the cache at "${this.directory}" open, and another one has; close the other connections (in every process) and retry (nothing was saved)`,
        { cause: error },
      );
    }
    if (now !== mode) {
      throw new DiskCacheError(
        `Cannot ${op}: SQLite kept journal mode "${now}" instead of switching to "${mode}" on "${this.dbPath}"; keep "${was}" (nothing was saved)`,
      );
    }
    return true;
  }

  /** Re-reads every setting from the Settings table. */
  reloadSettings(): void {
    let next: DiskCacheSettings;
    try {
      next = reloadedSettings(this, this.#settings);
    } catch (error) {
      throw this.translate(error, "reload settings"); // a busy database is a Timeout, not a raw "database is locked"
    }
    this.#apply(next);
  }

  /**
   * At the start of each write transaction: applies the settings another
   * connection stored since this one last looked (a second process opened
   * with another `sizeLimit`, or called `updateSettings`), so that this
   * write already culls by them. Costs one `PRAGMA data_version` when no
   * other connection has committed since the last write, and one more
   * single-row read when one has; the settings themselves are re-read only
   * when that row changed.
   */
  #followStoredSettings(): void {
    const version = firstColumn((this.#dataVersion ??= this.prepare("PRAGMA data_version", "preferred")).get());
    if (version === this.#seenVersion) return;
    // (The first write of a connection has seen no version before: not a sign of another writer.)
    if (this.#seenVersion !== undefined) this.#turns.othersCommitted(this.#writeAt);
    this.#seenVersion = version;
    const print = firstColumn(this.prepare(SETTINGS_PRINT_SQL, "preferred").get());
    if (print === this.#seenSettings) return;
    this.#seenSettings = print;
    const next = reloadedSettings(this, this.#settings);
    if (settingsDiffer(next, this.#settings)) this.#apply(next);
  }

  /** The one place settings take effect on this connection. */
  #apply(next: DiskCacheSettings): void {
    const db = this.db("apply settings");
    const before = this.#settings;
    if (next.evictionPolicy !== before.evictionPolicy) this.#pending.dropAccesses();
    this.#settings = next;
    this.#policy = EVICTION_POLICIES[next.evictionPolicy];
    this.#statements.forgetHot();
    applyPragmas(db, next, before, this.inTransaction);
    if (next.sizeLimit !== before.sizeLimit && !this.readonly) applyWalBudget(db, next.sizeLimit, this.pageSize);
  }

  /** Turns a binding error into one of ours (Timeout, DiskCacheError) or passes it on. */
  translate(error: unknown, op: string): unknown {
    return translateSqliteError(this, error, op);
  }

  /** Runs `fn` (a read outside a transaction), throwing what the binding throws translated (see {@linkcode Engine.translate}). */
  translating<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.translate(error, op);
    }
  }

  /** Turns a file-system error of a value file into one of ours. */
  fileError(error: unknown, op: string): unknown {
    return translateFileError(this.directory, error, op);
  }

  /**
   * Adds pending hit and miss counts (and accesses) to the database now if
   * the write lock is free; when another connection holds it, gives up at
   * once and keeps them pending (`stats()` adds them to what it reads).
   */
  flushStats(): void {
    if (this.#pending.counted && !this.readonly && this.#tx.idle) this.#pending.flush();
  }

  /**
   * At the process's normal exit without `close()`: writes pending hits,
   * misses and access times, as `close()` would (best effort: never waits
   * for another process's lock, nor writes inside an open transaction); a
   * temporary cache is closed, which removes its directory.
   */
  atExit(): void {
    if (this.temporary) return this.close(); // removes its directory
    if (this.#db === undefined || this.readonly || !this.#tx.idle) return;
    this.#pending.stop();
    if (this.#pending.any) this.#pending.flush();
  }

  /** Closes the connection; later calls throw. */
  close(): void {
    const db = this.#db;
    if (db === undefined) return;
    this.#exitDone();
    for (const abort of this.onClose) abort();
    this.onClose.clear();
    this.#pending.stop();
    // Best effort, as statistics and access times are: a close never waits
    // for (nor fails because of) another process holding the lock.
    if (this.#pending.any && !this.readonly && !this.inTransaction && !this.temporary) this.#pending.flush();
    this.#db = undefined;
    this.#statements.clear();
    db.close();
    if (this.temporary) removeTemporary(this.directory);
  }
}

/**
 * The first column of a row given as an array or as an object. Its two
 * statements (`PRAGMA data_version`, an aggregate over Settings) always
 * answer exactly one row.
 */
function firstColumn(row: unknown): unknown {
  return Array.isArray(row) ? row[0] : Object.values(row as Record<string, unknown>)[0];
}

/**
 * Removes a temporary cache directory this library made (`mkdtemp`) and
 * everything in it. Best effort: a directory another program holds open
 * (Windows) is left to the system's temporary-file cleanup.
 */
export function removeTemporary(directory: string): void {
  try {
    rmSync(directory, { recursive: true, force: true });
  } catch { /* left to the system */ }
}
