/**
 * Reads counted without taking the write lock: hit and miss statistics, and
 * the access times (LRU) or hit counts (LFU) of rows read. They wait here
 * and ride along with the connection's next write transaction; a connection
 * that only reads has them written when the lock is free (see
 * `Engine.recordAccess`), at the latest from a timer once it goes idle.
 *
 * @module
 */
import type { SqliteDatabase, SqliteStatement } from "../driver.ts";
import { SQL } from "../format/sql.ts";
import { type EvictionPolicySql, pendingReadsSql, recordedRead } from "../eviction.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { clearTimeout, setTimeout } = globalThis.process.getBuiltinModule("node:timers");

/**
 * How often (ms of the cache's clock) pending LRU/LFU accesses are written
 * when this connection does not write otherwise: a process that only reads
 * must still move its hot keys away from eviction.
 */
export const ACCESS_FLUSH_MS = 1000;

/** Most accesses kept pending before a read writes them. */
const MAX_PENDING = 1000;

/** A hit not yet written: the row's store_time (it identifies the row with its rowid), and the access time (LRU) or count (LFU). */
interface PendingAccess {
  storeTime: number;
  value: number;
}

/** Whatever prepares statements on the connection (the engine). */
interface Preparer {
  prepare(sql: string): SqliteStatement;
}

/** The connection pending reads are written through (the engine). */
export interface FlushHost {
  readonly timeout: number;
  db(op: string): SqliteDatabase;
  write(op: string, fn: () => void): void;
  /** Runs `fn` so that its write never waits for the lock (see `Transactions.trying`). */
  trying<T>(fn: () => T): T;
}

/** Hits, misses and accesses not yet written to the database. */
export class PendingReads {
  /** Hits and misses counted (while `statistics` is on) but not yet added to the Settings table. */
  hits = 0;
  misses = 0;
  /** Pending LRU access times or LFU hit counts by rowid. */
  readonly #accesses = new Map<number, PendingAccess>();
  /** When (clock ms) pending accesses were last written or tried. */
  #flushedAt: number;
  /** The timer that writes pending accesses of a connection that went idle. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #clock: () => number;
  readonly #host: FlushHost;

  constructor(clock: () => number, host: FlushHost) {
    this.#clock = clock;
    this.#host = host;
    this.#flushedAt = clock();
  }

  /** Whether hit or miss counts are pending. */
  get counted(): boolean {
    return this.hits !== 0 || this.misses !== 0;
  }

  /** Whether anything at all is pending. */
  get any(): boolean {
    return this.#accesses.size !== 0 || this.hits !== 0 || this.misses !== 0;
  }

  /**
   * Writes pending accesses and statistics now if the write lock is free
   * (the write transaction's start writes them); when another connection
   * holds it, gives up at once and keeps them.
   */
  flush(): void {
    this.#flushedAt = this.#clock();
    this.#host.db("get");
    try {
      this.#host.trying(() => this.#host.write("get", () => {}));
    } catch {
      // Another process holds the lock: keep the updates for the next write.
    }
  }

  /**
   * Records a hit of the row `rowid` stored at `storeTime`, as `policy`
   * records reads; when `idle` (no transaction open), writes the pending
   * accesses if they are many or old, and arms the idle timer.
   */
  record(rowid: number, storeTime: number, policy: EvictionPolicySql, idle: boolean): void {
    const now = this.#clock();
    const seen = this.#accesses.get(rowid);
    const current = seen !== undefined && seen.storeTime === storeTime ? seen : undefined;
    const value = recordedRead(policy, current?.value, now);
    if (value === null) return;
    if (current !== undefined) current.value = value;
    else this.#accesses.set(rowid, { storeTime, value });
    if (!idle) return;
    if (this.#accesses.size >= MAX_PENDING || now - this.#flushedAt >= ACCESS_FLUSH_MS) this.flush();
    if (this.#timer === undefined && this.#accesses.size !== 0) this.#arm();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Timers run between synchronous calls: never inside a transaction,
      // and close() clears this one.
      if (this.#accesses.size === 0) return;
      this.flush();
      if (this.#accesses.size !== 0) this.#arm();
    }, ACCESS_FLUSH_MS);
    // Never keeps a process alive: close() writes what is still pending.
    this.#timer.unref?.();
  }

  /** Forgets pending accesses (the eviction policy changed: they mean something else now). */
  dropAccesses(): void {
    this.#accesses.clear();
  }

  /**
   * Applies pending accesses (inside the current transaction) to rows that
   * are still the ones read: a rowid alone is not enough, as SQLite reuses
   * the rowid of a deleted row, and a count read from "x" would land on "y";
   * a replaced row has a new store_time, and its old hits are dropped too.
   */
  writeAccesses(db: Preparer, policy: EvictionPolicySql): void {
    if (this.#accesses.size === 0) return;
    const write = pendingReadsSql(policy);
    if (write === null) return this.#accesses.clear();
    const stmt = db.prepare(write.sql);
    for (const [rowid, { storeTime, value }] of this.#accesses) stmt.run(write.bind(value), rowid, storeTime);
    this.#accesses.clear();
    this.#flushedAt = this.#clock();
  }

  /** Adds pending hit and miss counts to the Settings table (inside the current transaction). */
  writeCounts(db: Preparer): void {
    if (this.hits === 0 && this.misses === 0) return;
    const add = db.prepare(SQL.addToSetting);
    add.run(BigInt(this.hits), "hits");
    add.run(BigInt(this.misses), "misses");
    this.hits = this.misses = 0;
  }

  /** Stops the idle timer (the connection closes). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
