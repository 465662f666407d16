// The DiskCache handlers for both of Next's caches: ISR pages, route handlers
// and fetch results (cacheHandler), and 'use cache' entries (cacheHandlers).
// NEXT_CACHE_MODE picks other handlers for bench/sections/next.mjs: "diskcache-two-modules"
// (the same handlers from two modules, the incremental one as cacheHandler), "next"
// (Next's defaults: the file system for ISR, memory for 'use cache') or
// "forte" (@fortedigital/nextjs-cache-handler's LRU for ISR; it has no
// 'use cache' handler, so memory for that); NEXT_DIST_DIR builds each apart.
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const mode = process.env.NEXT_CACHE_MODE ?? "diskcache";

const handlers = {
  // Both caches from one module (createCacheHandlers): no cacheHandler line, which would cost every request an import.
  diskcache: {
    cacheHandlers: { default: here("./cache-handlers.mjs") },
    // Next's own per-process memory layer would answer in front of the shared cache.
    cacheMaxMemorySize: 0,
  },
  // The two-module setup (createIncrementalCacheHandler as cacheHandler, createUseCacheHandler).
  "diskcache-two-modules": {
    cacheHandler: here("./cache-handler.mjs"),
    cacheHandlers: { default: here("./use-cache-handler.mjs") },
    cacheMaxMemorySize: 0,
  },
  next: {},
  // Next's memory handler serves 'use cache' here: cacheMaxMemorySize 0 would make it a no-op (a render per request).
  forte: { cacheHandler: here("../../bench/next/forte-cache-handler.mjs") },
}[mode];
if (!handlers) throw new Error(`NEXT_CACHE_MODE must be diskcache, diskcache-two-modules, next or forte: received ${JSON.stringify(mode)}`);

/** @type {import("next").NextConfig} */
export default {
  ...handlers,
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // 'use cache' without cacheComponents, so that the ISR page can keep its route segment `revalidate`.
  experimental: { useCache: true },
  // The handlers import the library from the repository (../../dist): the root Turbopack traces from.
  turbopack: { root: here("../..") },
};
