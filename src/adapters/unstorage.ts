/**
 * An unstorage driver over {@linkcode DiskCache}:
 * `createStorage({ driver: diskcacheDriver({ base: userCacheDirectory("app") }) })`.
 * Keys are stored as they are (unstorage's `a:b:c` form), so `getKeys(base)`
 * and `clear(base)` walk the cache's key index in order from `base`; raw
 * values (bytes) stay bytes; `ttl` (seconds, per item or default) is enforced
 * by the cache itself. The driver tags what it stores, and lists and clears
 * only that: a Keyv adapter, another front end or your own DiskCache code
 * may share the directory.
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions } from "../disk_cache.ts";

/**
 * Options of {@linkcode diskcacheDriver}.
 *
 * @example Items live an hour by default
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { diskcacheDriver, type DiskCacheDriverOptions } from "@diskcache/diskcache/unstorage";
 * const options: DiskCacheDriverOptions = { ttl: 3600, sizeLimit: 2 ** 26 };
 * const driver = diskcacheDriver(options);
 * await driver.setItem("a", "1");
 * assert.ok(driver.getMeta("a")!.ttl! > 3500);
 * driver.dispose();
 * rmSync(driver.getInstance().directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface DiskCacheDriverOptions extends DiskCacheOptions {
  /** The cache directory; omitted means a fresh temporary one. */
  base?: string;
  /** Default time to live of items, in seconds (unstorage's unit). */
  ttl?: number;
  /** Use this cache instead of opening one (`dispose` leaves it open). */
  cache?: DiskCache;
}

/**
 * What unstorage's `getItem` answers: a stored value, or `null` when missing.
 *
 * @example A miss is null
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { diskcacheDriver, type StorageValue } from "@diskcache/diskcache/unstorage";
 * const driver = diskcacheDriver();
 * const missing: StorageValue = driver.getItem("nope");
 * assert.equal(missing, null);
 * driver.dispose();
 * rmSync(driver.getInstance().directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type StorageValue = null | string | number | boolean | object;

/**
 * The unstorage driver shape: assignable to unstorage's `Driver`, so
 * `createStorage({ driver: diskcacheDriver() })` type-checks as it is.
 *
 * @example Call the driver directly
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { diskcacheDriver, type DiskCacheDriver } from "@diskcache/diskcache/unstorage";
 * const driver: DiskCacheDriver = diskcacheDriver();
 * await driver.setItem("users:ada", "admin");
 * await driver.setItem("users:bob", "guest");
 * assert.deepEqual(driver.getKeys("users"), ["users:ada", "users:bob"]);
 * await driver.clear("users");
 * assert.equal(driver.hasItem("users:ada"), false);
 * driver.dispose();
 * rmSync(driver.getInstance().directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface DiskCacheDriver {
  /** The driver's name, as unstorage shows it. */
  name: "diskcache";
  /** The options the driver was made with. */
  options: DiskCacheDriverOptions;
  /** The DiskCache underneath, for what unstorage does not offer (tags, stats, streams). */
  getInstance(): DiskCache;
  /** Whether a live item is stored under `key`. */
  hasItem(key: string, opts?: Record<string, unknown>): boolean;
  /** The value under `key`, or `null` when there is none (unstorage's miss). */
  getItem(key: string, opts?: Record<string, unknown>): StorageValue;
  /** The value under `key` as stored (bytes stay bytes), or `null`. */
  getItemRaw(key: string, opts?: Record<string, unknown>): unknown;
  /** Stores `value`; `opts.ttl` in seconds overrides the driver's default. Waits for the write lock on timers (see `DiskCache.setAsync`). */
  setItem(key: string, value: string, opts?: { ttl?: number }): Promise<void>;
  /** Stores `value` as it is (bytes go to a value file when large); `opts.ttl` in seconds. Waits for the write lock on timers. */
  setItemRaw(key: string, value: unknown, opts?: { ttl?: number }): Promise<void>;
  /** Removes the item under `key`, if any. Waits for the write lock on timers. */
  removeItem(key: string, opts?: Record<string, unknown>): Promise<void>;
  /**
   * When the item was stored, its size in bytes as stored (read from its row:
   * the value is not read) and its time to live in seconds, or `null`.
   */
  getMeta(key: string, opts?: Record<string, unknown>): { mtime: Date; size: number; ttl?: number } | null;
  /** The keys this driver stored under `base` (all of them for `""`), in key order. */
  getKeys(base: string, opts?: Record<string, unknown>): string[];
  /** Removes every item this driver stored under `base` (all of them for `""`), and nothing else, in one transaction. Waits for the write lock on timers. */
  clear(base: string, opts?: Record<string, unknown>): Promise<void>;
  /** Closes the cache, unless it was passed in as `cache`. */
  dispose(): void;
}

