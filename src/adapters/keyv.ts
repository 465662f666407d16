/**
 * A Keyv storage adapter over {@linkcode DiskCache}: `new Keyv({ store: new
 * KeyvDiskCache(dir) })`. Works under Keyv 5, which passes relative ttls
 * (ms), and Keyv 6, which reads the adapter's `capabilities`, sees it takes
 * absolute expiry times (`expires: true`), uses it directly (no bridge) and
 * passes absolute times (epoch ms). Namespaces are kept natively as
 * the items' tag, so `clear()` removes one namespace's items and nothing
 * else (not another namespace's, nor what other front ends stored in the
 * same directory), expired entries are reclaimed by the cache itself, and the cache's size
 * limit holds. With Keyv's serialization turned off, values reach the cache
 * as they are (binary values go to value files, not base64).
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions } from "../disk_cache.ts";

/**
 * A listener of the events Keyv subscribes to on its store (`"error"`), as
 * given to {@linkcode KeyvDiskCache.on}.
 *
 * @example Log the store's errors
 * ```ts
 * import { rmSync } from "node:fs";
 * import { KeyvDiskCache, type KeyvListener } from "@diskcache/diskcache/keyv";
 * const store = new KeyvDiskCache();
 * const log: KeyvListener = (error) => console.error(error);
 * store.on("error", log).off("error", log);
 * await store.disconnect();
 * rmSync(store.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type KeyvListener = (...args: unknown[]) => void;

/**
 * Options of {@linkcode KeyvDiskCache}: the cache's, or an open cache.
 *
 * @example Share an open cache with Keyv
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache } from "@diskcache/diskcache";
 * import { KeyvDiskCache, type KeyvDiskCacheOptions } from "@diskcache/diskcache/keyv";
 * using cache = new DiskCache();
 * const options: KeyvDiskCacheOptions = { cache };
 * const store = new KeyvDiskCache(undefined, options);
 * assert.equal(store.cache, cache);
 * await store.disconnect();
 * assert.equal(cache.get("x"), undefined, "the given cache stays open");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * rmSync(store.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface KeyvDiskCacheOptions extends DiskCacheOptions {
  /** Use this cache instead of opening one (it is not closed by `disconnect`). */
  cache?: DiskCache;
}

const NO_NAMESPACE = "\u0000keyv";

/**
 * The tag of the items stored under `namespace`: reserved (it starts with
 * U+0000), so that `clear()` never removes an item that another front end,
 * or a DiskCache user, tagged with a name that is also a namespace.
 */
function tagOf(namespace: string): string {
  return namespace === NO_NAMESPACE ? NO_NAMESPACE : `${NO_NAMESPACE}:${namespace}`;
}

/**
 * Keyv's storage adapter interface, implemented on a DiskCache.
 *
 * @example Use DiskCache under Keyv
 * ```ts ignore
 * import Keyv from "keyv";
 * import { KeyvDiskCache } from "@diskcache/diskcache/keyv";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * const keyv = new Keyv({ store: new KeyvDiskCache(userCacheDirectory("app"), { sizeLimit: 2 ** 30 }), namespace: "users" });
 * await keyv.set("ada", { admin: true }, 60_000);
 * await keyv.get("ada"); // { admin: true }
 * ```
 */
export class KeyvDiskCache {
  #namespace: string | undefined = undefined;
  #namespaceSet = false;
  /**
   * What Keyv reads from `opts`: Keyv 5 enables iteration for stores whose
   * `dialect` or `url` it knows, and this store is SQLite underneath.
   */
  readonly opts: KeyvDiskCacheOptions & { dialect: string; url: string };
  #cache: DiskCache;
  #owned: boolean;
  #listeners = new Map<string, Set<KeyvListener>>();
  /** Whether `set`'s third argument is an absolute expiry (Keyv 6 read `capabilities`). */
  #absolute = false;

  /**
   * Opens a DiskCache in `directory` for Keyv, or wraps `options.cache`.
   *
   * @param directory The cache directory (omitted: a temporary one), or options.
   * @param options DiskCache options, or `cache`: an open DiskCache to use.
   */
  constructor(directory?: string, options: KeyvDiskCacheOptions = {}) {
    const { cache, ...cacheOptions } = options;
    this.#owned = cache === undefined;
    this.#cache = cache ?? new DiskCache(directory, { tagIndex: true, ...cacheOptions });
    this.opts = { ...options, dialect: "sqlite", url: `sqlite://${this.#cache.directory}` };
  }

