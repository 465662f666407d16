/**
 * Transactions on the engine's connection: `BEGIN IMMEDIATE` write
 * transactions (joined when nested, savepoints for nested `transact()`),
 * read snapshots that restart when a value file vanished under them, value
 * files removed after the outermost commit (or, for files a write created,
 * after a rollback), and hooks run after the outermost commit or rollback.
 *
 * @module
 */
import { SQLITE_BUSY, SQLITE_FULL, SQLITE_LOCKED, type SqliteDatabase, type SqliteDriver, type SqliteStatement } from "../driver.ts";
import { removeValueFile } from "../format/value_files.ts";
import { nextTry, sleepSync } from "./_turns.ts";

/** How many times one read restarts after a value file vanished under it. */
const READ_RESTARTS = 20;

/** What transactions need of the engine. */
export interface TransactionHost {
  readonly directory: string;
  readonly driver: SqliteDriver;
  readonly readonly: boolean;
  /** Whether the connection was closed (by `close()`, perhaps inside a transaction). */
  readonly closed: boolean;
  /** Throws the closed-cache error when closed, else answers the connection. */
  db(op: string): SqliteDatabase;
  /** Throws when the database file is no longer the one opened (see `Engine.assertSameDatabase`). */
  assertSameDatabase(op: string): void;
  prepare(sql: string): SqliteStatement;
  translate(error: unknown, op: string): unknown;
  assertWritable(op: string): void;
  /**
   * Makes the connection's lock waits block (SQLite's busy handler sleeps
   * up to `timeout`) or not (`busy_timeout` 0: a busy lock fails at once).
   * Switches the pragma only when the mode changes, so a program that keeps
   * to one mode pays nothing per write.
   */
  lockWaits(wait: boolean): void;
  /**
   * Right before the outermost `BEGIN IMMEDIATE` (`trying`: of a write that
   * never waits): whether this write is contended, and so takes the lock in
   * fair turns ({@linkcode Transactions.write}); a synchronous one may first
   * step aside for a waiting connection (see `engine/_turns.ts`).
   */
  beginTurn(trying: boolean): boolean;
  /** While a write waits for the lock in fair turns: says so to the other connections. */
  waiting(): void;
  /**
   * After a write taken in fair turns, which left `busy_timeout` 0: the next
   * read outside a transaction sets it back first (see `Engine.guardReads`),
   * and the next contended write keeps it.
   */
  leaveReadsUnguarded(): void;
  /** How long (ms) a write waits for the lock. */
  readonly timeout: number;
}

/** What runs at the edges of the outermost write transaction. */
export interface TransactionEdges {
  /** Right after `BEGIN`, before the work (the engine writes pending reads). */
  begun(): void;
  /** After the work, right before `COMMIT`. */
  committing(): void;
}

/**
 * Thrown inside a read snapshot when a value file its snapshot names is
 * gone: only a fresh snapshot can tell a replaced value from a lost file.
 */
export class RestartRead extends Error {
  /** The value file found missing. */
  readonly filename: string;
  constructor(filename: string) {
    super(`value file ${filename} vanished under a read snapshot`);
    this.filename = filename;
  }
}

/**
 * Hooks at the end of the outermost transaction (savepoints of nested
 * `transact()` calls do not run them), for layers that mirror what the
 * database holds. A hook must not throw.
 */
export interface TransactionHooks {
  /** Run inside the outermost transaction, after its work, right before COMMIT: what they read or write commits with it, or rolls back with it. */
  readonly beforeCommit: Set<() => void>;
  /** Run after the outermost transaction commits. */
  readonly afterCommit: Set<() => void>;
  /** Run after the outermost transaction rolls back. */
  readonly afterRollback: Set<() => void>;
}

/**
 * Thrown by the outermost `BEGIN IMMEDIATE` of a call run through
 * {@linkcode Transactions.trying} when another connection holds the write
 * lock: nothing of the transaction ran. Not a `DiskCacheError`, so that no
 * operation mistakes it for one of its own failures; the asynchronous
 * callers (`Engine.whenUnlocked`) catch it, wait on a timer and run the
 * call again. `cause` is SQLite's busy error.
 */
export class WouldBlock extends Error {
  constructor(cause: unknown) {
    super("the write lock is held by another connection", { cause });
  }
}

