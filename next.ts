/**
 * `@diskcache/diskcache/next`: Next.js's cache handlers on disk, shared by
 * every process of the host, bounded by a byte budget.
 *
 * - {@linkcode createIncrementalCacheHandler}: the class for `cacheHandler`
 *   (ISR pages, route handlers, `fetch` results).
 * - {@linkcode createUseCacheHandler}: the object for `cacheHandlers`
 *   (`'use cache'`).
 * - {@linkcode createCacheHandlers}: both from one `cacheHandlers` module,
 *   the incremental one installed as Next's `FetchCache` (faster: Next
 *   re-imports a `cacheHandler` module on every request).
 *
 * @example next.config.mjs and the two handler modules
 * ```ts ignore
 * // next.config.mjs
 * export default {
 *   cacheHandler: new URL("./cache-handler.mjs", import.meta.url).pathname,
 *   cacheMaxMemorySize: 0,
 *   cacheHandlers: { default: new URL("./use-cache-handler.mjs", import.meta.url).pathname },
 * };
 * // cache-handler.mjs
 * import { createIncrementalCacheHandler } from "@diskcache/diskcache/next";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * export default createIncrementalCacheHandler({ directory: userCacheDirectory("next"), sizeLimit: 2 ** 30 });
 * // use-cache-handler.mjs
 * import { createUseCacheHandler } from "@diskcache/diskcache/next";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * export default createUseCacheHandler({ directory: userCacheDirectory("next"), sizeLimit: 2 ** 30 });
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";

export { createIncrementalCacheHandler } from "./src/next/incremental_cache_handler.ts";
export { createUseCacheHandler } from "./src/next/use_cache_handler.ts";
export { createCacheHandlers } from "./src/next/cache_handlers.ts";
export type { NextCacheOptions } from "./src/next/next_cache_options.ts";
export type { NextIncrementalCacheOptions, NextRemoteStore } from "./src/next/remote_tier.ts";
export type {
  NextCacheControl,
  NextCacheHandlerValue,
  NextGetContext,
  NextIncrementalCacheHandler,
  NextIncrementalCacheHandlerClass,
  NextIncrementalCacheValue,
  NextSetContext,
  NextTagDurations,
  NextUseCacheEntry,
  NextUseCacheHandler,
} from "./src/next/types.ts";
