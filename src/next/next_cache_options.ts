/**
 * {@linkcode NextCacheOptions}: what both Next.js handlers take, and how
 * they open their cache.
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import type { EvictionPolicy } from "../eviction.ts";

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
export interface NextCacheOptions extends DiskCacheOptions {
  /** The cache directory, shared by every process that serves the app. */
  directory: string;
  /**
   * Which entries go first when the directory passes `sizeLimit`.
   *
   * @default {"least-recently-used"}
   */
  evictionPolicy?: EvictionPolicy;
}

/** Checks `options` now and returns a function that opens the cache on first use. */
export function lazyNextCache(options: NextCacheOptions, what: string): { open(): DiskCache; close(): void } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${what}: expected an options object with a "directory": received ${describe(options)}`);
  }
  const { directory, ...rest } = options;
  if (typeof directory !== "string" || directory === "") {
    throw new TypeError(
      `Cannot create ${what}: "directory" must be a non-empty path shared by every Next.js process: received ${describe(directory)}`,
    );
  }
  const cacheOptions: DiskCacheOptions = { evictionPolicy: "least-recently-used", ...rest };
  let cache: DiskCache | undefined;
  return {
    open(): DiskCache {
      if (cache === undefined || cache.closed) cache = new DiskCache(directory, cacheOptions);
      return cache;
    },
    close(): void {
      cache?.close();
      cache = undefined;
    },
  };
}