/** The transaction state of one connection. */
export class Transactions implements TransactionHooks {
  readonly beforeCommit: Set<() => void> = new Set();
  readonly afterCommit: Set<() => void> = new Set();
  readonly afterRollback: Set<() => void> = new Set();
  /** See `Engine.snapshot`. */
  snapshot: { vanished: Set<string>; restartable: boolean } | undefined;
  #depth = 0;
  #reading = false;
  /** Inside {@linkcode Transactions.trying}: the outermost BEGIN throws {@linkcode WouldBlock} instead of waiting. */
  #trying = false;
  /** Files to remove once the current transaction commits. */
  #removeOnCommit: string[] = [];
  /** Files written for the current transaction, removed if it rolls back. */
  #removeOnRollback: string[] = [];
  /** Value files of the rows a write was removing when it failed with SQLITE_FULL (see removeWrite). */
  #unlinkedWhenFull: string[] = [];
  readonly #host: TransactionHost;
  readonly #edges: TransactionEdges;
  readonly #begin: SqliteStatement;
  readonly #commit: SqliteStatement;
  readonly #rollback: SqliteStatement;

  constructor(host: TransactionHost, edges: TransactionEdges) {
    this.#host = host;
    this.#edges = edges;
    this.#begin = host.prepare("BEGIN IMMEDIATE");
    this.#commit = host.prepare("COMMIT");
    this.#rollback = host.prepare("ROLLBACK");
  }

  /** Whether a write transaction is open. */
  get depth(): number {
    return this.#depth;
  }

  /** Whether nothing is open: neither a write transaction nor a read snapshot. */
  get idle(): boolean {
    return this.#depth === 0 && !this.#reading;
  }

