/**
 * The public types of DiskCache: what keys and tags may be, the options of
 * the methods, and what `getEntry()`, `stats()` and `check()` return. Every
 * type a user may name lives here (the entry points re-export them), so no
 * public signature refers to a type kept in an internal file.
 *
 * @example Name the types in your own code
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type Key, type SetOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const remember = (key: Key, value: unknown, options: SetOptions = {}) => cache.set(key, value, options);
 * assert.equal(remember(["user", 1], "Ada", { ttl: 60_000, tag: "users" }), true);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 *
 * @module
 */

/**
 * Keys: strings, numbers and bigints (64-bit) and `Uint8Array` are stored
 * natively, as Python stores str, int, float and bytes; anything else the
 * codec supports (arrays, plain objects, booleans, null...) canonically, so
 * equal structures name the same item.
 *
 * @example Native and structured keys
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type Key } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const keys: Key[] = ["name", 42, 2n ** 62n, new Uint8Array([1, 2]), ["user", 1], { id: 7 }];
 * for (const key of keys) cache.set(key, "value");
 * assert.equal(cache.get({ id: 7 }), "value");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type Key = string | number | bigint | Uint8Array | ArrayBuffer | boolean | null | readonly unknown[] | object;

/**
 * A tag stored beside an item, for {@linkcode DiskCache.evict} to remove
 * every item that carries it.
 *
 * @example Evict by tag
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type Tag } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const tag: Tag = "session:42";
 * cache.set("a", 1, { tag });
 * cache.set("b", 2, { tag });
 * assert.equal(cache.evict(tag), 2);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type Tag = string | number | bigint | Uint8Array;

/**
 * Options of writes (`set`, `add`, `setMany`, `setStream`, `setFile`).
 *
 * @example Expire and tag an item
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type SetOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const options: SetOptions = { ttl: 60_000, tag: "config" };
 * cache.set("theme", "dark", options);
 * assert.equal(cache.getEntry("theme")?.tag, "config");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface SetOptions {
  /** Milliseconds until the item expires; omitted means never. */
  ttl?: number | undefined;
  /** A tag stored with the item (see `getEntry`). */
  tag?: Tag | null | undefined;
}

/**
 * Options of {@linkcode DiskCache.keys} and {@linkcode DiskCache.entries}.
 *
 * @example Walk keys in key order, backwards
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type IterateOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * for (const k of ["b", "c", "a"]) cache.set(k, 1);
 * const options: IterateOptions = { order: "key", reverse: true };
 * assert.deepEqual([...cache.keys(options)], ["c", "b", "a"]);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface IterateOptions {
  /**
   * `"insertion"`: order of first insertion (replacing a value keeps its
   * place); `"key"`: SQLite's order of the stored keys, meaningful for
   * strings, numbers and bytes.
   *
   * @default {"insertion"}
   */
  order?: "insertion" | "key";
  /**
   * Walk from the end.
   *
   * @default {false}
   */
  reverse?: boolean;
}

/**
 * Options of {@linkcode DiskCache.push}.
 *
 * @example Two queues in one cache
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type PushOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const jobs: PushOptions = { prefix: "jobs" };
 * cache.push("first", jobs);
 * cache.push("urgent", { ...jobs, side: "front" });
 * assert.equal(cache.pull({ prefix: "jobs" })?.[1], "urgent");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface PushOptions extends SetOptions {
  /** Keys become `"<prefix>-NNNNNNNNNNNNNNN"` strings instead of integers, so several queues share a cache. */
  prefix?: string | undefined;
  /**
   * Which end to add at.
   *
   * @default {"back"}
   */
  side?: "front" | "back";
}

/**
 * Options of {@linkcode DiskCache.pull} and {@linkcode DiskCache.peek}.
 *
 * @example Take from the back of a queue
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type PullOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * cache.push("a");
 * cache.push("b");
 * const options: PullOptions = { side: "back" };
 * assert.equal(cache.pull(options)?.[1], "b");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface PullOptions {
  /** The queue's prefix, as given to `push`. */
  prefix?: string | undefined;
  /**
   * Which end to take from.
   *
   * @default {"front"}
   */
  side?: "front" | "back";
}

