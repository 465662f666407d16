/**
 * Fair turns at the write lock between connections (WAL mode). SQLite's
 * busy handler sleeps longer and longer between tries (1, 2, 5 ... up to
 * 100 ms), and a connection writing in a loop takes the lock again
 * microseconds after releasing it, so another connection's write could wait
 * until its `timeout` ran out. Only a write that may have to wait pays for
 * the turns:
 *
 * - A write is *contended* for {@linkcode CONTENDED_MS} ms after a sign of
 *   another writer (another connection committed since this one's last
 *   write: `PRAGMA data_version`, which every write reads anyway; or another
 *   connection marked or touched {@linkcode WAITING_FILE} at the last look),
 *   and when the last look is {@linkcode LOOK_EVERY_MS} ms old (a write
 *   after a pause). A contended write takes the lock with `busy_timeout` 0
 *   and waits in its own loop (the engine's `Transactions`), announcing that
 *   it waits: it touches the file (its modification time) at most every
 *   {@linkcode TOUCH_EVERY_MS} ms. Any other write keeps SQLite's busy
 *   handler, so an uncontended write runs exactly as without turns.
 * - Every writer looks at the file at most every {@linkcode LOOK_EVERY_MS}
 *   ms (as often as it checks the database file's identity) and marks it
 *   then (its access time), so a connection that wrote alone learns within
 *   that time that another one writes too. Only a write in those few
 *   milliseconds can still wait unseen in SQLite's busy handler.
 * - Turns change hands at the edges of wall-clock slots of
 *   {@linkcode SLOT_MS} ms, the same for every process: a writer that has had
 *   the lock to itself since before the current slot began, while another
 *   connection announced within {@linkcode FRESH_MS} ms that it waits, steps
 *   aside once in the slot, until another connection commits or the first
 *   {@linkcode STEP_ASIDE_MS} ms of the slot are over. A waiting write tries
 *   the lock twice in those milliseconds, the longest waits first, and sleeps
 *   through the rest: the lock changes hands about once a slot (each change
 *   costs the new holder its page cache), and waiting costs little CPU.
 *
 * The file only ever hints: a process that cannot touch it (another user's
 * file) still waits, in its own loop, and a stale touch is ignored.
 *
 * @module
 */
import { join } from "node:path";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { closeSync, openSync, statSync, utimesSync } = globalThis.process.getBuiltinModule("node:fs");

/** The file writers mark and waiting connections touch, beside `cache.db` (python-diskcache's `check` passes over names holding "cache.db"). */
export const WAITING_FILE = "cache.db-waiting";

/** Least time (ms) between two looks at the waiting file by one connection: the engine's identity-check interval. */
export const LOOK_EVERY_MS = 10;

/** How recent (ms) another connection's touch must be for a writer to step aside. */
export const FRESH_MS = 30;

/** Least time (ms) between two touches of the waiting file by one connection. */
export const TOUCH_EVERY_MS = 5;

/** How long (ms) after the last sign of another writer (its commit, its announcement) this connection's writes stay contended. */
export const CONTENDED_MS = 1000;

/** The length (ms) of a turn: the lock changes hands at most about once a slot while writers queue. */
export const SLOT_MS = 10;

/** How long (ms) into a slot waiting writes try the lock, and a writer in a loop steps aside for them. */
export const STEP_ASIDE_MS = 3;

/** A wait this long (ms) or longer tries first at a slot's edge; shorter ones up to half a millisecond later. */
export const LONG_WAIT_MS = 16 * SLOT_MS;

/**
 * Whether connections of this process take turns: a switch for the
 * benchmark that measures SQLite's busy handler alone beside the turns
 * (bench/sections/fairness.mjs), never for users. Read only where a write
 * looks for other writers, so it costs an uncontended write nothing.
 */
export const FAIR_TURNS: { on: boolean } = { on: true };

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (fractions too). */
export function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

/** The slot (see {@linkcode SLOT_MS}) holding the epoch time `ms`. */
function slotAt(ms: number): number {
  return Math.floor(ms / SLOT_MS);
}

/** The largest `Date.now() - performance.now()` seen (see {@linkcode wallClock}). */
let clockOffset = -Infinity;

/**
 * The epoch time in fractions of a millisecond, on the clock every process
 * of the machine shares. `Date.now()` alone counts whole milliseconds, too
 * coarse to order the tries of waiting writes, and
 * `performance.timeOrigin + performance.now()` drifts away from it (and from
 * other processes') as the system clock is slewed. Each sample of
 * `Date.now() - performance.now()` is at most a millisecond under the true
 * offset: the largest one seen is kept, and dropped when a sample falls more
 * than a millisecond under it (the system clock stepped back).
 */
function wallClock(): number {
  const now = performance.now();
  const offset = Date.now() - now;
  if (offset > clockOffset || offset < clockOffset - 1) clockOffset = offset;
  return now + clockOffset;
}

/**
 * How long (ms) a write that has waited `waited` ms and just found the lock
 * held sleeps before it tries again: it tries twice a slot, a little after
 * the slot's edge (when a writer in a loop steps aside) and a millisecond
 * and a half later, the longer the wait, the sooner (so the longest wait
 * mostly takes the turn); between those tries a writer in a loop keeps its
 * turn. Never more than `left`.
 */
