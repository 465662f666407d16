/**
 * The shapes of Next.js's cache handler contracts that this library meets,
 * declared structurally (matching `next/dist/server/lib/incremental-cache`,
 * `next/dist/server/response-cache/types` and
 * `next/dist/server/lib/cache-handlers/types` of Next 16), so the library
 * does not depend on `next`.
 *
 * @module
 */

/**
 * An entry's lifetimes as Next passes them in `set(key, data, { cacheControl })`,
 * in seconds; `false` means never.
 *
 * @example A page revalidated every minute
 * ```ts
 * import type { NextCacheControl } from "@diskcache/diskcache/next";
 * const control: NextCacheControl = { revalidate: 60, expire: 3600 };
 * console.log(control.revalidate);
 * ```
 */
export interface NextCacheControl {
  /** Seconds until a background re-render; `false`: never. */
  revalidate: number | false;
  /** Seconds until the entry may no longer be served. */
  expire?: number | undefined;
}

/**
 * A value Next stores in its incremental cache (pages, route handler
 * bodies, fetch results, redirects, images): a `kind` and whatever that kind
 * carries (`Buffer`s, a `Map` of segment data, headers, status...). The
 * handler stores it exactly as given.
 *
 * @example A fetch result
 * ```ts
 * import type { NextIncrementalCacheValue } from "@diskcache/diskcache/next";
 * const value: NextIncrementalCacheValue = { kind: "FETCH", data: { headers: {}, body: "{}", url: "https://example.com/" }, revalidate: 60 };
 * console.log(value.kind);
 * ```
 */
export interface NextIncrementalCacheValue {
  /** `APP_PAGE`, `APP_ROUTE`, `PAGES`, `FETCH`, `REDIRECT` or `IMAGE`. */
  kind: string;
  /** Whatever else Next passes or stores with it. */
  [field: string]: unknown;
}

/**
 * The context Next passes to the handler's `get`: the entry's kind and, for
 * a fetch, its tags and the page's implicit (soft) tags.
 *
 * @example A fetch lookup
 * ```ts
 * import type { NextGetContext } from "@diskcache/diskcache/next";
 * const ctx: NextGetContext = { kind: "FETCH", tags: ["posts"], softTags: ["_N_T_/blog"] };
 * console.log(ctx.kind);
 * ```
 */
export interface NextGetContext {
  /** `FETCH`, `APP_PAGE`, `APP_ROUTE`, `PAGES` or `IMAGE`. */
  kind?: string | undefined;
  /** A fetch's own tags. */
  tags?: string[] | undefined;
  /** The implicit tags of the page that runs the fetch. */
  softTags?: string[] | undefined;
  /** Seconds a fetch may be reused. */
  revalidate?: number | false | undefined;
  /** Whatever else Next passes or stores with it. */
  [field: string]: unknown;
}

/**
 * The context Next passes to the handler's `set`.
 *
 * @example A page's lifetime
 * ```ts
 * import type { NextSetContext } from "@diskcache/diskcache/next";
 * const ctx: NextSetContext = { cacheControl: { revalidate: 60, expire: 3600 } };
 * console.log(ctx.cacheControl?.revalidate);
 * ```
 */
export interface NextSetContext {
  /** `true` for a fetch result. */
  fetchCache?: boolean | undefined;
  /** A fetch's tags. */
  tags?: string[] | undefined;
  /** A page's or route's lifetimes. */
  cacheControl?: NextCacheControl | undefined;
  /** Whatever else Next passes or stores with it. */
  [field: string]: unknown;
}

/**
 * What the incremental handler's `get` answers: the value, when it was
 * stored (epoch ms) and its lifetimes.
 *
 * @example A hit
 * ```ts
 * import type { NextCacheHandlerValue } from "@diskcache/diskcache/next";
 * const hit: NextCacheHandlerValue = { lastModified: Date.now(), value: null };
 * console.log(hit.value);
 * ```
 */
export interface NextCacheHandlerValue {
  /** When the entry was stored, in epoch milliseconds. */
  lastModified: number;
  /** The stored value (`null`: Next cached a "not found"). */
  value: NextIncrementalCacheValue | null;
  /** The lifetimes given to `set`. */
  cacheControl?: NextCacheControl;
}

/**
 * The stale-while-revalidate durations of Next 16's `revalidateTag(tag,
 * profile)` (seconds).
 *
 * @example Stale now, gone in an hour
 * ```ts
 * import type { NextTagDurations } from "@diskcache/diskcache/next";
 * const durations: NextTagDurations = { expire: 3600 };
 * console.log(durations.expire);
 * ```
 */
export interface NextTagDurations {
  /** Seconds from now after which entries with the tag are no longer served. */
  expire?: number | undefined;
}

/**
 * The class a `cacheHandler` module exports as its default: Next constructs
 * it with `new Handler(ctx)`.
 *
 * @example Construct one as Next does
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { createIncrementalCacheHandler, type NextIncrementalCacheHandlerClass } from "@diskcache/diskcache/next";
 * const directory = mkdtempSync(join(tmpdir(), "next-"));
 * const Handler: NextIncrementalCacheHandlerClass = createIncrementalCacheHandler({ directory });
 * const handler = new Handler({});
 * console.log(await handler.get("/missing", { kind: "APP_PAGE" }));
 * Handler.close();
 * rmSync(directory, { recursive: true, force: true });
 * ```
 */
