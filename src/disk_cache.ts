/**
 * `DiskCache`: a persistent, process-safe cache in one directory (Python
 * diskcache's `Cache`). A thin facade: it validates arguments and calls the
 * operations in `ops/items.ts` over the engine in `engine/engine.ts`.
 *
 * @module
 */
import { join } from "node:path";
import { getDefaultDriver, type SqliteDriver } from "./driver.ts";
import { describe, DiskCacheError } from "./errors.ts";
import { fields, inspectable, refuseAfterClose } from "./_closed.ts";
import { Engine } from "./engine/engine.ts";
import * as ops from "./ops/items.ts";
import * as maintenance from "./ops/maintenance.ts";
import * as iterate from "./ops/iterate.ts";
import * as queue from "./ops/queue.ts";
import * as streams from "./ops/streams.ts";
import { memoize, type Memoized, type MemoizeOptions } from "./memoize.ts";
import { getOrSet, type GetOrSetOptions } from "./get_or_set.ts";
import { checkInteger, checkIterable, checkIterate, checkQueue, checkRemove, checkTtl, checkWriteOptions } from "./_arguments.ts";
import * as inspection from "./ops/inspect.ts";
import { check } from "./ops/check.ts";
import { type DiskCacheSettings, SETTING_COLUMNS, validateSetting } from "./settings.ts";
import type { EvictionPolicy } from "./eviction.ts";
import { MISSING, tagValue } from "./format/row_values.ts";
import { storedKey } from "./format/stored_key.ts";
import { commitCounter, memorySettings, MemoryTier } from "./ops/memory_tier.ts";
import type {
  CacheStats,
  CheckWarning,
  Entry,
  ItemInfo,
  IterateOptions,
  Key,
  MemoryOptions,
  PullOptions,
  PushOptions,
  RemoveOptions,
  SetOptions,
  Tag,
} from "./types.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { existsSync } = globalThis.process.getBuiltinModule("node:fs");

/**
 * Options of {@linkcode DiskCache}. Settings persist in the directory; the rest are per instance.
 *
 * @example Limit the size, pick a policy, wait less for locks
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type DiskCacheOptions } from "@diskcache/diskcache";
 * const options: DiskCacheOptions = { sizeLimit: 2 ** 26, evictionPolicy: "least-recently-used", timeout: 1_000 };
 * using cache = new DiskCache(undefined, options);
 * assert.equal(cache.evictionPolicy, "least-recently-used");
 * assert.equal(cache.timeout, 1_000);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface DiskCacheOptions extends Partial<DiskCacheSettings> {
  /**
   * Milliseconds a write may wait for another connection's lock before
   * throwing `Timeout`.
   *
   * @default {60000}
   */
  timeout?: number;
  /**
   * The SQLite binding. By default the runtime's own: `bun:sqlite` on Bun,
   * `node:sqlite` on Deno and Node >= 22.13, `better-sqlite3` on older Node.
   */
  driver?: SqliteDriver;
  /**
   * Open an existing cache for reading only, e.g. on a read-only mount:
   * nothing is written at open, reads work, every write throws
   * `DiskCacheError`. Settings options are refused (they would be written).
   * Where SQLite cannot create the `-shm` file (read-only media, a directory
   * this process may not write), a cache closed cleanly is opened as
   * immutable: writes other processes make later are not seen.
   *
   * @default {false}
   */
  readonly?: boolean;
  /**
   * Permissions of directories this cache creates. Owner-only by default;
   * use `0o755` (and `fileMode: 0o644`) to let other users read the cache.
   *
   * @default {0o700}
   */
  dirMode?: number;
  /**
   * Permissions of files this cache creates (`cache.db` and its companions,
   * value files). The process umask still applies.
   *
   * @default {0o600}
   */
  fileMode?: number;
  /**
   * The clock, in epoch milliseconds. All expiry uses it; tests pass a fake.
   *
   * @default {Date.now}
   */
  clock?: () => number;
  /**
   * An in-process memory tier in front of the database (see
   * {@linkcode MemoryOptions}): repeated reads of a value come from memory,
   * still coherent with other processes. Off by default.
   */
  memory?: MemoryOptions;
}

const INSTANCE_OPTIONS = new Set(["timeout", "driver", "clock", "readonly", "dirMode", "fileMode", "memory"]);

/**
 * Stores bytes in the row itself when smaller than `inlineBelow` bytes, even
 * at or above the cache's `minFileSize`: one lookup reads them, no value file.
 * Internal (for the HTTP layer's URL items, read on every hit); not exported
 * by the package.
 */
export let setInline: (cache: DiskCache, key: string, value: Uint8Array, options: { ttl: number; inlineBelow: number }) => void;

/**
 * Operations on rows for `Deque` and `Index` (internal; not exported by the
 * package). `trim` drops queue items from one end, `reverse` and `rotate`
 * reorder the items: none reads a value, so a value this library cannot read
 * (a Python pickle) is dropped or moved like any other. `entries` is
 * `DiskCache.entries` that ends with the error naming an item it cannot read
 * instead of passing over it.
 */
/**
 * The engine of a cache, for a front end that keeps decoded values of its own
 * in front of it (the Next.js handlers: `next/_memo.ts`). Internal; not
 * exported by the package.
 */
export let engineOf: (cache: DiskCache) => Engine;

export let collectionRows: {
  trim(cache: DiskCache, side: "front" | "back", max: number): number;
  reverse(cache: DiskCache): void;
  rotate(cache: DiskCache, steps: number): void;
  entries(cache: DiskCache, options: IterateOptions): IterableIterator<[unknown, unknown]>;
};