  /** The DiskCache underneath. */
  get cache(): DiskCache {
    return this.#cache;
  }

  /**
   * The namespace Keyv gave this adapter (`undefined`: none). One adapter
   * serves one namespace: Keyv sets it once, when it takes the adapter, and
   * passes no namespace with its calls, so an adapter shared by two Keyv
   * instances could not tell their items apart (`users.clear()` would remove
   * `orders`' items). Setting a different namespace later is refused: give
   * each Keyv its own `KeyvDiskCache` (they may share a directory or a
   * DiskCache).
   *
   * @throws {TypeError} When a namespace other than the one already set is set.
   */
  get namespace(): string | undefined {
    return this.#namespace;
  }

  set namespace(namespace: string | undefined) {
    if (this.#namespaceSet && namespace !== this.#namespace) {
      const name = (ns: string | undefined) => ns === undefined ? "no namespace" : `namespace ${JSON.stringify(ns)}`;
      throw new TypeError(
        `Cannot use ${name(namespace)}: this KeyvDiskCache already serves ${
          name(this.#namespace)
        }, and one adapter cannot tell two namespaces' calls apart (clear() would remove the other's items); give each Keyv its own KeyvDiskCache (they may share the directory)`,
      );
    }
    this.#namespace = namespace;
    this.#namespaceSet = true;
  }

  #key(key: string): [string, string] {
    return [this.#namespace ?? NO_NAMESPACE, key];
  }

  get #tag(): string {
    return tagOf(this.#namespace ?? NO_NAMESPACE);
  }

  /**
   * What Keyv 6 reads to choose how to drive a store: `expires: true` says
   * this adapter takes absolute expiry times, so Keyv 6 uses it directly and
   * passes `set(key, value, expires)` with `expires` in epoch ms. Keyv 5
   * never reads it and passes a relative ttl. Reading it is how the adapter
   * knows which one it serves: give each Keyv instance its own adapter.
   */
  get capabilities(): {
    compatible: true;
    store: "keyvStorage";
    expires: true;
    methods: Record<string, { exists: boolean; methodType: "async" | "sync" | "none" }>;
  } {
    this.#absolute = true;
    const methods: Record<string, { exists: boolean; methodType: "async" | "sync" | "none" }> = {};
    for (const m of ["get", "getMany", "has", "hasMany", "set", "setMany", "delete", "deleteMany", "clear", "disconnect", "iterator"]) {
      methods[m] = { exists: true, methodType: "async" };
    }
    return { compatible: true, store: "keyvStorage", expires: true, methods };
  }