/**
 * The tag of every item the driver stores: reserved (it starts with U+0000),
 * so that `getKeys()` and `clear()` see the driver's items only, never
 * another front end's sharing the directory.
 */
const TAG = "\u0000unstorage";

/**
 * Creates the driver.
 *
 * @param options `base` (directory), `ttl` (default seconds), DiskCache options, or `cache`.
 * @returns An unstorage driver.
 *
 * @example Use DiskCache under unstorage
 * ```ts ignore
 * import { createStorage } from "unstorage";
 * import { diskcacheDriver } from "@diskcache/diskcache/unstorage";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * const storage = createStorage({ driver: diskcacheDriver({ base: userCacheDirectory("app"), ttl: 3600 }) });
 * await storage.setItem("users:ada", { admin: true });
 * await storage.getKeys("users"); // ["users:ada"]
 * ```
 */
export function diskcacheDriver(options: DiskCacheDriverOptions = {}): DiskCacheDriver {
  const { base, ttl: defaultTtl, cache: given, ...cacheOptions } = options;
  const cache = given ?? new DiskCache(base, { tagIndex: true, ...cacheOptions });
  const ttlOf = (opts?: { ttl?: number }) => {
    const seconds = opts?.ttl ?? defaultTtl;
    return { ttl: typeof seconds === "number" && seconds > 0 ? seconds * 1000 : undefined, tag: TAG };
  };
  // The rows' keys and tags, not their values.
  const keysUnder = function* (prefix: string): Generator<string> {
    for (const { key, tag } of cache.inspectAll({ order: "key" })) {
      if (tag !== TAG || typeof key !== "string") continue;
      if (prefix === "" || key === prefix || key.startsWith(`${prefix}:`)) yield key;
    }
  };
  const normalize = (b: string | undefined) => (b ?? "").replace(/:+$/, "");
  return {
    name: "diskcache",
    options,
    getInstance: () => cache,
    hasItem: (key) => cache.has(key),
    getItem: (key) => cache.get(key) ?? null,
    getItemRaw: (key) => cache.get(key) ?? null,
    setItem: async (key, value, opts) => void await cache.setAsync(key, value, ttlOf(opts)),
    setItemRaw: async (key, value, opts) => void await cache.setAsync(key, value, ttlOf(opts)),
    removeItem: async (key) => void await cache.deleteAsync(key),
    getMeta(key) {
      const info = cache.inspect(key);
      if (info === undefined) return null;
      const meta: { mtime: Date; size: number; ttl?: number } = { mtime: new Date(info.storeTime), size: info.size };
      if (info.expireTime !== null) meta.ttl = Math.max(0, Math.round((info.expireTime - cache.now) / 1000));
      return meta;
    },
    getKeys: (base) => [...keysUnder(normalize(base))],
    async clear(base) {
      const prefix = normalize(base);
      await cache.transactAsync(() => prefix === "" ? cache.evict(TAG) : cache.deleteMany([...keysUnder(prefix)]));
    },
    dispose() {
      if (given === undefined) cache.close();
    },
  };
}
