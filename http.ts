/**
 * `@diskcache/diskcache/http`: HTTP caching on disk.
 *
 * - {@linkcode DiskCacheStore}: undici's `CacheStore` on a DiskCache, for
 *   `interceptors.cache({ store })`, so Node's own `fetch` caches to disk.
 * - {@linkcode cachedFetch}: a `fetch` that caches per RFC 9111 in a
 *   DiskCache, the same on Deno, Bun and Node.
 *
 * @example Node's global fetch, cached on disk
 * ```ts ignore
 * import { Agent, interceptors, setGlobalDispatcher } from "undici";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * import { DiskCacheStore } from "@diskcache/diskcache/http";
 * setGlobalDispatcher(new Agent().compose(interceptors.cache({ store: new DiskCacheStore(userCacheDirectory("my-app-http")) })));
 * ```
 *
 * @example A caching fetch on Deno, Bun or Node
 * ```ts ignore
 * import { DiskCache, userCacheDirectory } from "@diskcache/diskcache";
 * import { cachedFetch } from "@diskcache/diskcache/http";
 * const fetch = cachedFetch(new DiskCache(userCacheDirectory("my-app-http")));
 * const res = await fetch("https://example.com/");
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";

export {
  type CacheControlDirectives,
  type CacheKey,
  type CacheValue,
  DiskCacheStore,
  type DiskCacheStoreOptions,
  type GetResult,
} from "./src/http/disk_cache_store.ts";
export type { CacheBackend, VaryMap } from "./src/http/_records.ts";
export { type CachedFetch, cachedFetch, type CachedFetchOptions, type FetchLike } from "./src/http/cached_fetch.ts";
