/**
 * `@diskcache/diskcache/http`: HTTP caching on disk.
 *
 * - {@linkcode DiskCacheStore}: undici's `CacheStore` on a DiskCache, for
 *   `interceptors.cache({ store })`, so Node's own `fetch` caches to disk.
 *
 * @example Node's global fetch, cached on disk
 * ```ts ignore
 * import { Agent, interceptors, setGlobalDispatcher } from "undici";
 * import { DiskCacheStore } from "@diskcache/diskcache/http";
 * setGlobalDispatcher(new Agent().compose(interceptors.cache({ store: new DiskCacheStore("/var/cache/http") })));
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