/**
 * What {@linkcode DiskCache.getEntry} returns: the value and what is stored
 * beside it.
 *
 * @typeParam V The value's type.
 *
 * @example Read an item's expiry and tag
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type Entry } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { clock: () => 1_000 });
 * cache.set("k", "v", { ttl: 500, tag: "t" });
 * const entry: Entry<string> | undefined = cache.getEntry<string>("k");
 * assert.equal(entry?.value, "v");
 * assert.equal(entry?.expireTime, 1_500);
 * assert.equal(entry?.tag, "t");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface Entry<V = unknown> {
  /** The value. */
  value: V;
  /** When the item expires, in epoch milliseconds, or `null` for never. */
  expireTime: number | null;
  /** When the value was last stored (`set`, `add`, `incr`), in epoch milliseconds. */
  storeTime: number;
  /** The item's tag, or `null`. */
  tag: Tag | null;
}

/**
 * What {@linkcode DiskCache.stats} reports.
 *
 * @example Count hits and misses
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { type CacheStats, DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { statistics: true });
 * cache.set("a", 1);
 * cache.get("a");
 * cache.get("b");
 * const stats: CacheStats = cache.stats();
 * assert.deepEqual([stats.hits, stats.misses, stats.count], [1, 1, 1]);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface CacheStats {
  /** Reads that found a live item (while `statistics` is on). */
  hits: number;
  /** Reads that found nothing (while `statistics` is on). */
  misses: number;
  /** Items removed to keep under `sizeLimit` (always counted). */
  evictions: number;
  /** Items stored, expired ones included until culled. */
  count: number;
  /** Bytes on disk: database pages plus value files. */
  volume: number;
  /** The size limit in force, in bytes. */
  sizeLimit: number;
  /** The in-process memory tier, when the cache has one (the `memory` option). */
  memory?: MemoryStats;
}

/**
 * The `memory` option of a cache: an in-process tier in front of the
 * database that serves repeated reads from memory, still coherent with
 * every other process using the directory.
 *
 * @experimental **UNSTABLE**
 *
 * @example Keep up to 64 MiB of hot values in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { rmSync } from "node:fs";
 * import { DiskCache, type MemoryOptions } from "@diskcache/diskcache";
 * const memory: MemoryOptions = { maxBytes: 2 ** 26, staleness: 0 };
 * using cache = new DiskCache(undefined, { memory });
 * cache.set("k", { n: 1 });
 * assert.deepEqual(cache.get("k"), { n: 1 }); // read from disk, now kept
 * assert.deepEqual(cache.get("k"), { n: 1 }); // from memory
 * assert.equal(cache.stats().memory?.hits, 1);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface MemoryOptions {
  /**
   * Most bytes the tier holds (values, keys and bookkeeping, estimated);
   * past it, the least recently read values leave memory first.
   */
  maxBytes: number;
  /**
   * How far behind other processes' writes a read may be, in milliseconds.
   * `0`: never; every read first asks SQLite whether another connection
   * committed (`PRAGMA data_version`, one call into the binding). `N`: that
   * question is asked at most every N ms, so a read may miss another
   * process's write that finished less than N ms before it; this process's
   * own writes are always seen.
   *
   * @default {0}
   */
  staleness?: number;
}

/**
 * What `stats()` reports of the memory tier.
 *
 * @experimental **UNSTABLE**
 *
 * @example Watch the tier
 * ```ts
 * import assert from "node:assert/strict";
 * import { rmSync } from "node:fs";
 * import { DiskCache, type MemoryStats } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { memory: { maxBytes: 2 ** 20 } });
 * cache.set("k", "v");
 * cache.get("k");
 * const memory: MemoryStats = cache.stats().memory!;
 * assert.equal(memory.entries, 1);
 * assert.ok(memory.bytes > 0 && memory.bytes <= memory.maxBytes);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface MemoryStats {
  /** Bytes held, estimated (values, keys and per-entry bookkeeping). */
  bytes: number;
  /** Values held. */
  entries: number;
  /** Reads answered from memory since the cache was opened (also counted in `hits` while `statistics` is on). */
  hits: number;
  /** The bound, `memory.maxBytes`. */
  maxBytes: number;
}

