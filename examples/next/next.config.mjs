// The DiskCache handlers for both of Next's caches: ISR pages, route handlers
// and fetch results (cacheHandler), and 'use cache' entries (cacheHandlers).
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** @type {import("next").NextConfig} */
export default {
  cacheHandler: here("./cache-handler.mjs"),
  cacheHandlers: { default: here("./use-cache-handler.mjs") },
  // Next's own per-process memory layer would answer in front of the shared cache.
  cacheMaxMemorySize: 0,
  // 'use cache' without cacheComponents, so that the ISR page can keep its route segment `revalidate`.
  experimental: { useCache: true },
  // The handlers import the library from the repository (../../dist): the root Turbopack traces from.
  turbopack: { root: here("../..") },
};
