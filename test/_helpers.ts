// Shared test helpers. Imports keep working from here: the focused modules
// are re-exported (temporary directories and caches: _temp.ts; processes of
// each runtime and fixtures: _processes.ts; Python and Redis: _services.ts).
// Defined here: raw database access, assertions, waiting for an event,
// counting calls, the recipe cache types, console capture, descriptors.
import assert from "node:assert/strict";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { SqliteDatabase, SqliteDriver } from "../src/driver.ts";
import { DiskCache, type DiskCacheOptions, FanoutCache } from "../mod.ts";
import { detectDriver } from "../runtimes/auto.ts";

export { directoryBytes, TempCache, tempCache, tempDir, unmount, valueFiles } from "./_temp.ts";
export {
  assertNoInterleaving,
  assertWorkersExclude,
  node20,
  recipeWorkers,
  repoRoot,
  row,
  run,
  runJson,
  type Runner,
  runners,
  runtimeCommands,
  startAccessWorker,
} from "./_processes.ts";
export { python, startRedis } from "./_services.ts";
/**
 * A raw connection to a database file with this runtime's driver, for tests
 * that inspect or damage what the cache wrote.
 */
export function rawOpen(path: string): SqliteDatabase {
  return detectDriver().open(path);
}

/** 2,000 small items in a fresh cache, all in cache.db itself (WAL checkpointed and emptied). */
export function fillAndCheckpoint(path: string): void {
  {
    using cache = new DiskCache(path, { sqliteAutoVacuum: 0 });
    cache.transact(() => {
      for (let i = 0; i < 2000; i++) cache.set(`key-${i}`, "v".repeat(100));
    });
  }
  const raw = rawOpen(join(path, "cache.db"));
  raw.prepare("PRAGMA wal_checkpoint(TRUNCATE)").all();
  raw.close();
}

/** Overwrites `count` 4 KiB pages of `path`/cache.db, from page `first` on, with garbage. */
export function damagePages(path: string, first: number, count: number): void {
  const fd = openSync(join(path, "cache.db"), "r+");
  writeSync(fd, new Uint8Array(4096 * count).fill(0x41), 0, 4096 * count, 4096 * first);
  closeSync(fd);
}

/** The hit, miss and eviction counts of a stats record (the fields every test compares). */
export function counts(s: { hits: number; misses: number; evictions: number }): { hits: number; misses: number; evictions: number } {
  return { hits: s.hits, misses: s.misses, evictions: s.evictions };
}

/** Asserts that `fn` throws an instance of `type` whose message matches `pattern`. */
export function refuses(fn: () => unknown, type: new (...a: never[]) => Error, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Resolves after `ms` milliseconds of wall-clock time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits, without blocking the event loop, until `condition` holds; answers
 * whether it did within `limitMs` (the assertion that follows says what was
 * expected). A wait for an event, not a timing threshold.
 */
export async function until(condition: () => boolean, limitMs = 10_000): Promise<boolean> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited >= limitMs) return false;
    await sleep(5);
  }
  return true;
}

/**
 * Counts the calls of one method of one object from now on (it keeps
 * working as before), so a test can wait for "b tried again" instead of
 * sleeping and hoping.
 */
export function countCalls<T extends object>(target: T, method: keyof T & string): { count: number } {
  const counter = { count: 0 };
  const original = target[method] as (...args: unknown[]) => unknown;
  Object.defineProperty(target, method, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    },
  });
  return counter;
}

/** The two cache types every recipe runs on, each opened without eviction. */
export const recipeCaches: [string, (dir: string, options?: DiskCacheOptions) => DiskCache | FanoutCache][] = [
  ["DiskCache", (dir, options = {}) => new DiskCache(dir, { evictionPolicy: "none", ...options })],
  ["FanoutCache", (dir, options = {}) => new FanoutCache(dir, { shards: 4, evictionPolicy: "none", ...options })],
];

/**
 * Waits until a response stored with max-age=1 is stale (undici does not
 * store one stale on arrival, and keeps its own wall clock: no injected clock
 * reaches it).
 */
export function staleness(): Promise<void> {
  return sleep(1100);
}

/**
 * Runs `fn` with `console[method]` collecting its calls instead of printing
 * them, restores the console, and answers the calls (each one's arguments).
 */
export async function withConsole(method: "warn" | "error", fn: () => unknown): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => void calls.push(args);
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return calls;
}

/**
 * How many of this process's open descriptors point at a path `match`
 * accepts (Linux /proc/self/fd; callers skip where it does not exist).
 */
export function openDescriptors(match: (target: string) => boolean): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return match(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed between the listing and the readlink
    }
  }).length;
}

/**
 * This runtime's driver, answering `arrays: "preferred"` with object rows as
 * bun:sqlite's does, so the core's object-row paths run on every runtime.
 */
export function objectRowsDriver(): SqliteDriver {
  const base = detectDriver();
  return {
    name: `${base.name} (object rows)`,
    open: (p, o) => {
      const db = base.open(p, o);
      return {
        exec: (sql) => db.exec(sql),
        prepare: (sql, options) => db.prepare(sql, options?.arrays === true ? options : undefined),
        close: () => db.close(),
      };
    },
    errorCode: (e) => base.errorCode(e),
    unsafeIntegerError: (e) => base.unsafeIntegerError?.(e) ?? false,
  };
}

/**
 * Bytes this process has read through read(2) and its kin so far (Linux
 * `/proc/self/io`, `rchar`: files, pipes, the database alike), or
 * `undefined` where that file does not exist. A test compares the bytes an
 * operation read against the sizes it should or should not have touched.
 */
export function bytesRead(): number | undefined {
  try {
    const match = /^rchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
