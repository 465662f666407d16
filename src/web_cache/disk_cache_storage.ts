/**
 * {@linkcode DiskCacheStorage}: the Web Cache API's `CacheStorage` on a
 * DiskCache directory, and {@linkcode installGlobalCaches}, which makes it
 * `globalThis.caches`.
 *
 * @module
 */
import { adoptOrOpen, DiskCache, type DiskCacheOptions } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import { cacheTag, currentCacheId, IDS, NAMES, newCacheId, readIds } from "./_entries.ts";
import { createWebCache, type WebCache, type WebCacheContext, type WebCacheQueryOptions, type WebCacheRequest } from "./web_cache.ts";

/**
 * Options of {@linkcode DiskCacheStorage}: those of the DiskCache it opens,
 * and the `fetch` that `add` and `addAll` use.
 *
 * @example A storage whose bodies go to files from 64 KiB
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCacheStorage, type DiskCacheStorageOptions } from "@diskcache/diskcache/web-cache";
 * const options: DiskCacheStorageOptions = { minFileSize: 65536, sizeLimit: 2 ** 30 };
 * using storage = new DiskCacheStorage(undefined, options);
 * assert.equal(storage.cache.minFileSize, 65536);
 * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface DiskCacheStorageOptions extends DiskCacheOptions {
  /**
   * The `fetch` of `add` and `addAll`.
   *
   * @default {globalThis.fetch}
   */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * Options of {@linkcode DiskCacheStorage.match} (the spec's
 * `MultiCacheQueryOptions`).
 *
 * @example Look in one cache only
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCacheStorage, type WebCacheMultiQueryOptions } from "@diskcache/diskcache/web-cache";
 * using storage = new DiskCacheStorage();
 * await (await storage.open("a")).put("https://example.com/", new Response("a"));
 * const options: WebCacheMultiQueryOptions = { cacheName: "b" };
 * assert.equal(await storage.match("https://example.com/", options), undefined);
 * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface WebCacheMultiQueryOptions extends WebCacheQueryOptions {
  /**
   * Look only in the cache of this name.
   *
   * @default {undefined (every cache, in creation order)}
   */
  cacheName?: string;
}