/**
 * One problem {@linkcode DiskCache.check} found (and, with `fix`, repaired).
 *
 * @example A healthy cache reports nothing
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { type CheckWarning, DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * cache.set("a", "x".repeat(100_000));
 * const warnings: CheckWarning[] = cache.check();
 * assert.deepEqual(warnings, []);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface CheckWarning {
  /**
   * What kind of problem. `unknown-file` is a value file (`xx/yy/<28
   * hex>.val`, the layout the cache writes) that no item names;
   * `foreign-file` is anything else that is not the cache's (a file or a
   * directory, a FanoutCache shard, a symlink): reported, never removed.
   */
  kind: "integrity" | "missing-file" | "wrong-size" | "unknown-file" | "foreign-file" | "empty-directory" | "count" | "size";
  /** A sentence saying what is wrong (and what `fix` did). */
  message: string;
  /** The file or directory concerned, relative to the cache directory. */
  path?: string;
  /** Whether `check({ fix: true })` repairs this kind of problem here (false for a database damaged beyond repair, a file that is not the cache's, a file young enough to belong to a write in progress). */
  repairable: boolean;
  /** Whether this call repaired it (always false without `fix`). */
  repaired: boolean;
}

/**
 * The part of one `DiskCache` the recipes ({@linkcode Lock},
 * {@linkcode BoundedSemaphore}, {@linkcode Averager}, {@linkcode throttle},
 * {@linkcode barrier}, {@linkcode memoizeStampede}) use: its public API only,
 * including a write transaction. Anything with this shape works.
 *
 * @example A DiskCache is a recipe store
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type RecipeStore } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const store: RecipeStore = cache;
 * assert.equal(store.transact(() => store.add("k", 1)), true);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface RecipeStore {
  /** See `DiskCache.get`. */
  get(key: Key): unknown;
  /** See `DiskCache.getEntry`. */
  getEntry(key: Key): { value: unknown; expireTime: number | null } | undefined;
  /** See `DiskCache.set`. */
  set(key: Key, value: unknown, options?: { ttl?: number | undefined; tag?: Tag | null | undefined }): unknown;
  /** See `DiskCache.add`. */
  add(key: Key, value: unknown, options?: { ttl?: number | undefined; tag?: Tag | null | undefined }): boolean;
  /** See `DiskCache.delete`. */
  delete(key: Key): boolean;
  /** See `DiskCache.has`. */
  has(key: Key): boolean;
  /** See `DiskCache.pop`. */
  pop(key: Key): unknown;
  /** See `DiskCache.transact`. */
  transact<T>(fn: () => T): T;
  /**
   * See `DiskCache.now`: the clock the stored expiry times are measured on.
   * A store without it is read with `Date.now()`.
   */
  readonly now?: number;
}

/**
 * A sharded cache (`FanoutCache`) as the recipes see it: no transaction of
 * its own, but each key lives in one shard, whose transaction the recipes
 * use for that key.
 *
 * @example A FanoutCache is a sharded recipe cache
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { FanoutCache, type ShardedRecipeCache } from "@diskcache/diskcache";
 * using cache = new FanoutCache(undefined, { shards: 2 });
 * const sharded: ShardedRecipeCache = cache;
 * const shard = sharded.shardOf("k");
 * assert.equal(shard.transact(() => shard.add("k", 1)), true);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface ShardedRecipeCache extends Omit<RecipeStore, "transact"> {
  /** The shard holding `key`. */
  shardOf(key: Key): RecipeStore;
}