  /**
   * Runs `fn` (synchronous cache calls) so that an outermost write
   * transaction it begins while another connection holds the write lock
   * throws {@linkcode WouldBlock} at once, before anything of it ran,
   * instead of waiting in SQLite's busy handler (which sleeps on the JS
   * thread). Inside an open transaction `fn` simply runs: the lock is held.
   */
  trying<T>(fn: () => T): T {
    if (this.#trying || this.#depth > 0) return fn();
    this.#trying = true;
    try {
      return fn();
    } finally {
      this.#trying = false;
    }
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
  write<T>(op: string, fn: () => T, newFile?: string | null): T {
    const host = this.#host;
    if (host.readonly) {
      if (newFile) removeValueFile(host.directory, newFile);
      host.assertWritable(op);
    }
    if (newFile) this.#removeOnRollback.push(newFile);
    if (this.#depth > 0) return fn();
    host.db(op);
    const trying = this.#trying;
    // A contended synchronous write waits in fair turns, with busy_timeout 0
    // (reads get SQLite's busy handler back before they run); any other keeps
    // the connection's mode, so an uncontended write runs no extra statement.
    let turns = false;
    try {
      turns = host.beginTurn(trying) && !trying;
      host.lockWaits(!trying && !turns);
      if (turns) this.#beginInTurn();
      else this.#begin.run();
    } catch (error) {
      this.#discard();
      if (turns) host.leaveReadsUnguarded();
      if (trying) {
        const code = host.driver.errorCode(error);
        if (code === SQLITE_BUSY || code === SQLITE_LOCKED) throw new WouldBlock(error);
      }
      throw host.translate(error, op);
    }
    this.#depth = 1;
    let result: T;
    try {
      host.assertSameDatabase(op);
      this.#edges.begun();
      result = fn();
      // close() inside fn closed the connection, and so rolled back: the
      // closed-cache error, not whatever the binding says of a commit then.
      host.db(op);
      this.#edges.committing();
      for (const hook of this.beforeCommit) hook();
      this.#commit.run();
    } catch (error) {
      this.#depth = 0;
      try {
        this.#rollback.run();
      } catch { /* already rolled back by SQLite */ }
      this.#unlinkedWhenFull = host.driver.errorCode(error) === SQLITE_FULL ? this.#removeOnCommit.slice() : [];
      this.#discard();
      if (turns) host.leaveReadsUnguarded();
      for (const hook of this.afterRollback) hook();
      throw host.translate(error, op);
    }
    this.#depth = 0;
    if (turns) host.leaveReadsUnguarded();
    this.#removeOnRollback.length = 0;
    const done = this.#removeOnCommit;
    if (done.length > 0) {
      this.#removeOnCommit = [];
      for (const name of done) removeValueFile(host.directory, name);
    }
    for (const hook of this.afterCommit) hook();
    return result;
  }

  /**
   * {@linkcode Transactions.write} for an operation that only removes items
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
      for (const name of files) removeValueFile(this.#host.directory, name);
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
    const db = this.#host.db("transact");
    const name = `diskcache_${this.#depth}`;
    const commitMark = this.#removeOnCommit.length;
    const rollbackMark = this.#removeOnRollback.length;
    db.exec(`SAVEPOINT ${name}`);
    this.#depth++;
    let result: T;
    try {
      result = checked();
      this.#host.db("transact"); // closed inside: see write()
      db.exec(`RELEASE ${name}`);
    } catch (error) {
      // Closing rolled back the whole transaction already.
      if (!this.#host.closed) {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
      }
      this.#removeOnCommit.length = commitMark;
      for (const file of this.#removeOnRollback.splice(rollbackMark)) removeValueFile(this.#host.directory, file);
      throw error;
    } finally {
      this.#depth--;
    }
    return result;
  }

  /**
   * Runs `fn` (reads only) in one read transaction, so it sees one snapshot;
   * inside a write transaction it simply joins it. A value file that
   * vanished under the snapshot (another process replaced the item and
   * removed the old file after its commit) restarts `fn` in a fresh snapshot
   * ({@linkcode RestartRead}), a bounded number of times; `restarting` runs before each
   * restart.
   */
  read<T>(op: string, fn: () => T, restarting: () => void): T {
    if (this.#depth > 0 || this.#reading) return fn();
    const snapshot = { vanished: new Set<string>(), restartable: true };
    for (let restarts = 0;; restarts++) {
      if (restarts > 0) restarting();
      const db = this.#host.db(op); // closed inside the last attempt: the closed-cache error
      try {
        db.exec("BEGIN");
      } catch (error) {
        throw this.#host.translate(error, op);
      }
      this.#reading = true;
      this.snapshot = snapshot;
      snapshot.restartable = restarts < READ_RESTARTS;
      try {
        const result = fn();
        this.#host.db(op); // closed inside: the closed-cache error, not a wrong answer
        return result;
      } catch (error) {
        if (!(error instanceof RestartRead)) throw error;
        snapshot.vanished.add(error.filename);
      } finally {
        this.#reading = false;
        this.snapshot = undefined;
        if (!this.#host.closed) db.exec("COMMIT");
      }
    }
  }

  /**
   * `BEGIN IMMEDIATE` of a contended write (`busy_timeout` 0): while another
   * connection holds the lock, says so (`waiting`) and tries again when
   * turns change hands (`nextTry`: in the first milliseconds of each 10 ms
   * slot, the longest waits first), for up to `timeout` ms, then throws
   * SQLite's busy error (a `Timeout` once translated), as SQLite's busy
   * handler would. SQLite's handler sleeps up to 100 ms between tries, which
   * a writer in a loop never leaves room for.
   */
  #beginInTurn(): void {
    const host = this.#host;
    // The clock is read from the first refusal on: a write that gets the lock at once reads no
    // `performance` (Node loads it on first use, a cost at a short process's first write: issue 25).
    let start: number | undefined;
    for (;;) {
      try {
        this.#begin.run();
        return;
      } catch (error) {
        start ??= performance.now();
        const waited = performance.now() - start;
        const left = host.timeout - waited;
        if (host.driver.errorCode(error) !== SQLITE_BUSY || left <= 0) throw error;
        host.waiting();
        sleepSync(nextTry(waited, left));
      }
    }
  }

  #discard(): void {
    for (const name of this.#removeOnRollback) removeValueFile(this.#host.directory, name);
    this.#removeOnRollback.length = 0;
    this.#removeOnCommit.length = 0;
  }
}

/** True for `async function` and async arrows (not for a plain function returning a promise). */
function isAsyncFunction(fn: unknown): boolean {
  const tag = Object.prototype.toString.call(fn);
  return tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]";
}