export function nextTry(waited: number, left: number): number {
  const first = 0.05 + 0.5 * Math.max(0, 1 - waited / LONG_WAIT_MS) + 0.05 * Math.random();
  const second = first + 1.5;
  const now = wallClock();
  const into = now - slotAt(now) * SLOT_MS;
  return Math.min(left, into < first ? first - into : into < second ? second - into : SLOT_MS - into + first);
}

/** One connection's side of the turns (see the module documentation). */
export class WriteTurns {
  readonly #file: string;
  readonly #fileMode: number;
  /** `Date.now()` of the last look at the file (the uncontended path reads no `performance`: issue 25). */
  #lookedAt = -Infinity;
  /** Whether another connection announced itself within {@linkcode FRESH_MS} ms at the last look. */
  #waiterSeen = false;
  /** The modification time (epoch ms) this connection last gave the file: its own touches never make it step aside. */
  #touched = 0;
  /** The access time (epoch ms) this connection last gave the file: its own marks never make it contended. */
  #marked = 0;
  /** Until when (`Date.now()`) this connection's writes are contended: {@linkcode CONTENDED_MS} after the last sign of another writer. */
  #contendedUntil = -Infinity;
  /** The slot in which this connection's current run of writes (no other commit between) began, or it last stepped aside. */
  #runSlot = -Infinity;

  constructor(directory: string, fileMode: number) {
    this.#file = join(directory, WAITING_FILE);
    this.#fileMode = fileMode;
  }

  /**
   * Before the outermost `BEGIN IMMEDIATE` of a write starting at `now`
   * (`Date.now()`): whether it is contended, and so takes the lock
   * in the fair loop. Looks at the file when the last look is
   * {@linkcode LOOK_EVERY_MS} old (and then answers true: a write after a
   * pause cannot know who else writes).
   */
  contended(now: number): boolean {
    const since = now - this.#lookedAt;
    if (since >= LOOK_EVERY_MS || since < 0) { // a clock set back looks at once
      this.#lookedAt = now;
      if (!FAIR_TURNS.on) return false;
      this.#look(now);
      return true;
    }
    return now < this.#contendedUntil;
  }

  /** At the start of a write that began at `now` (`Date.now()`): another connection committed since this one's last write. */
  othersCommitted(now: number): void {
    if (!FAIR_TURNS.on) return;
    this.#contendedUntil = now + CONTENDED_MS;
    this.#runSlot = slotAt(wallClock());
  }

  /**
   * Before a contended write: how long (ms) it steps aside first, at most
   * (0: not at all). It does when another connection waits and this one has
   * had the lock to itself since before the current slot: until the end of
   * the window in which waiting writes try the lock, this slot's or, when
   * that is (nearly) over, the next one's. The next step aside comes in a
   * later slot.
   */
  stepAside(): number {
    if (!this.#waiterSeen) return 0;
    const now = wallClock();
    const slot = slotAt(now);
    if (slot <= this.#runSlot) return 0;
    const into = now - slot * SLOT_MS;
    const until = into < STEP_ASIDE_MS - 1 ? STEP_ASIDE_MS - into : SLOT_MS - into + STEP_ASIDE_MS;
    this.#runSlot = slotAt(now + until);
    return until;
  }

  /** While waiting for the lock: says so, by touching the file (best effort), at most every {@linkcode TOUCH_EVERY_MS} ms. */
  waiting(): void {
    const now = Date.now();
    if (now - this.#touched < TOUCH_EVERY_MS) return;
    this.#touch(now, now);
    this.#touched = this.#marked = now;
  }

  /**
   * Looks at the file: another connection's recent touch (modification
   * time) says it waits, its recent mark (access time) that it writes. Then
   * marks the file itself, keeping the modification time, so that another
   * connection that writes alone learns within {@linkcode LOOK_EVERY_MS} ms
   * that its writes are contended now (they would otherwise wait in SQLite's
   * busy handler, unseen).
   */
  #look(now: number): void {
    let mtime: number | undefined, atime: number | undefined;
    try {
      const stat = statSync(this.#file, { throwIfNoEntry: false });
      mtime = stat?.mtimeMs;
      atime = stat?.atimeMs;
    } catch { /* unreadable: no hint */ }
    const wall = Date.now();
    // Its own touches and marks (set in whole ms, read back in ns) are not another connection's.
    this.#waiterSeen = mtime !== undefined && Math.abs(mtime - this.#touched) >= 1 && Math.abs(wall - mtime) < FRESH_MS;
    const writerSeen = atime !== undefined && Math.abs(atime - this.#marked) >= 1 && Math.abs(wall - atime) < FRESH_MS;
    if (this.#waiterSeen || writerSeen) this.#contendedUntil = now + CONTENDED_MS;
    this.#touch(wall, mtime ?? 0);
    this.#marked = wall;
  }

  /** Sets the file's access time to `atime` and its modification time to `mtime` (epoch ms), creating it if needed; best effort. */
  #touch(atime: number, mtime: number): void {
    try {
      utimesSync(this.#file, new Date(atime), new Date(mtime));
    } catch {
      try {
        closeSync(openSync(this.#file, "a", this.#fileMode));
        utimesSync(this.#file, new Date(atime), new Date(mtime));
      } catch { /* not ours to touch: the lock is still waited for, only without the hint */ }
    }
  }
}
