/**
 * {@linkcode NextCacheOptions}: what both Next.js handlers take, and how
 * they open their cache.
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions, engineOf } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import type { EvictionPolicy } from "../eviction.ts";
import { memorySettings } from "../ops/memory_tier.ts";
import type { MemoryOptions } from "../types.ts";
import { Memo } from "./_memo.ts";

/**
 * Options of {@linkcode createIncrementalCacheHandler} and
 * {@linkcode createUseCacheHandler}: the cache directory that every Next
 * process of the host shares, plus any {@linkcode DiskCacheOptions}
 * (`sizeLimit`, `evictionPolicy`, ...).
 *
 * @example A 2 GiB budget
 * ```ts
 * import type { NextCacheOptions } from "@diskcache/diskcache/next";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * const options: NextCacheOptions = { directory: userCacheDirectory("next"), sizeLimit: 2 ** 31 };
 * console.log(options.directory);
 * ```
 */
export interface NextCacheOptions extends Omit<DiskCacheOptions, "memory"> {
  /** The cache directory, shared by every process that serves the app. */
  directory: string;
  /**
   * Which entries go first when the directory passes `sizeLimit`.
   *
   * @default {"least-recently-used"}
   */
  evictionPolicy?: EvictionPolicy;
  /**
   * Each process's memory of the entries it read, decoded, in front of the
   * shared cache (as Next's own file-system cache keeps one), and still
   * coherent with every process: before each read the handler asks SQLite
   * whether any other connection committed (`PRAGMA data_version`), so a
   * `set` or a revalidation in any process is seen by the next `get` of
   * every process. `staleness` as for `DiskCache`'s memory tier; `false`
   * turns it off (every `get` reads and decodes from disk).
   *
   * @default {{ maxBytes: 2 ** 26, staleness: 0 }}
   */
  memory?: MemoryOptions | false | undefined;
}

/** What a handler reads and writes through: the cache and its memory (absent when turned off). */
export interface OpenNextCache<V> {
  cache: DiskCache;
  memo: Memo<V> | undefined;
}

/** Checks `options` now and returns a function that opens the cache (and its memory) on first use. */
export function lazyNextCache<V>(options: NextCacheOptions, what: string): { open(): OpenNextCache<V>; close(): void } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${what}: expected an options object with a "directory": received ${describe(options)}`);
  }
  const { directory, memory = { maxBytes: 2 ** 26 }, ...rest } = options;
  if (typeof directory !== "string" || directory === "") {
    throw new TypeError(
      `Cannot create ${what}: "directory" must be a non-empty path shared by every Next.js process: received ${describe(directory)}`,
    );
  }
  const settings = memory === false ? undefined : memorySettings(memory);
  const cacheOptions: DiskCacheOptions = { evictionPolicy: "least-recently-used", ...rest };
  let opened: OpenNextCache<V> | undefined;
  return {
    open(): OpenNextCache<V> {
      if (opened === undefined || opened.cache.closed) {
        const cache = new DiskCache(directory, cacheOptions);
        opened = { cache, memo: settings && new Memo<V>(engineOf(cache), settings) };
      }
      return opened;
    },
    close(): void {
      opened?.cache.close();
      opened = undefined;
    },
  };
}
