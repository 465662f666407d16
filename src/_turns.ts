/**
 * Fair turns at the write lock between processes. SQLite's busy handler
 * sleeps longer and longer between tries (1, 2, 5 ... up to 100 ms), so a
 * process writing in a loop, which takes the lock again microseconds after
 * releasing it, could keep another process out until that one's `timeout`
 * ran out. Instead, a connection waiting for the lock tries again every few
 * tenths of a millisecond and keeps touching a file beside the database
 * ({@linkcode WAITING_FILE}); a connection about to take the lock looks at
 * that file (at most once a millisecond) and, when another connection touched
 * it within the last {@linkcode WAITING_FRESH_MS} ms, steps aside for
 * {@linkcode STEP_ASIDE_MS} ms first. The file only ever hints: a process
 * that cannot touch it (another user's file) waits as SQLite would, and a
 * stale one is ignored.
 *
 * @module
 */
import { closeSync, openSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";

/** The file waiting connections touch, beside `cache.db` (python-diskcache's `check` passes over names holding "cache.db"). */
export const WAITING_FILE = "cache.db-waiting";

/** How recent (ms) a touch of the waiting file must be for a writer to step aside. */
export const WAITING_FRESH_MS = 50;

/** How long (ms) a writer steps aside for a waiting connection. */
export const STEP_ASIDE_MS = 1;

/** Least time (ms) between two looks at the waiting file by one connection. */
const LOOK_EVERY_MS = 1;

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (fractions too). */
export function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

/** One connection's side of the turns (see the module documentation). */
export class WriteTurns {
  readonly #file: string;
  readonly #fileMode: number;
  /** `performance.now()` of the last look at the file. */
  #lookedAt = -Infinity;
  /** The modification time this connection last gave the file (its own touches never make it step aside). */
  #touched = 0;

  constructor(directory: string, fileMode: number) {
    this.#file = join(directory, WAITING_FILE);
    this.#fileMode = fileMode;
  }

  /** Before taking the lock at `now` (`performance.now()`): steps aside when another connection is waiting. */
  beforeTaking(now: number): void {
    if (now - this.#lookedAt < LOOK_EVERY_MS) return;
    this.#lookedAt = now;
    const mtime = statSync(this.#file, { throwIfNoEntry: false })?.mtimeMs ?? this.#touched;
    if (mtime !== this.#touched && Math.abs(Date.now() - mtime) < WAITING_FRESH_MS) sleepSync(STEP_ASIDE_MS);
  }

  /** While waiting for the lock: says so, by touching the file (best effort). */
  waiting(): void {
    const now = Date.now();
    try {
      closeSync(openSync(this.#file, "a", this.#fileMode));
      utimesSync(this.#file, new Date(now), new Date(now));
      this.#touched = now;
    } catch { /* not ours to touch: the lock is still waited for, only without the hint */ }
  }
}
