/**
 * {@linkcode createCacheHandlers}: both of Next.js's caches from one module
 * registered under `cacheHandlers`, without the cost Next adds to every
 * request that a `cacheHandler` module brings.
 *
 * @module
 */
import { createIncrementalCacheHandler } from "./incremental_cache_handler.ts";
import type { NextCacheOptions } from "./next_cache_options.ts";
import type { NextIncrementalCacheHandlerClass, NextUseCacheHandler } from "./types.ts";
import { createUseCacheHandler } from "./use_cache_handler.ts";

/**
 * Where Next looks for cache handlers that a deployment adapter installs
 * (`FetchCache`: the incremental cache's class, `DefaultCache`, `RemoteCache`).
 */
const NEXT_HANDLERS = Symbol.for("@next/cache-handlers");

/**
 * Creates the `'use cache'` handler that a module named in next.config's
 * `cacheHandlers.default` exports, and installs the incremental cache
 * handler (ISR pages, route handlers, `fetch` results) on the same
 * directory as Next's `FetchCache`, the hook by which deployment adapters
 * give Next its cache: Next loads `cacheHandlers` modules before it builds
 * its first incremental cache, in `next build` and `next start` alike, and
 * then takes the installed class when next.config has no `cacheHandler`.
 *
 * Why: with a `cacheHandler` module, Next imports that module again
 * (`import()` of its file URL, resolved each time) three times per request;
 * through the hook it does not, which spares an ISR hit most of what Next
 * adds for a custom handler (measured in docs/next.md). Leave
 * `cacheHandler` out of next.config: when it is set, Next takes it instead.
 *
 * @experimental **UNSTABLE**: the hook is Next's own (tested on Next 16.5),
 * not part of its documented configuration.
 * @param options The directory and the cache's options (`sizeLimit`, ...), for both caches.
 * @returns The `'use cache'` handler; its `close()` closes both caches.
 * @throws {TypeError} When `directory` is missing.
 *
 * @example The whole setup: next.config.mjs and one handler module
 * ```ts ignore
 * // next.config.mjs
 * export default {
 *   cacheHandlers: { default: new URL("./cache-handlers.mjs", import.meta.url).pathname },
 *   cacheMaxMemorySize: 0,
 * };
 * // cache-handlers.mjs
 * import { createCacheHandlers } from "@diskcache/diskcache/next";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * export default createCacheHandlers({ directory: userCacheDirectory("next"), sizeLimit: 2 ** 30 });
 * ```
 *
 * @example Both caches on one directory
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { Buffer } from "node:buffer";
 * import assert from "node:assert/strict";
 * import { createCacheHandlers, type NextIncrementalCacheHandlerClass } from "@diskcache/diskcache/next";
 * const directory = mkdtempSync(join(tmpdir(), "next-"));
 * const useCache = createCacheHandlers({ directory });
 * const installed = (globalThis as Record<symbol, { FetchCache?: NextIncrementalCacheHandlerClass }>)[Symbol.for("@next/cache-handlers")];
 * const pages = new installed!.FetchCache!({});
 * await pages.set("/api", { kind: "APP_ROUTE", body: Buffer.from("ok"), status: 200, headers: {} }, {});
 * assert.equal((await pages.get("/api", { kind: "APP_ROUTE" }))?.value?.kind, "APP_ROUTE");
 * assert.equal(await useCache.get("missing", []), undefined);
 * useCache.close();
 * rmSync(directory, { recursive: true, force: true });
 * ```
 */
export function createCacheHandlers(options: NextCacheOptions): NextUseCacheHandler {
  const FetchCache: NextIncrementalCacheHandlerClass = createIncrementalCacheHandler(options);
  const useCache = createUseCacheHandler(options);
  const global = globalThis as Record<symbol, unknown>;
  const installed = global[NEXT_HANDLERS];
  global[NEXT_HANDLERS] = { ...(typeof installed === "object" ? installed : {}), FetchCache };
  return {
    ...useCache,
    close(): void {
      useCache.close();
      FetchCache.close();
    },
  };
}