/**
 * What the recipes accept: a `DiskCache` (or anything with its shape) or a
 * `FanoutCache`. Every read-modify-write of a recipe touches one key, so it
 * runs in the transaction of the cache, or of the shard, that holds that key.
 *
 * @example One lock on either kind of cache
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, FanoutCache, Lock, type RecipeCache } from "@diskcache/diskcache";
 * using plain = new DiskCache();
 * using sharded = new FanoutCache(undefined, { shards: 2 });
 * for (const cache of [plain, sharded] satisfies RecipeCache[]) {
 *   const lock = new Lock(cache, "report");
 *   assert.equal(lock.tryAcquire(), true);
 *   lock.release();
 * }
 * rmSync(plain.directory, { recursive: true, force: true }); // the example's temporary directory
 * rmSync(sharded.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type RecipeCache = RecipeStore | ShardedRecipeCache;

/**
 * Options shared by the recipes that store one key.
 *
 * @example A lock that frees itself if its holder dies
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, Lock, type RecipeOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const options: RecipeOptions = { ttl: 30_000, tag: "locks" };
 * const lock = new Lock(cache, "nightly-job", options);
 * assert.equal(lock.tryAcquire(), true);
 * assert.equal(cache.getEntry("nightly-job")?.tag, "locks");
 * lock.release();
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface RecipeOptions {
  /** Milliseconds until the recipe's key expires: a guard against a holder that died. */
  ttl?: number;
  /** Tag stored with the key. */
  tag?: Tag;
}

/**
 * Options of the removals over many items (`expire`, `evict`, `cull`,
 * `clear`): `limit` makes one call remove at most that many items, so a long
 * removal can run in slices, report progress and stop between them.
 *
 * @example Clear a large cache in slices of 1,000
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type RemoveOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * cache.setMany(Array.from({ length: 2_500 }, (_, i) => [i, i] as const));
 * const slice: RemoveOptions = { limit: 1_000 };
 * const removed: number[] = [];
 * for (let n; (n = cache.clear(slice)) > 0;) removed.push(n);
 * assert.deepEqual(removed, [1_000, 1_000, 500]);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface RemoveOptions {
  /**
   * Most items this call removes (a non-negative safe integer); call again
   * for more: each call returns how many it removed, 0 when none is left.
   *
   * @default {Infinity}
   */
  limit?: number;
}

/**
 * What {@linkcode DiskCache.inspect} and {@linkcode DiskCache.inspectAll}
 * tell about one item, read from its row without reading its value (no hit
 * is counted, no access time changes).
 *
 * @example Look at an item without reading it
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type ItemInfo } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { minFileSize: 1024 });
 * cache.set("page", "x".repeat(5_000), { tag: "html" });
 * const info: ItemInfo = cache.inspect("page")!;
 * assert.deepEqual([info.storage, info.size, info.tag, info.mode], ["file", 5_000, "html", "text"]);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface ItemInfo {
  /** The key, as `keys()` yields it (a `ForeignKey` for a key this library cannot decode, such as a Python pickle). */
  key: unknown;
  /** `true` when the key is stored natively (string, number, bigint, bytes), `false` when encoded (structured keys, Python pickles). */
  rawKey: boolean;
  /** Bytes of the stored value: its file's size, or the inline column's length (8 for a number). */
  size: number;
  /** Where the value lives: in the database row, or in its own file. */
  storage: "inline" | "file";
  /** The value file, relative to the cache directory, or `null` when inline. */
  filename: string | null;
  /** How the value is stored: python-diskcache's modes, plus this library's CBOR. */
  mode: "raw" | "binary" | "text" | "pickle" | "cbor" | "unknown";
  /** When the item was stored, in epoch milliseconds. */
  storeTime: number;
  /** When the item expires, in epoch milliseconds, or `null` for never. */
  expireTime: number | null;
  /** When the item was last read (as the eviction policy records it), in epoch milliseconds. */
  accessTime: number;
  /** Reads counted (least-frequently-used policy only). */
  accessCount: number;
  /** The item's tag, or `null`. */
  tag: Tag | null;
}
