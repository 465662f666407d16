/**
 * DiskCache: a disk- and file-backed cache for Deno, Bun and Node, on SQLite,
 * in python-diskcache's on-disk format. Many processes may share one cache
 * directory; values survive restarts; large values live in their own files.
 *
 * @example Memoize by hand
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * cache.set("answer", 42, { ttl: 60_000 });
 * assert.equal(cache.get("answer"), 42);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";

export { DiskCache, type DiskCacheOptions } from "./src/disk_cache.ts";
export { userCacheDirectory, type UserCacheDirectoryOptions } from "./src/user_cache_directory.ts";
export type {
  CacheStats,
  CheckWarning,
  Entry,
  ItemInfo,
  IterateOptions,
  Key,
  MemoryOptions,
  MemoryStats,
  PullOptions,
  PushOptions,
  RemoveOptions,
  SetOptions,
  Tag,
} from "./src/types.ts";
export { DiskCacheError, Timeout } from "./src/errors.ts";
export { ForeignKey } from "./src/format/undecodable_key.ts";
export { Deque, type DequeOptions } from "./src/deque.ts";
export { FanoutCache, type FanoutCacheOptions, type FanoutStats } from "./src/fanout.ts";
export { Index } from "./src/index.ts";
export { memoize, type MemoizeCache, type Memoized, type MemoizeOptions } from "./src/memoize.ts";
export type { GetOrSetOptions } from "./src/get_or_set.ts";
export { Lock, RLock } from "./src/recipes/lock.ts";
export { BoundedSemaphore, type SemaphoreOptions } from "./src/recipes/semaphore.ts";
export { Averager } from "./src/recipes/averager.ts";
export { throttle, type ThrottleOptions } from "./src/recipes/throttle.ts";
export { barrier, type LockLike } from "./src/recipes/barrier.ts";
export { memoizeStampede, type StampedeMemoized, type StampedeOptions } from "./src/recipes/stampede.ts";
export type { RecipeCache, RecipeOptions, RecipeStore, ShardedRecipeCache } from "./src/types.ts";
export { DEFAULT_SETTINGS, type DiskCacheSettings } from "./src/settings.ts";
export { EVICTION_POLICIES, type EvictionPolicy, type EvictionPolicySql } from "./src/eviction.ts";
export type { SqliteDatabase, SqliteDriver, SqliteOpenOptions, SqlitePrepareOptions, SqliteRunResult, SqliteStatement, SqliteValue } from "./src/driver.ts";