/**
 * A persistent cache in a directory: SQLite holds the index and small values,
 * large values live in their own files. Many processes (of Deno, Bun and
 * Node alike) and threads may share one directory; every write is atomic.
 * The on-disk format is python-diskcache 5.x's, so Python reads and writes
 * the same directory for str, bytes, int and float keys and values.
 *
 * Keys: strings, numbers, bigints and `Uint8Array` natively; arrays, plain
 * objects and other structured keys by a canonical encoding (equal structure,
 * equal key). Values: strings, numbers, bigints, `Uint8Array`/`ArrayBuffer`
 * (read back as `Uint8Array`), and structured values (objects, arrays, Map,
 * Set, Date, typed arrays, booleans, null) through a portable CBOR codec.
 * Integers read back as `number` within the safe range, `bigint` beyond it.
 *
 * @example Store, read and expire
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * cache.set("user:1", { name: "Ada", roles: ["admin"] }, { ttl: 60_000 });
 * assert.deepEqual(cache.get("user:1"), { name: "Ada", roles: ["admin"] });
 * assert.equal(cache.get("missing"), undefined);
 * assert.equal(cache.incr("hits"), 1);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class DiskCache {
  #engine: Engine;
  #memory: MemoryTier | undefined;

  static {
    engineOf = (cache) => cache.#engine;
    setInline = (cache, key, value, { ttl, inlineBelow }) =>
      ops.set(cache.#engine, storedKey(key), value, { ttl: checkTtl(ttl, "set"), tag: tagValue(undefined), inlineBelow });
    collectionRows = {
      trim: (cache, side, max) => queue.trim(cache.#engine, side, max),
      reverse: (cache) => queue.reverse(cache.#engine),
      rotate: (cache, steps) => queue.rotate(cache.#engine, steps),
      entries: (cache, options) => iterate.entries(cache.#engine, checkIterate(options), "throw"),
    };
  }

  /**
   * Opens (creating if needed) the cache in `directory`.
   *
   * @param directory Where the cache lives; omitted means a fresh temporary
   * directory (see {@linkcode DiskCache.directory}), removed with everything
   * in it when this cache closes or the process exits normally. For a named
   * cache that lasts, `userCacheDirectory(name)` gives the user's own
   * cache directory.
   * @param options Settings (persisted) and per-instance options.
   * @throws {TypeError} For an unknown option or an option of the wrong type.
   * @throws {RangeError} For an option out of range.
   * @throws {DiskCacheError} When the directory cannot be used or the database is corrupt.
   *
   * @example Open a cache with a size limit
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache(undefined, { sizeLimit: 100 * 2 ** 20 });
   * assert.equal(cache.sizeLimit, 100 * 2 ** 20);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  constructor(directory?: string, options: DiskCacheOptions = {}) {
    if (directory !== undefined && (typeof directory !== "string" || directory.length === 0)) {
      throw new TypeError(`Cannot open cache: "directory" must be a non-empty string path: received ${describe(directory)}`);
    }
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot open cache: "options" must be an object: received ${describe(options)}`);
    }
    const settings: Partial<Record<keyof DiskCacheSettings, unknown>> = {};
    for (const [name, value] of Object.entries(options)) {
      if (value === undefined) continue;
      if (Object.hasOwn(SETTING_COLUMNS, name)) {
        settings[name as keyof DiskCacheSettings] = validateSetting(name as keyof DiskCacheSettings, value);
      } else if (!INSTANCE_OPTIONS.has(name)) {
        throw new TypeError(
          `Cannot open cache: unknown option ${JSON.stringify(name)}; known options are ${[...INSTANCE_OPTIONS, ...Object.keys(SETTING_COLUMNS)].join(", ")}`,
        );
      }
    }
    const timeout = options.timeout ?? 60_000;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
      throw new RangeError(`Cannot open cache: "timeout" must be a finite, non-negative number of milliseconds: received ${describe(timeout)}`);
    }
    const clock = options.clock ?? Date.now;
    if (typeof clock !== "function") {
      throw new TypeError(`Cannot open cache: "clock" must be a function returning epoch milliseconds: received ${describe(clock)}`);
    }
    const driver = options.driver ?? getDefaultDriver();
    if (typeof driver !== "object" || driver === null || typeof driver.open !== "function" || typeof driver.errorCode !== "function") {
      throw new TypeError(`Cannot open cache: "driver" must be a SqliteDriver (with open and errorCode): received ${describe(driver)}`);
    }
    const readonly = options.readonly ?? false;
    if (typeof readonly !== "boolean") {
      throw new TypeError(`Cannot open cache: "readonly" must be a boolean: received ${describe(readonly)}`);
    }
    const modes = { dirMode: options.dirMode ?? 0o700, fileMode: options.fileMode ?? 0o600 };
    for (const [name, mode] of Object.entries(modes)) {
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
        throw new RangeError(`Cannot open cache: "${name}" must be a permission mode such as 0o700: received ${describe(mode)}`);
      }
    }
    const memory = memorySettings(options.memory);
    if (directory !== undefined && existsSync(join(directory, "000", "cache.db"))) {
      // Opened as one cache, a FanoutCache's directory would look empty, and a
      // database beside its shards would be a second cache nobody else sees.
      throw new DiskCacheError(
        `Cannot open cache: ${directory} holds a FanoutCache (its first shard, 000/cache.db); open it with new FanoutCache(directory, { shards }), or give this DiskCache a directory of its own`,
      );
    }
    const engine = this.#engine = new Engine({ directory, driver, timeout, clock, readonly, modes, settings: settings as Partial<DiskCacheSettings> });
    if (memory === undefined) {
      // Tiers of other DiskCache objects on this database learn of its commits.
      const commits = commitCounter(engine.dbPath);
      engine.hooks.afterCommit.add(() => void commits.n++);
    } else {
      const tier = this.#memory = new MemoryTier(engine, memory);
      engine.hooks.beforeCommit.add(() => tier.committing());
      engine.hooks.afterCommit.add(() => tier.committed());
      engine.hooks.afterRollback.add(() => tier.rolledBack());
    }
  }

  /** The cache directory (absolute). */
  get directory(): string {
    return this.#engine.directory;
  }
  /** Milliseconds a write waits for a lock before `Timeout`. */
  get timeout(): number {
    return this.#engine.timeout;
  }
  /**
   * The time now on the clock expiry reads, in epoch milliseconds: the
   * `clock` option's reading, else `Date.now()`. Code that turns an entry's
   * `expireTime` into a remaining ttl (the unstorage driver's `getMeta`)
   * subtracts this, not `Date.now()`.
   */
  get now(): number {
    return this.#engine.clock();
  }
  // One documented getter per setting, spelled out so that each has its own JSDoc in the API docs.
  /** Name of the SQLite binding in use (`"node:sqlite"`, `"bun:sqlite"`, `"better-sqlite3"`). */
  get driverName(): string {
    return this.#engine.driver.name;
  }
  /** Soft cap on `volume()` in bytes. */
  get sizeLimit(): number {
    return this.#engine.settings.sizeLimit;
  }
  /** Most items one write culls. */
  get cullLimit(): number {
    return this.#engine.settings.cullLimit;
  }
  /** The eviction policy. */
  get evictionPolicy(): EvictionPolicy {
    return this.#engine.settings.evictionPolicy;
  }
  /** Whether hits and misses are counted. */
  get statistics(): boolean {
    return this.#engine.settings.statistics;
  }
  /** Whether the tag index exists. */
  get tagIndex(): boolean {
    return this.#engine.settings.tagIndex;
  }
  /** Values of at least this many bytes (characters for strings) go to files. */
  get minFileSize(): number {
    return this.#engine.settings.minFileSize;
  }
  /** All persisted settings in force. */
  get settings(): Readonly<DiskCacheSettings> {
    return { ...this.#engine.settings };
  }

  /**
   * Number of items, expired ones included until they are culled (as in
   * python-diskcache: kept by triggers, so it costs one lookup).
   *
   * @example Count items
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.equal(cache.length, 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  get length(): number {
    return this.#engine.translating("count items", () => ops.count(this.#engine));
  }

  /**
   * Stores `value` under `key`, replacing any previous value, in one atomic
   * transaction.
   *
   * @param key The key.
   * @param value The value (see the class doc for supported types).
   * @param options `ttl` in milliseconds, `tag`.
   * @returns `true`.
   * @throws {TypeError} For an unsupported key or value.
   * @throws {RangeError} For a negative or non-finite `ttl`.
   * @throws {Timeout} When the database stays locked past `timeout`.
   *
   * @example Store with a ttl and a tag
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set(["user", 1], new Uint8Array([1, 2]), { ttl: 1000, tag: "users" });
   * assert.deepEqual(cache.get(["user", 1]), new Uint8Array([1, 2]));
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  set(key: Key, value: unknown, options?: SetOptions): boolean {
    const k = storedKey(key);
    checkWriteOptions(options, "set");
    ops.set(this.#engine, k, value, { ttl: checkTtl(options?.ttl, "set"), tag: tagValue(options?.tag) });
    return true;
  }

  /**
   * The value stored under `key`, or `undefined` when it is absent, expired,
   * or its value file was removed behind the cache's back.
   *
   * @typeParam V The type you stored.
   * @param key The key.
   * @returns The value, or `undefined`.
   *
   * @example Read a value
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set(42, "answer");
   * assert.equal(cache.get<string>(42), "answer");
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  get<V = unknown>(key: Key): V | undefined {
    const k = storedKey(key);
    const value = this.#memory === undefined ? ops.getValue(this.#engine, k) : this.#memory.get(k);
    return (value === MISSING ? undefined : value) as V | undefined;
  }

  /**
   * The value of `key` with its expiry time and tag, or `undefined` on a miss.
   *
   * @typeParam V The type you stored.
   * @param key The key.
   * @returns `{ value, expireTime, storeTime, tag }` or `undefined`.
   *
   * @example Read an entry
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache(undefined, { clock: () => 1_000 });
   * cache.set("k", "v", { ttl: 500, tag: "t" });
   * assert.deepEqual(cache.getEntry("k"), { value: "v", expireTime: 1_500, storeTime: 1_000, tag: "t" });
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  getEntry<V = unknown>(key: Key): Entry<V> | undefined {
    const found = ops.find(this.#engine, storedKey(key));
    if (found === undefined) return undefined;
    return {
      value: found.value as V,
      expireTime: found.expireTime === null ? null : Math.round(found.expireTime * 1000),
      storeTime: Math.round(found.storeTime * 1000),
      tag: found.tag as Tag | null,
    };
  }

  /**
   * Whether a live (unexpired) item exists under `key`.
   *
   * @param key The key.
   * @returns `true` when present.
   *
   * @example Test for a key
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.ok(cache.has("a"));
   * assert.ok(!cache.has("b"));
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  has(key: Key): boolean {
    return ops.has(this.#engine, storedKey(key));
  }

  /**
   * Removes the item under `key`.
   *
   * @param key The key.
   * @returns `true` when a live item was removed.
   *
   * @example Delete a key
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.equal(cache.delete("a"), true);
   * assert.equal(cache.delete("a"), false);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  delete(key: Key): boolean {
    return ops.remove(this.#engine, storedKey(key));
  }

  /**
   * Stores `value` only if `key` is absent or expired. Atomic across
   * processes: of several concurrent `add`s of one key, exactly one wins.
   *
   * @param key The key.
   * @param value The value.
   * @param options `ttl` in milliseconds, `tag`.
   * @returns `true` when stored, `false` when a live item was there.
   *
   * @example Add only once
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * assert.equal(cache.add("lock", 1), true);
   * assert.equal(cache.add("lock", 2), false);
   * assert.equal(cache.get("lock"), 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  add(key: Key, value: unknown, options?: SetOptions): boolean {
    const k = storedKey(key);
    checkWriteOptions(options, "add");
    return ops.add(this.#engine, k, value, { ttl: checkTtl(options?.ttl, "add"), tag: tagValue(options?.tag) });
  }

  /**
   * Adds `delta` to the integer stored under `key` and returns the result;
   * a missing or expired key starts from `initial`. Atomic across processes.
   * With number arguments the result is a `number`, and a result past
   * `Number.MAX_SAFE_INTEGER` (which a number cannot hold exactly) throws a
   * `RangeError` and stores nothing; with a `bigint` `delta` or `initial` the
   * result is a `bigint`, up to the 64-bit range.
   *
   * @param key The key.
   * @param delta The amount to add.
   * @param initial The value a missing key starts from.
   * @returns The new value: a number, or a bigint when `delta` or `initial` is one.
   * @throws {TypeError} When the stored value is not an integer.
   * @throws {RangeError} When the result overflows 64 bits, or a number result passes 2^53.
   *
   * @example Count
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * const hits: number = cache.incr("n");
   * assert.equal(hits, 1);
   * assert.equal(cache.incr("n", 10), 11);
   * assert.equal(cache.incr("m", 1, 100), 101);
   * const big: bigint = cache.incr("ids", 1n, 2n ** 60n);
   * assert.equal(big, 2n ** 60n + 1n);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  incr(key: Key, delta?: number, initial?: number): number;
  /** {@linkcode DiskCache.incr} with a bigint `delta`: the result is a bigint. */
  incr(key: Key, delta: bigint, initial?: number | bigint): bigint;
  /** {@linkcode DiskCache.incr} with a bigint `initial`: the result is a bigint. */
  incr(key: Key, delta: number | bigint, initial: bigint): bigint;
  /** {@linkcode DiskCache.incr} with arguments whose type is not known: a number or a bigint. */
  incr(key: Key, delta?: number | bigint, initial?: number | bigint): number | bigint;
  incr(key: Key, delta: number | bigint = 1, initial: number | bigint = 0): number | bigint {
    const k = storedKey(key);
    const d = checkInteger(delta, "delta", "incr"), i = checkInteger(initial, "initial", "incr");
    return ops.incr(this.#engine, k, { delta: d, initial: i, big: typeof d === "bigint" || typeof i === "bigint" });
  }

  /**
   * Subtracts `delta` from the integer under `key` (see {@linkcode DiskCache.incr}):
   * a number with number arguments, a bigint when `delta` or `initial` is one.
   *
   * @param key The key.
   * @param delta The amount to subtract.
   * @param initial The value a missing key starts from.
   * @returns The new value.
   *
   * @example Count down
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * const left: number = cache.decr("n", 1, 10);
   * assert.equal(left, 9);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  decr(key: Key, delta?: number, initial?: number): number;
  /** {@linkcode DiskCache.decr} with a bigint `delta`: the result is a bigint. */
  decr(key: Key, delta: bigint, initial?: number | bigint): bigint;
  /** {@linkcode DiskCache.decr} with a bigint `initial`: the result is a bigint. */
  decr(key: Key, delta: number | bigint, initial: bigint): bigint;
  /** {@linkcode DiskCache.decr} with arguments whose type is not known: a number or a bigint. */
  decr(key: Key, delta?: number | bigint, initial?: number | bigint): number | bigint;
  decr(key: Key, delta: number | bigint = 1, initial: number | bigint = 0): number | bigint {
    const d = checkInteger(delta, "delta", "decr");
    return this.incr(key, -d, initial);
  }

  /**
   * Removes the item under `key` and returns its value, atomically; `undefined`
   * on a miss.
   *
   * @typeParam V The type you stored.
   * @param key The key.
   * @returns The value, or `undefined`.
   * @throws {DiskCacheError} When the value cannot be read (a Python pickle):
   * the item stays.
   *
   * @example Pop a value
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("job", { id: 7 });
   * assert.deepEqual(cache.pop("job"), { id: 7 });
   * assert.equal(cache.has("job"), false);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  pop<V = unknown>(key: Key): V | undefined {
    return ops.pop(this.#engine, storedKey(key))?.value as V | undefined;
  }

  /**
   * Gives a live item a new expiry: `ttl` milliseconds from now, or none.
   *
   * @param key The key.
   * @param ttl Milliseconds until expiry; omitted means never.
   * @returns `true` when the item exists.
   *
   * @example Extend an item's life
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("session", "s", { ttl: 1000 });
   * assert.equal(cache.touch("session", 60_000), true);
   * assert.equal(cache.touch("nope"), false);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  touch(key: Key, ttl?: number): boolean {
    const k = storedKey(key);
    return ops.touch(this.#engine, k, checkTtl(ttl, "touch"));
  }

  /**
   * Runs `fn` inside one write transaction: every write it makes commits
   * together, or none does if it throws (value files it created are removed).
   * Nested calls join as savepoints. `fn` must be synchronous: the
   * transaction holds the database's write lock, which other processes wait
   * for. Grouping many writes this way is several times faster than
   * committing each one.
   *
   * @typeParam T What `fn` returns.
   * @param fn The work to do.
   * @returns What `fn` returned.
   * @throws {TypeError} When `fn` is an `async` function (refused before it
   * runs), or returns a promise: what it wrote before returning is rolled
   * back, but writes its promise makes later are not (a plain function that
   * returns a promise cannot be recognised before it runs).
   * @throws {Timeout} When the lock stays busy past `timeout`.
   *
   * @example Move a value atomically
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("from", 10);
   * cache.transact(() => {
   *   const v = cache.pop<number>("from")!;
   *   cache.set("to", v);
   * });
   * assert.equal(cache.get("to"), 10);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  transact<T>(fn: () => T): T {
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot transact: expected a function: received ${describe(fn)}`);
    }
    return this.#engine.transact(fn);
  }

  /**
   * {@linkcode DiskCache.set} that waits for the write lock without blocking
   * the JS thread. The synchronous `set()` waits inside SQLite's busy
   * handler, which sleeps on the thread: while another process holds the
   * lock, a server freezes. `setAsync()` tries the lock without waiting and,
   * while another connection holds it, awaits a timer (1 to 8 ms, backing
   * off) and tries again, until `timeout` ms passed. Use it (and
   * {@linkcode DiskCache.deleteAsync}, {@linkcode DiskCache.transactAsync})
   * in servers and other code that must stay responsive while other
   * processes write the cache; the synchronous methods in scripts, CLIs and
   * workers. Reads (`get`, `has`, iteration) never wait for writers in WAL
   * mode (the default), so they have no asynchronous twin.
   *
   * @param key The key.
   * @param value The value.
   * @param options `ttl` (ms), `tag`.
   * @returns `true` once stored.
   * @throws {Timeout} When another connection holds the lock past `timeout` (the promise rejects).
   *
   * @example Store without stalling the event loop
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * assert.equal(await cache.setAsync("a", 1, { ttl: 60_000 }), true);
   * assert.equal(cache.get("a"), 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async setAsync(key: Key, value: unknown, options?: SetOptions): Promise<boolean> {
    return await this.#engine.whenUnlocked("set", () => this.set(key, value, options));
  }

  /**
   * {@linkcode DiskCache.delete} that waits for the write lock on timers,
   * never blocking the JS thread (see {@linkcode DiskCache.setAsync}).
   *
   * @param key The key.
   * @returns Whether the key was there.
   * @throws {Timeout} When another connection holds the lock past `timeout` (the promise rejects).
   *
   * @example Delete without stalling the event loop
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.equal(await cache.deleteAsync("a"), true);
   * assert.equal(await cache.deleteAsync("a"), false);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async deleteAsync(key: Key): Promise<boolean> {
    return await this.#engine.whenUnlocked("delete", () => this.delete(key));
  }

  /**
   * {@linkcode DiskCache.transact} that waits for the write lock on timers,
   * never blocking the JS thread (see {@linkcode DiskCache.setAsync}): `fn`
   * runs once, synchronously, after the lock was taken, so it may call any
   * synchronous method (`set`, `delete`, `clear`, `evict`...) and they all
   * commit together. `fn` must still be synchronous: the lock is not held
   * across an `await`.
   *
   * @typeParam T What `fn` returns.
   * @param fn The synchronous function to run in the transaction.
   * @returns What `fn` returned.
   * @throws {TypeError} When `fn` is an `async` function or returns a promise (as `transact()`).
   * @throws {Timeout} When another connection holds the lock past `timeout` (the promise rejects).
   *
   * @example Several writes in one transaction, without stalling the event loop
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * const n = await cache.transactAsync(() => {
   *   cache.set("a", 1);
   *   cache.set("b", 2);
   *   return cache.length;
   * });
   * assert.equal(n, 2);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async transactAsync<T>(fn: () => T): Promise<T> {
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot transactAsync: expected a function: received ${describe(fn)}`);
    }
    return await this.#engine.whenUnlocked("transact", () => this.#engine.transact(fn));
  }

  /**
   * Wraps `fn` so its results are served from this cache (see
   * {@linkcode memoize}): keys are `[name, ...args]` (`name` defaults to
   * `"<module>:<declared name>"`), results of async
   * functions are stored resolved, rejections are not cached, and concurrent
   * calls with one key in this process share one call.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn The function.
   * @param options `name`, `ttl`, `tag`, `typed`, `ignore`, `key`.
   * @returns The memoized function, with `cacheKey(...args)`.
   *
   * @example Memoize a function
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * const fib = cache.memoize(function fib(n: number): number {
   *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
   * });
   * assert.equal(fib(30), 832040);
   * assert.equal(cache.get(fib.cacheKey(30)), 832040);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  memoize<A extends unknown[], R>(fn: (...args: A) => R, options?: MemoizeOptions<A>): Memoized<A, R> {
    return memoize(this, fn, options);
  }

  /**
   * Hit and miss counts of `get`/`getEntry` kept while `statistics` is on, over
   * every process using the directory. Counting never takes the write lock on
   * a read: each connection adds its counts with its next write, `stats()` or
   * `close()`, the last two only if the lock is free at that instant (they
   * never wait; `stats()` adds what is still pending to what it reads). A
   * process that dies, or finds the lock busy at `close()`, loses its
   * uncounted reads, nothing else.
   *
   * @param options `enable` turns counting on or off (persisted); `reset`
   * zeroes the counts after reading them.
   * @returns `{ hits, misses, evictions, count, volume, sizeLimit }`, counts
   * as they were before any reset; `evictions` counts items removed to keep
   * under `sizeLimit` (always counted).
   *
   * @example Count hits and misses
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache(undefined, { statistics: true });
   * cache.set("a", 1);
   * cache.get("a");
   * cache.get("b");
   * const { hits, misses, sizeLimit } = cache.stats();
   * assert.deepEqual({ hits, misses, sizeLimit }, { hits: 1, misses: 1, sizeLimit: 2 ** 30 });
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  stats(options: { enable?: boolean; reset?: boolean } = {}): CacheStats {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot read stats: options must be an object: received ${describe(options)}`);
    }
    const { enable, reset = false } = options;
    if (enable !== undefined && typeof enable !== "boolean") {
      throw new TypeError(`Cannot read stats: "enable" must be a boolean: received ${describe(enable)}`);
    }
    if (typeof reset !== "boolean") {
      throw new TypeError(`Cannot read stats: "reset" must be a boolean: received ${describe(reset)}`);
    }
    const stats = ops.stats(this.#engine, enable, reset);
    if (this.#memory !== undefined) stats.memory = this.#memory.stats();
    return stats;
  }

  /**
   * Stores the bytes of a `ReadableStream` under `key`, written straight to
   * a value file chunk by chunk (never held in memory whole); the key points
   * at it once the stream has ended, in one transaction. A stream that
   * errors stores nothing. The value reads back as a `Uint8Array` with
   * `get()`, or as a stream with {@linkcode DiskCache.getStream}.
   *
   * @param key The key.
   * @param stream A stream of `Uint8Array` chunks.
   * @param options `ttl`, `tag`.
   * @returns `true` once stored.
   * @throws {RangeError} When the value is larger than `sizeLimit`.
   *
   * @example Store a stream
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * await cache.setStream("blob", new Blob(["hello ", "world"]).stream());
   * assert.equal(new TextDecoder().decode(cache.get<Uint8Array>("blob")), "hello world");
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async setStream(key: Key, stream: ReadableStream<Uint8Array>, options?: SetOptions): Promise<boolean> {
    const k = storedKey(key);
    if (typeof (stream as { getReader?: unknown })?.getReader !== "function") {
      throw new TypeError(`Cannot setStream: "stream" must be a ReadableStream: received ${describe(stream)}`);
    }
    checkWriteOptions(options, "setStream");
    await streams.setStream(this.#engine, k, stream, { ttl: checkTtl(options?.ttl, "setStream"), tag: tagValue(options?.tag) });
    return true;
  }

  /**
   * The stored bytes of `key` as a `ReadableStream` (4 MiB chunks, read
   * from the value file as the consumer pulls), or `undefined` on a miss.
   * Strings stream as UTF-8. The file is opened before this returns, so the
   * stream yields the value as it was even if the key changes meanwhile. The
   * stream holds one file descriptor until it is read to the end or
   * cancelled; one dropped unread is closed when it is garbage-collected
   * (call `stream.cancel()` to release it at once).
   *
   * @param key The key.
   * @returns A stream, or `undefined`.
   * @throws {TypeError} When the value is neither bytes nor a string.
   *
   * @example Stream a value out
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("bytes", new Uint8Array([1, 2, 3]));
   * const stream = cache.getStream("bytes")!;
   * assert.deepEqual(new Uint8Array(await new Response(stream).arrayBuffer()), new Uint8Array([1, 2, 3]));
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  getStream(key: Key): ReadableStream<Uint8Array> | undefined {
    return streams.getStream(this.#engine, storedKey(key));
  }

  /**
   * Stores the contents of the file at `source` under `key`, copied into a
   * value file by the file system itself (copy_file_range, or a reflink
   * where the platform has one: as fast as `cp`, never through memory). The
   * value reads back as a `Uint8Array` with `get()`, or with
   * {@linkcode DiskCache.getFile} / {@linkcode DiskCache.getStream}.
   *
   * @param key The key.
   * @param source Path of a readable regular file.
   * @param options `ttl`, `tag`.
   * @returns `true` once stored.
   * @throws {TypeError} When `source` is not a readable regular file.
   * @throws {RangeError} When the file is larger than `sizeLimit`.
   *
   * @example Cache a file, and copy it back out
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * const dir = mkdtempSync(join(tmpdir(), "example-"));
   * writeFileSync(join(dir, "in.bin"), "payload");
   * await cache.setFile("artifact", join(dir, "in.bin"));
   * assert.equal(await cache.getFile("artifact", join(dir, "out.bin")), true);
   * assert.equal(readFileSync(join(dir, "out.bin"), "utf8"), "payload");
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * rmSync(dir, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async setFile(key: Key, source: string, options?: SetOptions): Promise<boolean> {
    const k = storedKey(key);
    if (typeof source !== "string" || source === "") {
      throw new TypeError(`Cannot setFile: "source" must be a file path: received ${describe(source)}`);
    }
    checkWriteOptions(options, "setFile");
    await streams.setFile(this.#engine, k, source, { ttl: checkTtl(options?.ttl, "setFile"), tag: tagValue(options?.tag) });
    return true;
  }

  /**
   * Copies the stored bytes of `key` (strings as UTF-8) to the file
   * `destination`, replacing it, with the file system's own copy; `false`
   * on a miss. The value file is opened without following symlinks and
   * must still have the size its row records.
   *
   * @param key The key.
   * @param destination Path to write.
   * @returns `true` when copied, `false` on a miss.
   * @throws {TypeError} When the value is neither bytes nor a string.
   *
   * @example Copy a cached value to a file
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtempSync, readFileSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("page", "<html></html>");
   * const dir = mkdtempSync(join(tmpdir(), "example-"));
   * const out = join(dir, "page.html");
   * assert.equal(await cache.getFile("page", out), true);
   * assert.equal(readFileSync(out, "utf8"), "<html></html>");
   * assert.equal(await cache.getFile("missing", out), false);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * rmSync(dir, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async getFile(key: Key, destination: string): Promise<boolean> {
    const k = storedKey(key);
    if (typeof destination !== "string" || destination === "") {
      throw new TypeError(`Cannot getFile: "destination" must be a file path: received ${describe(destination)}`);
    }
    return await streams.getFile(this.#engine, k, destination);
  }

  /**
   * Removes items that expired before `now` (epoch ms, default the clock),
   * in batches of 100, one transaction each.
   *
   * @param now The instant to compare with.
   * @param options `limit`: remove at most this many (see {@linkcode RemoveOptions}).
   * @returns How many items were removed.
   * @throws {Timeout} With the count so far as `removed`.
   *
   * @example Remove expired items
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * let now = 0;
   * using cache = new DiskCache(undefined, { clock: () => now, cullLimit: 0 });
   * cache.set("a", 1, { ttl: 10 });
   * now = 20;
   * assert.equal(cache.expire(), 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  expire(now?: number, options?: RemoveOptions): number {
    if (now !== undefined && (typeof now !== "number" || !Number.isFinite(now))) {
      throw new TypeError(`Cannot expire: "now" must be a finite number of epoch milliseconds: received ${describe(now)}`);
    }
    return maintenance.expire(this.#engine, now ?? this.#engine.clock(), checkRemove(options, "expire"));
  }

  /**
   * Removes every item stored with `tag`, in batches of 100. Fast with the
   * tag index (`tagIndex` option or {@linkcode DiskCache.createTagIndex}).
   *
   * @param tag The tag.
   * @param options `limit`: remove at most this many.
   * @returns How many items were removed.
   *
   * @example Evict by tag
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1, { tag: "users" });
   * cache.set("b", 2, { tag: "users" });
   * cache.set("c", 3);
   * assert.equal(cache.evict("users"), 2);
   * assert.equal(cache.length, 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  evict(tag: Tag, options?: RemoveOptions): number {
    const t = tagValue(tag);
    if (t === null) throw new TypeError(`Cannot evict: "tag" must be a string, number, bigint or Uint8Array: received ${describe(tag)}`);
    return maintenance.evict(this.#engine, t, checkRemove(options, "evict"));
  }

  /**
   * Enforces the size limit fully: removes expired items, then items in
   * eviction-policy order, until `volume()` is at most `sizeLimit`, and no
   * more than that takes: each value file's size counts as it goes. (Each
   * write only culls `cullLimit` items.)
   *
   * @param options `limit`: remove at most this many.
   * @returns How many items were removed.
   *
   * @example Cull to the limit
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache(undefined, { cullLimit: 0, minFileSize: 1024 });
   * for (let i = 0; i < 50; i++) cache.set(i, new Uint8Array(10_000));
   * cache.updateSettings({ sizeLimit: 200_000 });
   * cache.cull();
   * assert.ok(cache.volume() <= 200_000);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  cull(options?: RemoveOptions): number {
    return maintenance.cull(this.#engine, checkRemove(options, "cull"));
  }

  /**
   * Removes every item, in batches of 100.
   *
   * @param options `limit`: remove at most this many.
   * @returns How many items were removed.
   *
   * @example Clear the cache
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.equal(cache.clear(), 1);
   * assert.equal(cache.length, 0);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  clear(options?: RemoveOptions): number {
    return maintenance.clear(this.#engine, checkRemove(options, "clear"));
  }

  /**
   * Creates the `(tag, rowid)` index that makes {@linkcode DiskCache.evict}
   * fast, and records `tagIndex: true`.
   *
   * @example Index tags
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.createTagIndex();
   * assert.equal(cache.tagIndex, true);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  createTagIndex(): void {
    maintenance.setTagIndex(this.#engine, true);
  }

  /**
   * Drops the tag index and records `tagIndex: false`.
   *
   * @example Drop the tag index
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache(undefined, { tagIndex: true });
   * cache.dropTagIndex();
   * assert.equal(cache.tagIndex, false);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  dropTagIndex(): void {
    maintenance.setTagIndex(this.#engine, false);
  }

  /**
   * Changes persisted settings after open (python-diskcache's `reset`): they
   * are validated, written to the Settings table for every process, and
   * applied to this connection. Every other open cache, in this process or
   * another, applies them at the start of its next write (so that write
   * already culls by a new `sizeLimit`); a cache that only reads sees them
   * after {@linkcode DiskCache.reloadSettings}. Opening with a setting stores
   * it the same way.
   *
   * @param changes The settings to change.
   * @returns The settings now in force.
   *
   * @example Raise the size limit
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.updateSettings({ sizeLimit: 2 ** 31, cullLimit: 20 });
   * assert.equal(cache.sizeLimit, 2 ** 31);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  updateSettings(changes: Partial<DiskCacheSettings>): Readonly<DiskCacheSettings> {
    if (typeof changes !== "object" || changes === null) {
      throw new TypeError(`Cannot update settings: expected an object: received ${describe(changes)}`);
    }
    const valid: Partial<Record<keyof DiskCacheSettings, unknown>> = {};
    for (const [name, value] of Object.entries(changes)) {
      if (!Object.hasOwn(SETTING_COLUMNS, name)) {
        throw new TypeError(`Cannot update settings: unknown setting ${JSON.stringify(name)}; known settings are ${Object.keys(SETTING_COLUMNS).join(", ")}`);
      }
      if (value !== undefined) valid[name as keyof DiskCacheSettings] = validateSetting(name as keyof DiskCacheSettings, value);
    }
    this.#engine.updateSettings(valid as Partial<DiskCacheSettings>);
    return this.settings;
  }

  /**
   * Re-reads the persisted settings, to see changes other processes made
   * (each write does this by itself when another connection changed them).
   *
   * @returns The settings now in force.
   *
   * @example See another process's change
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using a = new DiskCache();
   * using b = new DiskCache(a.directory);
   * a.updateSettings({ cullLimit: 3 });
   * assert.equal(b.reloadSettings().cullLimit, 3);
   * rmSync(a.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  reloadSettings(): Readonly<DiskCacheSettings> {
    this.#engine.reloadSettings();
    return this.settings;
  }

  /**
   * Checks the cache directory and returns what is wrong: SQLite integrity,
   * items whose value file is missing or has the wrong size, value files no
   * item names, empty value directories, files that are not the cache's, a
   * wrong count or size in the Settings table. With `fix`, repairs what it
   * can: items with missing or damaged files are removed (python-diskcache
   * would instead record the damaged file's size, serving truncated bytes),
   * stray value files and empty value directories are removed (stray files
   * younger than 10 minutes are only reported: they may belong to a write in
   * progress), count and size are corrected, a failed integrity check
   * rebuilds the database. Nothing without the layout the cache writes
   * (`xx/yy/<28 hex>.val`) is ever removed: other files, a FanoutCache's
   * shards, symlinks are reported as `foreign-file` and left in place
   * (python-diskcache removes them). Each warning says whether it is
   * `repairable` and whether this call `repaired` it.
   *
   * @param options `fix`: repair what is found.
   * @returns The problems found (empty when all is well).
   *
   * @example Check a cache
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.deepEqual(cache.check(), []);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  check(options: { fix?: boolean } = {}): CheckWarning[] {
    const fix = options?.fix ?? false;
    if (typeof fix !== "boolean") throw new TypeError(`Cannot check: "fix" must be a boolean: received ${describe(fix)}`);
    return check(this.#engine, fix);
  }

  /**
   * Live keys, paged from the database (100 per query), in insertion order
   * by default. Expired items are skipped.
   *
   * @param options `order` (`"insertion"` or `"key"`), `reverse`.
   * @returns An iterator of keys.
   *
   * @example Walk the keys
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("b", 1);
   * cache.set("a", 2);
   * assert.deepEqual([...cache.keys()], ["b", "a"]);
   * assert.deepEqual([...cache.keys({ order: "key" })], ["a", "b"]);
   * assert.deepEqual([...cache.keys({ reverse: true })], ["a", "b"]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  keys(options: IterateOptions = {}): IterableIterator<unknown> {
    return iterate.keys(this.#engine, checkIterate(options));
  }

  /**
   * Live `[key, value]` pairs, paged like {@linkcode DiskCache.keys}.
   *
   * @param options `order`, `reverse`.
   * @returns An iterator of pairs.
   *
   * @example Walk the entries
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * assert.deepEqual([...cache.entries()], [["a", 1]]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  entries(options: IterateOptions = {}): IterableIterator<[unknown, unknown]> {
    return iterate.entries(this.#engine, checkIterate(options));
  }

  /**
   * Same as {@linkcode DiskCache.keys}: `for (const key of cache)`.
   *
   * @returns An iterator of keys in insertion order.
   *
   * @example Iterate a cache
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set(1, "x");
   * assert.deepEqual([...cache], [1]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  [Symbol.iterator](): IterableIterator<unknown> {
    return this.keys();
  }

  /**
   * Values of many keys read in one read transaction (one consistent
   * snapshot); `undefined` for each miss.
   *
   * @param keys The keys.
   * @returns The values, in the order of `keys`.
   *
   * @example Read many keys
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.setMany([["a", 1], ["b", 2]]);
   * assert.deepEqual(cache.getMany(["a", "x", "b"]), [1, undefined, 2]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  getMany<V = unknown>(keys: Iterable<Key>): (V | undefined)[] {
    const list = [...checkIterable(keys, "getMany")];
    return this.#engine.read("getMany", () => list.map((key) => this.get<V>(key)));
  }

  /**
   * Stores many items in one transaction: all or none.
   *
   * @param entries `[key, value]` pairs (an array, a Map, any iterable).
   * @param options `ttl` and `tag` for every item.
   * @returns How many items were stored.
   *
   * @example Store many items
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * assert.equal(cache.setMany(new Map([["a", 1], ["b", 2]]), { ttl: 60_000 }), 2);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  setMany(entries: Iterable<readonly [Key, unknown]>, options?: SetOptions): number {
    const list = [...checkIterable(entries, "setMany")];
    for (const entry of list) {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new TypeError(`Cannot setMany: each entry must be a [key, value] pair: received ${describe(entry)}`);
      }
    }
    return this.#engine.transact(() => {
      for (const [key, value] of list) this.set(key, value, options);
      return list.length;
    });
  }

  /**
   * Deletes many keys in one transaction.
   *
   * @param keys The keys.
   * @returns How many live items were removed.
   *
   * @example Delete many keys
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.setMany([["a", 1], ["b", 2]]);
   * assert.equal(cache.deleteMany(["a", "b", "c"]), 2);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  deleteMany(keys: Iterable<Key>): number {
    const list = [...checkIterable(keys, "deleteMany")];
    return this.#engine.transact(() => list.reduce<number>((n, key) => n + (this.delete(key) ? 1 : 0), 0));
  }

  /**
   * Adds `value` to a queue and returns its generated key: integers, or
   * `"<prefix>-NNNNNNNNNNNNNNN"` strings with a `prefix` (python-diskcache's
   * scheme). Atomic across processes.
   *
   * @param value The value.
   * @param options `prefix`, `side` (`"back"` default or `"front"`), `ttl`, `tag`.
   * @returns The new item's key.
   * @throws {DiskCacheError} When the queue's keys reached 0 (front) or
   * 999999999999999 (back): a push never replaces an item.
   *
   * @example Use a cache as a queue
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.push("first");
   * cache.push("second");
   * assert.deepEqual(cache.pull(), [500000000000000, "first"]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  push(value: unknown, options: PushOptions = {}): number | string {
    const { prefix, side = "back", ttl, tag } = checkQueue(options, "push", ["ttl", "tag"]);
    return queue.push(this.#engine, value, { prefix, side, ttl: checkTtl(ttl, "push"), tag: tagValue(tag) });
  }

  /**
   * Removes and returns the item at one end of a queue (the front by
   * default), skipping expired ones. Atomic across processes: each item is
   * pulled once.
   *
   * @param options `prefix`, `side`.
   * @returns `[key, value]`, or `undefined` when the queue is empty.
   * @throws {DiskCacheError} When the value cannot be read (a Python pickle):
   * the item stays in the queue.
   *
   * @example Pull from the back
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.push(1, { prefix: "jobs" });
   * cache.push(2, { prefix: "jobs" });
   * assert.deepEqual(cache.pull({ prefix: "jobs", side: "back" }), ["jobs-500000000000001", 2]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  pull<V = unknown>(options: PullOptions = {}): [key: unknown, value: V] | undefined {
    const { prefix, side = "front" } = checkQueue(options, "pull", []);
    return queue.pull(this.#engine, { prefix, side }, true) as [unknown, V] | undefined;
  }

  /**
   * Returns the item at one end of a queue without removing it.
   *
   * @param options `prefix`, `side`.
   * @returns `[key, value]`, or `undefined` when the queue is empty.
   *
   * @example Peek at a queue
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.push("job");
   * assert.deepEqual(cache.peek(), [500000000000000, "job"]);
   * assert.equal(cache.length, 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  peek<V = unknown>(options: PullOptions = {}): [key: unknown, value: V] | undefined {
    const { prefix, side = "front" } = checkQueue(options, "peek", []);
    return queue.pull(this.#engine, { prefix, side }, false) as [unknown, V] | undefined;
  }

  /**
   * The first or last item in insertion order (any key), without removing
   * it; expired items met on the way are removed.
   *
   * @param options `last`: the newest item (default) or the oldest.
   * @returns `[key, value]`, or `undefined` when empty.
   *
   * @example Peek at the newest item
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", 1);
   * cache.set("b", 2);
   * assert.deepEqual(cache.peekItem(), ["b", 2]);
   * assert.deepEqual(cache.peekItem({ last: false }), ["a", 1]);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  peekItem<V = unknown>(options: { last?: boolean } = {}): [key: unknown, value: V] | undefined {
    const last = options.last ?? true;
    if (typeof last !== "boolean") throw new TypeError(`Cannot peekItem: "last" must be a boolean: received ${describe(last)}`);
    return queue.peekItem(this.#engine, last) as [unknown, V] | undefined;
  }

  /**
   * Estimated bytes on disk: database pages plus value files.
   *
   * @returns Bytes.
   *
   * @example Measure the cache
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * assert.ok(cache.volume() > 0);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  volume(): number {
    this.#engine.db("volume");
    return this.#engine.translating("measure volume", () => ops.volume(this.#engine));
  }

  /**
   * Closes the connection. Safe to call twice; later calls of other methods
   * throw `DiskCacheError`. Nothing acknowledged is lost by not calling it.
   * Pending hit statistics and LRU/LFU access times are written if the lock
   * is free; close never waits for another process to release it.
   *
   * @example Close a cache
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache, DiskCacheError } from "@diskcache/diskcache";
   * const cache = new DiskCache();
   * cache.close();
   * assert.throws(() => cache.get("a"), DiskCacheError);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  close(): void {
    this.#memory?.clear();
    this.#memory = undefined;
    this.#engine.close();
    refuseAfterClose(this, DiskCache.prototype, `the cache at "${this.#engine.directory}"`, { getters: ["length"] });
  }

  /**
   * Whether {@linkcode DiskCache.close} was called. A closed cache's methods
   * throw a `DiskCacheError` naming the call.
   *
   * @example After close
   * ```ts
   * import assert from "node:assert/strict";
   * import { DiskCache, DiskCacheError } from "@diskcache/diskcache";
   * const cache = new DiskCache();
   * cache.close();
   * assert.equal(cache.closed, true);
   * assert.throws(() => cache.get("a"), (e: Error) => e instanceof DiskCacheError && /Cannot call get\(\): .* is closed/.test(e.message));
   * ```
   */
  get closed(): boolean {
    return this.#engine.closed;
  }

  /** Same as {@linkcode DiskCache.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * What the row of a live item says: size, inline or file, expiry, tag,
   * how its key and value are stored. The value is not read: no hit is
   * counted and the eviction policy sees no access.
   *
   * @param key The key.
   * @returns The item's {@linkcode ItemInfo}, or `undefined` when there is no live item.
   *
   * @example Inspect an item
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", "hello", { ttl: 60_000, tag: "t" });
   * const info = cache.inspect("a")!;
   * assert.deepEqual([info.size, info.storage, info.tag], [5, "inline", "t"]);
   * assert.ok(info.expireTime! > Date.now());
   * assert.equal(cache.inspect("missing"), undefined);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  inspect(key: Key): ItemInfo | undefined {
    return inspection.inspect(this.#engine, storedKey(key));
  }

  /**
   * {@linkcode DiskCache.inspect} for every live item, paged like
   * {@linkcode DiskCache.keys} (100 rows per query), without reading values.
   *
   * @param options `order` (`"insertion"` or `"key"`), `reverse`.
   * @returns An iterator of {@linkcode ItemInfo}.
   *
   * @example Sum the sizes of the items
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * cache.set("a", "xy");
   * cache.set("b", new Uint8Array(3));
   * let bytes = 0;
   * for (const info of cache.inspectAll()) bytes += info.size;
   * assert.equal(bytes, 5);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  inspectAll(options: IterateOptions = {}): IterableIterator<ItemInfo> {
    return inspection.inspectAll(this.#engine, checkIterate(options));
  }

  /**
   * Gives the database file's free pages back to the file system (SQLite's
   * `VACUUM`, then a checkpoint that truncates the write-ahead log). Removing
   * items leaves their pages free for reuse, not returned; run this after a
   * large `clear()` or `evict()`. It rewrites the whole database and holds
   * the write lock meanwhile.
   *
   * @returns How many bytes the database shrank.
   * @throws {DiskCacheError} On a read-only cache, inside `transact()`, or when the lock stays taken past `timeout`.
   *
   * @example Shrink the database after clearing it
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache(undefined, { sqliteAutoVacuum: 0 }); // 1 (the default) shrinks the file at each commit
   * cache.setMany(Array.from({ length: 500 }, (_, i) => [i, "x".repeat(500)] as const));
   * cache.clear();
   * assert.ok(cache.vacuum() > 0);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  vacuum(): number {
    return inspection.vacuum(this.#engine);
  }

  /**
   * The value stored under `key`, or else the value `compute` returns (sync
   * or async), stored and returned: lru-cache's `fetch()` and cache-manager's
   * `wrap()`, across processes. On a miss one caller at a time, in any
   * process, runs `compute`: the one that takes the key's lease (an item
   * under `["\u0000diskcache getOrSet lease", key]` while it computes). The
   * others wait without blocking the event loop (callers in this process
   * share its promise; other processes look again every few milliseconds,
   * up to 50) and get the value it stores. A `compute` that throws stores
   * nothing: its error reaches its caller (and the callers in its process
   * waiting for it), and a waiting process then computes itself. A holder
   * that dies stops renewing its lease, and another caller takes over within
   * `lease` milliseconds.
   *
   * @typeParam V The value's type.
   * @param key The key.
   * @param compute Computes the value when it is missing; `undefined` cannot
   * be stored (a missing key reads as `undefined`) and rejects with a
   * `TypeError`: return `null` for "nothing".
   * @param options `ttl` and `tag` of the stored value; `lease`
   * (milliseconds, default 10 000); `signal` to stop waiting.
   * @returns The stored value, or the computed one.
   * @throws {TypeError} (rejects) For a bad key or option, when `compute` returns
   * `undefined`, or a value the cache cannot store (nothing is stored).
   * @throws {Timeout} (rejects) When the database stays locked past `timeout`.
   *
   * @example Compute a value once, then read it
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache } from "@diskcache/diskcache";
   * using cache = new DiskCache();
   * let calls = 0;
   * const load = () =>
   *   cache.getOrSet(["user", 1], async () => {
   *     calls++;
   *     return { name: "Ada" };
   *   }, { ttl: 60_000 });
   * const [a, b] = await Promise.all([load(), load()]);
   * assert.deepEqual([a, b, await load()], [{ name: "Ada" }, { name: "Ada" }, { name: "Ada" }]);
   * assert.equal(calls, 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  getOrSet<V>(key: Key, compute: () => V | PromiseLike<V>, options?: GetOrSetOptions): Promise<Awaited<V>> {
    return getOrSet(this, key, compute, options);
  }
}

inspectable(DiskCache.prototype, (cache) =>
  `DiskCache ${
    fields(
      cache.closed
        ? { directory: () => cache.directory, closed: () => true }
        : { directory: () => cache.directory, count: () => cache.length, volume: () => cache.volume() },
    )
  }`);

/** The front end that asks, as {@linkcode adoptOrOpen} names it in its error. */
export interface FrontEnd<C extends object> {
  /** Its class, e.g. `"DiskCacheStore"`. */
  name: string;
  /** What the message calls it, e.g. `"store"`. */
  role: string;
  /** The cache classes it takes open. */
  adopts: readonly (abstract new (...args: never[]) => C)[];
}

/**
 * The cache a front end (`DiskCacheStore`, `DiskCacheStorage`) works on: the
 * open cache `given`, which the front end adopts (and does not close), or
 * else a DiskCache opened on the directory `given` (a temporary one when
 * omitted) with `options`, which the front end owns (and closes). Internal,
 * not exported by the package; here rather than in a module of its own, for
 * which the npm build would make one more chunk for those entry points to load.
 *
 * @param given An open cache of a class the front end adopts, a directory, or `undefined`.
 * @param options Cache options: they apply only when the cache is opened here.
 * @param front The front end asking.
 * @returns The cache, and whether it was opened here.
 * @throws {TypeError} For an open cache given together with cache options.
 *
 * @example Open a cache, or take one open
 * ```ts ignore
 * const { cache, owned } = adoptOrOpen(dirOrCache, cacheOptions, { name: "DiskCacheStore", role: "store", adopts: [DiskCache, FanoutCache] });
 * ```
 */
export function adoptOrOpen<C extends object>(
  given: string | C | undefined,
  options: DiskCacheOptions,
  front: FrontEnd<C>,
): { cache: C | DiskCache; owned: boolean } {
  if (!front.adopts.some((type) => given instanceof type)) return { cache: new DiskCache(given as string | undefined, options), owned: true };
  if (Object.keys(options).length) {
    throw new TypeError(
      `Cannot create ${front.name}: cache options (${
        Object.keys(options).join(", ")
      }) apply only when the ${front.role} opens the cache, not with an open cache`,
    );
  }
  return { cache: given as C, owned: false };
}