/**
 * The Web Cache API's `CacheStorage` (the Service Worker spec's `caches`)
 * on disk: named caches of `Request`/`Response` pairs in one DiskCache
 * directory, shared by every process (of any runtime) that opens it.
 * Bodies stream to and from value files; the DiskCache's `sizeLimit` and
 * eviction policy bound the whole storage (see the README).
 *
 * @example Open a cache, store, match
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
 * using storage = new DiskCacheStorage(); // a temporary directory; pass one to keep it
 * const cache = await storage.open("assets");
 * await cache.put("https://example.com/app.js", new Response("console.log(1)"));
 * assert.deepEqual(await storage.keys(), ["assets"]);
 * assert.equal(await (await storage.match("https://example.com/app.js"))?.text(), "console.log(1)");
 * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class DiskCacheStorage {
  #cache: DiskCache;
  #owned: boolean;
  #context: WebCacheContext;

  /**
   * Opens the storage in `directory` (a new temporary directory when
   * omitted), or over an open DiskCache.
   *
   * @param directory A directory, or an open `DiskCache` (then `options`
   * may hold `fetch` only).
   * @param options DiskCache options, and `fetch`.
   */
  constructor(directory?: string | DiskCache, options: DiskCacheStorageOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Cannot create DiskCacheStorage: "options" must be an object: received ${describe(options)}`);
    }
    const { fetch, ...cacheOptions } = options;
    if (fetch !== undefined && typeof fetch !== "function") {
      throw new TypeError(`Cannot create DiskCacheStorage: "fetch" must be a function: received ${describe(fetch)}`);
    }
    ({ cache: this.#cache, owned: this.#owned } = adoptOrOpen(directory, cacheOptions, { name: "DiskCacheStorage", role: "storage", adopts: [DiskCache] }));
    // A DiskCache passed in says nothing of how it was opened: its first write would tell.
    this.#context = { cache: this.#cache, readonly: cacheOptions.readonly === true, fetch: fetch ?? ((r) => globalThis.fetch(r)) };
  }

  /** The DiskCache underneath. */
  get cache(): DiskCache {
    return this.#cache;
  }

  /**
   * The cache named `name`, created (last in `keys()` order) if missing.
   *
   * @param name The cache's name.
   * @returns The cache.
   *
   * @example Open twice, one cache
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * await (await storage.open("v1")).put("https://example.com/", new Response("x"));
   * assert.equal(await (await (await storage.open("v1")).match("https://example.com/"))?.text(), "x");
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  // deno-lint-ignore require-await -- async so that a bad argument rejects, as the spec's promises do
  async open(name: string): Promise<WebCache> {
    const n = String(name);
    // A read first: frameworks open the cache on every request (hono does), and a write transaction takes the lock.
    if (!this.#names().includes(n)) {
      this.#cache.transact(() => {
        const names = this.#names();
        if (!names.includes(n)) this.#cache.set(NAMES, JSON.stringify([...names, n]));
      });
    }
    return createWebCache(this.#context, n, currentCacheId(readIds(this.#cache), n));
  }

  /**
   * Whether a cache named `name` exists.
   *
   * @param name The cache's name.
   * @returns `true` when it exists.
   *
   * @example
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * assert.equal(await storage.has("v1"), false);
   * await storage.open("v1");
   * assert.equal(await storage.has("v1"), true);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  // deno-lint-ignore require-await -- async so that a bad argument rejects, as the spec's promises do
  async has(name: string): Promise<boolean> {
    const n = String(name);
    return this.#names().includes(n);
  }

  /**
   * Removes the cache named `name` and its entries. A `WebCache` opened
   * before keeps working on a cache of its own, apart from the storage (as
   * the spec's `Cache` does): its writes are matched by it alone, and
   * `open(name)` opens a new, empty cache.
   *
   * @param name The cache's name.
   * @returns `true` when it existed.
   *
   * @example
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * await storage.open("v1");
   * assert.equal(await storage.delete("v1"), true);
   * assert.equal(await storage.delete("v1"), false);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  // deno-lint-ignore require-await -- async so that a bad argument rejects, as the spec's promises do
  async delete(name: string): Promise<boolean> {
    const n = String(name);
    const deleted = this.#cache.transact(() => {
      const names = this.#names();
      if (!names.includes(n)) return undefined;
      this.#cache.set(NAMES, JSON.stringify(names.filter((k) => k !== n)));
      // The next open(name) gets a new id, so a WebCache held from before keeps this one's rows to itself.
      const ids = readIds(this.#cache) ?? {};
      const id = currentCacheId(ids, n);
      this.#cache.set(IDS, JSON.stringify({ ...ids, [n]: newCacheId(n) }));
      return id;
    });
    if (deleted !== undefined) this.#cache.evict(cacheTag(deleted));
    return deleted !== undefined;
  }

  /**
   * The names of the caches, in creation order.
   *
   * @returns The names.
   *
   * @example
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * await storage.open("b");
   * await storage.open("a");
   * assert.deepEqual(await storage.keys(), ["b", "a"]);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  // deno-lint-ignore require-await -- async so that a bad argument rejects, as the spec's promises do
  async keys(): Promise<string[]> {
    return this.#names();
  }

  /**
   * The first match of `request` in the caches, in creation order (or in
   * the one `options.cacheName` names), or `undefined`.
   *
   * @param request A `Request` or a URL.
   * @param options Query options, and `cacheName`.
   * @returns A new `Response`, or `undefined`.
   *
   * @example
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * await (await storage.open("v1")).put("https://example.com/", new Response("one"));
   * await (await storage.open("v2")).put("https://example.com/", new Response("two"));
   * assert.equal(await (await storage.match("https://example.com/"))?.text(), "one");
   * assert.equal(await (await storage.match("https://example.com/", { cacheName: "v2" }))?.text(), "two");
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async match(request: WebCacheRequest, options?: WebCacheMultiQueryOptions): Promise<Response | undefined> {
    const names = this.#names();
    const wanted = options?.cacheName;
    const ids = readIds(this.#cache);
    for (const name of names) {
      if (wanted !== undefined && name !== String(wanted)) continue;
      const found = await createWebCache(this.#context, name, currentCacheId(ids, name)).match(request, options);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Closes the DiskCache if this storage opened it. */
  close(): void {
    if (this.#owned) this.#cache.close();
  }

  /** Same as {@linkcode DiskCacheStorage.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #names(): string[] {
    const text = this.#cache.get(NAMES);
    return typeof text === "string" ? JSON.parse(text) as string[] : [];
  }
}

/**
 * Options of {@linkcode installGlobalCaches}.
 *
 * @example Replace Deno's built-in caches
 * ```ts ignore
 * import { installGlobalCaches, type InstallGlobalCachesOptions } from "@diskcache/diskcache/web-cache";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * const options: InstallGlobalCachesOptions = { replace: true, sizeLimit: 2 ** 30 };
 * installGlobalCaches(userCacheDirectory("web"), options);
 * ```
 */
export interface InstallGlobalCachesOptions extends DiskCacheStorageOptions {
  /**
   * Replace a `globalThis.caches` the runtime already has (Deno's).
   *
   * @default {false}
   */
  replace?: boolean;
}

/**
 * Makes a {@linkcode DiskCacheStorage} `globalThis.caches`, where the
 * runtime has none (Node, Bun) or, with `replace: true`, instead of the
 * runtime's own (Deno's). Code written for the edge (hono's `cache()`
 * middleware, for one) then caches on disk.
 *
 * @param directory The storage's directory (a new temporary one when omitted).
 * @param options DiskCache options, `fetch`, `replace`.
 * @returns The storage installed, or `undefined` when `globalThis.caches`
 * existed and `replace` was not set (nothing is opened then).
 *
 * @example Give Node and Bun a `caches`
 * ```ts ignore
 * import { installGlobalCaches } from "@diskcache/diskcache/web-cache";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * installGlobalCaches(userCacheDirectory("web"));
 * const cache = await caches.open("pages");
 * ```
 *
 * @example Replace Deno's
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { installGlobalCaches } from "@diskcache/diskcache/web-cache";
 * const storage = installGlobalCaches(undefined, { replace: true })!; // a temporary directory
 * assert.equal((globalThis as { caches?: unknown }).caches, storage);
 * await (await storage.open("pages")).put("https://example.com/", new Response("x"));
 * assert.deepEqual(await storage.keys(), ["pages"]);
 * storage.close();
 * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export function installGlobalCaches(directory?: string, options: InstallGlobalCachesOptions = {}): DiskCacheStorage | undefined {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot installGlobalCaches: "options" must be an object: received ${describe(options)}`);
  }
  const { replace = false, ...storageOptions } = options;
  if (typeof replace !== "boolean") throw new TypeError(`Cannot installGlobalCaches: "replace" must be a boolean: received ${describe(replace)}`);
  if ((globalThis as { caches?: unknown }).caches !== undefined && !replace) return undefined;
  const storage = new DiskCacheStorage(directory, storageOptions);
  Object.defineProperty(globalThis, "caches", { value: storage, writable: true, configurable: true, enumerable: true });
  return storage;
}
