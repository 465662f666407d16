/**
 * `@diskcache/diskcache/web-cache`: the Web Cache API (the Service Worker
 * spec's `caches`) on disk, for Deno, Bun and Node.
 *
 * - {@linkcode DiskCacheStorage}: `CacheStorage` (`open`, `has`, `delete`,
 *   `keys`, `match`) over one DiskCache directory, shared by processes.
 * - {@linkcode WebCache}: the `Cache` it opens (`match`, `matchAll`, `add`,
 *   `addAll`, `put`, `delete`, `keys`).
 * - {@linkcode installGlobalCaches}: makes one `globalThis.caches`.
 *
 * @example hono's cache() middleware on Node
 * ```ts ignore
 * import { Hono } from "hono";
 * import { cache } from "hono/cache";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * import { installGlobalCaches } from "@diskcache/diskcache/web-cache";
 * installGlobalCaches(userCacheDirectory("my-app-web"));
 * const app = new Hono();
 * app.get("*", cache({ cacheName: "pages", cacheControl: "max-age=60" }));
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";

export {
  DiskCacheStorage,
  type DiskCacheStorageOptions,
  installGlobalCaches,
  type InstallGlobalCachesOptions,
  type WebCacheMultiQueryOptions,
} from "./src/web_cache/disk_cache_storage.ts";
export { WebCache, type WebCacheQueryOptions, type WebCacheRequest } from "./src/web_cache/web_cache.ts";