export interface NextIncrementalCacheHandlerClass {
  /** Next's constructor call. */
  new (ctx?: { revalidatedTags?: string[] | undefined; [field: string]: unknown }): NextIncrementalCacheHandler;
  /** Closes the cache the class opened (for tests and orderly shutdown). */
  close(): void;
}

/**
 * An instance of the incremental cache handler: what Next calls.
 *
 * @example Store and read a route handler's body
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { Buffer } from "node:buffer";
 * import assert from "node:assert/strict";
 * import { createIncrementalCacheHandler } from "@diskcache/diskcache/next";
 * const directory = mkdtempSync(join(tmpdir(), "next-"));
 * const Handler = createIncrementalCacheHandler({ directory });
 * const handler = new Handler({});
 * await handler.set("/api", { kind: "APP_ROUTE", body: Buffer.from("ok"), status: 200, headers: {} }, {});
 * const hit = await handler.get("/api", { kind: "APP_ROUTE" });
 * assert.ok(Buffer.isBuffer(hit?.value?.body));
 * Handler.close();
 * rmSync(directory, { recursive: true, force: true });
 * ```
 */
export interface NextIncrementalCacheHandler {
  /** The stored entry, or `null` on a miss or when one of its tags was revalidated. */
  get(key: string, ctx?: NextGetContext): Promise<NextCacheHandlerValue | null>;
  /** Stores `data` under `key`. */
  set(key: string, data: NextIncrementalCacheValue | null, ctx?: NextSetContext): Promise<void>;
  /** Records a revalidation of `tags`, seen by every process sharing the directory. */
  revalidateTag(tags: string | string[], durations?: NextTagDurations): Promise<void>;
  /** Called by Next between requests; nothing to drop here. */
  resetRequestCache(): void;
}

/**
 * An entry of the `'use cache'` handler (Next's `CacheEntry`).
 *
 * @example An entry with a one-chunk body
 * ```ts
 * import type { NextUseCacheEntry } from "@diskcache/diskcache/next";
 * const entry: NextUseCacheEntry = {
 *   value: new Blob(["x"]).stream(), tags: ["posts"], stale: 300, timestamp: Date.now(), expire: 3600, revalidate: 900,
 * };
 * console.log(entry.tags);
 * ```
 */
export interface NextUseCacheEntry {
  /** The serialized value. */
  value: ReadableStream<Uint8Array>;
  /** The entry's explicit tags (`cacheTag`). */
  tags: string[];
  /** Seconds the client may reuse it. */
  stale: number;
  /** When it was created, epoch milliseconds. */
  timestamp: number;
  /** Seconds it may be served at all. */
  expire: number;
  /** Seconds until it should be regenerated; `-1`: now. */
  revalidate: number;
}

/**
 * The object a `cacheHandlers` entry of next.config points at (Next's
 * `CacheHandler` for `'use cache'`).
 *
 * @example Store and read an entry
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import assert from "node:assert/strict";
 * import { createUseCacheHandler } from "@diskcache/diskcache/next";
 * const directory = mkdtempSync(join(tmpdir(), "next-"));
 * const handler = createUseCacheHandler({ directory });
 * const entry = { value: new Blob(["hi"]).stream(), tags: [], stale: 0, timestamp: Date.now(), expire: 60, revalidate: 30 };
 * await handler.set("k", Promise.resolve(entry));
 * const hit = await handler.get("k", []);
 * assert.equal(await new Response(hit!.value).text(), "hi");
 * handler.close();
 * rmSync(directory, { recursive: true, force: true });
 * ```
 */
export interface NextUseCacheHandler {
  /** The entry, waiting for a pending `set` of the same key; `undefined` on a miss (Next 15.3 passes no soft tags). */
  get(cacheKey: string, softTags?: string[]): Promise<NextUseCacheEntry | undefined>;
  /** Stores the entry once it resolves, its body as it streams. */
  set(cacheKey: string, pendingEntry: Promise<NextUseCacheEntry>): Promise<void>;
  /** Nothing to refresh: every read consults the record on disk. */
  refreshTags(): Promise<void>;
  /**
   * The latest expiry (epoch ms, already passed) recorded for any of the
   * tags, else `0`: Next 16 passes one array, Next 15 the tags spread.
   */
  getExpiration(...tags: string[] | [string[]]): Promise<number>;
  /** Next 15's name for `updateTags(tags)` without durations, the tags spread. */
  expireTags(...tags: string[]): Promise<void>;
  /** Next 15's call with tags revalidated elsewhere (a request header): recorded as `expireTags` does. */
  receiveExpiredTags(...tags: string[]): Promise<void>;
  /** Records a revalidation of `tags`, seen by every process sharing the directory. */
  updateTags(tags: string[], durations?: NextTagDurations): Promise<void>;
  /** Closes the cache (for tests and orderly shutdown). */
  close(): void;
}