  /** A relative ttl (ms) to the cache's ttl; `undefined` for none. */
  #relative(ttl: number | undefined): number | undefined {
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) return undefined;
    return ttl;
  }

  /**
   * An absolute expiry (epoch ms) to the cache's ttl: 0 when already past,
   * `undefined` (no expiry) for a missing, zero or negative one.
   * Keyv 6 computes `expires` from its own `Date.now()`, so the remaining
   * time is measured on that clock; the cache then counts the ttl on its own
   * clock (an injected `clock` option drives expiry from there on).
   */
  #until(expires: number | undefined): number | undefined {
    // 0 (or less) is Keyv's "no expiry", never the epoch: as the doc of set() says.
    if (typeof expires !== "number" || !Number.isFinite(expires) || expires <= 0) return undefined;
    return Math.max(0, expires - Date.now());
  }

  /**
   * Runs `fn`; a failure goes to "error" listeners (answering `fallback`),
   * or, with none, rejects the returned promise (never a synchronous throw).
   */
  #guard<T>(fn: () => T | Promise<T>, fallback: T): Promise<T> {
    const failed = (error: unknown): Promise<T> => {
      if (this.#listeners.get("error")?.size) {
        this.emit("error", error);
        return Promise.resolve(fallback);
      }
      return Promise.reject(error);
    };
    try {
      return Promise.resolve(fn()).catch(failed);
    } catch (error) {
      return failed(error);
    }
  }

  /** The value of `key`, or `undefined`. */
  get<V>(key: string): Promise<V | undefined> {
    return Promise.resolve(this.#guard(() => this.#cache.get<V>(this.#key(key)), undefined));
  }
  /** Values of `keys`, `undefined` for misses. */
  getMany<V>(keys: string[]): Promise<(V | undefined)[]> {
    return Promise.resolve(this.#guard(() => this.#cache.getMany<V>(keys.map((k) => this.#key(k))), keys.map(() => undefined)));
  }
  /**
   * Stores `value` under `key`. The third argument is what the Keyv driving
   * the adapter passes: under Keyv 6 (which read `capabilities`) an absolute
   * expiry in epoch ms, under Keyv 5 a ttl in ms. Zero, negative or missing
   * ttls mean no expiry, as in Keyv.
   */
  set(key: string, value: unknown, ttlOrExpires?: number): Promise<boolean> {
    return Promise.resolve(this.#guard(() => {
      if (value === undefined) return false;
      const ttl = this.#absolute ? this.#until(ttlOrExpires) : this.#relative(ttlOrExpires);
      return this.#cache.setAsync(this.#key(key), value, { ttl, tag: this.#tag });
    }, false));
  }
  /**
   * Stores many entries in one transaction: Keyv 6 gives each an absolute
   * `expires` (epoch ms), Keyv 5 a relative `ttl` (ms).
   */
  setMany(entries: { key: string; value: unknown; ttl?: number; expires?: number }[]): Promise<boolean[]> {
    return Promise.resolve(this.#guard(() =>
      this.#cache.transactAsync(() =>
        entries.map((e) => {
          if (e.value === undefined) return false;
          const ttl = e.expires !== undefined ? this.#until(e.expires) : this.#relative(e.ttl);
          return this.#cache.set(this.#key(e.key), e.value, { ttl, tag: this.#tag });
        })
      ), entries.map(() => false)));
  }
  /** Removes `key`; `true` when it was there. */
  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.#guard(() => this.#cache.deleteAsync(this.#key(key)), false));
  }
  /**
   * Removes many keys in one transaction. Keyv 6 (which read `capabilities`)
   * gets whether each key was there; Keyv 5 reads the answer as one boolean
   * (true when any key was removed), so it gets the array only when some key
   * was removed, else `false`.
   */
  deleteMany(keys: string[]): Promise<boolean[] | false> {
    return Promise.resolve(this.#guard(async () => {
      const removed = await this.#cache.transactAsync(() => keys.map((k) => this.#cache.delete(this.#key(k))));
      return this.#absolute || removed.includes(true) ? removed : false;
    }, false as const));
  }
  /** Whether `key` is present. */
  has(key: string): Promise<boolean> {
    return Promise.resolve(this.#guard(() => this.#cache.has(this.#key(key)), false));
  }
  /** Whether each key is present. */
  hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.resolve(this.#guard(() => keys.map((k) => this.#cache.has(this.#key(k))), keys.map(() => false)));
  }
  /**
   * Removes this namespace's entries (with no namespace: the entries stored
   * without one), and nothing else.
   */
  clear(): Promise<void> {
    return Promise.resolve(this.#guard(async () => {
      await this.#cache.transactAsync(() => this.#cache.evict(this.#tag));
    }, undefined));
  }
  /**
   * `[key, value]` pairs of a namespace (default: this adapter's). The rows'
   * keys and tags are walked without their values; only the namespace's own
   * values are read.
   */
  async *iterator<V>(namespace?: string): AsyncGenerator<[string, V], void> {
    const ns = namespace ?? this.#namespace ?? NO_NAMESPACE;
    const tag = tagOf(ns);
    for (const info of this.#cache.inspectAll()) {
      const key = info.key;
      if (info.tag !== tag || !Array.isArray(key) || key.length !== 2 || key[0] !== ns || typeof key[1] !== "string") continue;
      // Undefined: the entry expired or went since its row was listed.
      const entry = this.#cache.getEntry<V>(key as [string, string]);
      if (entry !== undefined) yield [key[1], entry.value];
    }
  }
  /** Closes the cache (unless it was handed in with `cache`). */
  disconnect(): Promise<void> {
    if (this.#owned) this.#cache.close();
    return Promise.resolve();
  }

  /** Adds an event listener (Keyv listens for `"error"`). */
  on(event: string, listener: KeyvListener): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, set = new Set());
    set.add(listener);
    return this;
  }
  /** Removes an event listener. */
  off(event: string, listener: KeyvListener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }
  /** Calls the listeners of `event`; `true` when there were any. */
  emit(event: string, ...args: unknown[]): boolean {
    const set = this.#listeners.get(event);
    if (!set?.size) return false;
    for (const listener of [...set]) listener(...args);
    return true;
  }
}
