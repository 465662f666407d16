/**
 * {@linkcode Index}: a persistent `Map` shared by processes, in insertion
 * order, on a DiskCache with eviction policy `"none"`.
 *
 * @module
 */
import { collectionFields, inspectable } from "./_closed.ts";
import { collectionRows, DiskCache, type DiskCacheOptions } from "./disk_cache.ts";
import type { Key, PullOptions, PushOptions } from "./types.ts";

/**
 * The option key under which {@linkcode Index.fromCache} hands its cache to
 * the constructor. Module-private: users cannot name it, so the public
 * constructor cannot be made to adopt a cache by accident.
 */
const ADOPT: unique symbol = Symbol("Index.fromCache");

/** The constructor's options as `fromCache` passes them. */
interface AdoptingOptions extends Omit<DiskCacheOptions, "evictionPolicy"> {
  [ADOPT]?: DiskCache;
}

/**
 * A persistent map: the `Map` methods and properties, insertion-ordered
 * iteration, plus `setDefault`, `popItem` and a queue (`push`/`pull`).
 * Keys compare by their stored form (structure, not identity), every
 * operation is atomic across processes, and nothing is evicted.
 *
 * @typeParam K The keys' type.
 * @typeParam V The values' type.
 *
 * @example A persistent map
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { Index } from "@diskcache/diskcache";
 * using index = new Index<string, number>();
 * index.set("a", 1).set("b", 2);
 * assert.equal(index.size, 2);
 * assert.equal(index.setDefault("a", 9), 1);
 * assert.deepEqual([...index], [["a", 1], ["b", 2]]);
 * assert.deepEqual(index.popItem(), ["b", 2]);
 * rmSync(index.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class Index<K extends Key = Key, V = unknown> implements Iterable<[K, V]> {
  #cache: DiskCache;

  /**
   * Opens (creating if needed) the index in `directory`.
   *
   * @param directory Where it lives; omitted means a fresh temporary directory.
   * @param options The cache's options (policy is always `"none"`).
   */
  constructor(directory?: string, options: Omit<DiskCacheOptions, "evictionPolicy"> = {}) {
    const { [ADOPT]: adopted, ...cacheOptions } = options as AdoptingOptions;
    if ("evictionPolicy" in cacheOptions) throw new TypeError(`Cannot open Index: "evictionPolicy" is always "none"`);
    // Read-only, the stored policy holds: a setting would be refused (nothing may be written).
    this.#cache = adopted ?? new DiskCache(directory, cacheOptions.readonly ? cacheOptions : { ...cacheOptions, evictionPolicy: "none" });
  }

  /**
   * An index over an existing cache (which should use policy `"none"`, or
   * entries may be evicted). Closing the index closes that cache.
   *
   * @typeParam K The keys' type.
   * @typeParam V The values' type.
   * @param cache The cache.
   * @returns The index.
   *
   * @example See a cache as a Map
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCache, Index } from "@diskcache/diskcache";
   * const cache = new DiskCache(undefined, { evictionPolicy: "none" });
   * cache.set("a", 1);
   * using index = Index.fromCache<string, number>(cache);
   * assert.equal(index.get("a"), 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  static fromCache<K extends Key = Key, V = unknown>(cache: DiskCache): Index<K, V> {
    const adopting: AdoptingOptions = { [ADOPT]: cache };
    return new Index<K, V>(undefined, adopting);
  }

  // The same accessors as Deque (deque.ts): each class spells out its public surface, as python-diskcache's do.
  /** The cache underneath. */
  get cache(): DiskCache {
    return this.#cache;
  }

  /** The directory. */
  get directory(): string {
    return this.#cache.directory;
  }

  /** Number of entries. */
  get size(): number {
    return this.#cache.length;
  }

  /**
   * Reads one entry.
   *
   * @param key The key.
   * @returns The value, or `undefined` when `key` is absent.
   */
  get(key: K): V | undefined {
    return this.#cache.get<V>(key);
  }

  /**
   * Stores `value` under `key`: a new key goes last, an existing one keeps
   * its place.
   *
   * @param key The key.
   * @param value The value.
   * @returns This index, for chaining.
   */
  set(key: K, value: V): this {
    this.#cache.set(key, value);
    return this;
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key.
   * @returns `true` when present.
   */
  has(key: K): boolean {
    return this.#cache.has(key);
  }

  /**
   * Removes one entry.
   *
   * @param key The key.
   * @returns `true` when it was present.
   */
  delete(key: K): boolean {
    return this.#cache.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#cache.clear();
  }

  /**
   * The value of `key`, storing `value` first if the key is absent, in one
   * transaction (python-diskcache's `setdefault`).
   *
   * @param key The key.
   * @param value Stored when `key` is absent.
   * @returns The value now under `key`.
   *
   * @example Initialise once, whichever process comes first
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Index } from "@diskcache/diskcache";
   * using index = new Index<string, number>();
   * assert.equal(index.setDefault("runs", 0), 0);
   * index.set("runs", 5);
   * assert.equal(index.setDefault("runs", 0), 5);
   * rmSync(index.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  setDefault(key: K, value: V): V {
    return this.#cache.transact(() => {
      const found = this.#cache.get<V>(key);
      if (found !== undefined) return found;
      this.#cache.set(key, value);
      return value;
    });
  }

  /**
   * Removes and returns the newest or oldest entry, in one transaction.
   *
   * @param options `last`: `true` (default) for the newest, `false` for the oldest.
   * @returns The entry, or `undefined` when the index is empty.
   *
   * @example Take the oldest entry
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Index } from "@diskcache/diskcache";
   * using index = new Index<string, number>();
   * index.set("a", 1).set("b", 2);
   * assert.deepEqual(index.popItem({ last: false }), ["a", 1]);
   * rmSync(index.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  popItem(options: { last?: boolean } = {}): [K, V] | undefined {
    return this.#cache.transact(() => {
      const item = this.#cache.peekItem<V>({ last: options.last ?? true });
      if (item !== undefined) this.#cache.delete(item[0] as K);
      return item as [K, V] | undefined;
    });
  }

  /**
   * Adds a value to a queue kept in the index (see `DiskCache.push`).
   *
   * @param value The value.
   * @param options `prefix` (which queue) and `side`.
   * @returns The key it was stored under.
   *
   * @example A queue beside the map
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Index } from "@diskcache/diskcache";
   * using index = new Index<string | number, string>();
   * index.push("job 1", { prefix: "jobs" });
   * assert.deepEqual(index.pull({ prefix: "jobs" })?.[1], "job 1");
   * rmSync(index.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  push(value: V, options: Omit<PushOptions, "ttl" | "tag"> = {}): number | string {
    return this.#cache.push(value, options);
  }

  /**
   * Takes a value from a queue kept in the index (see `DiskCache.pull`).
   *
   * @param options `prefix` (which queue) and `side`.
   * @returns `[key, value]`, or `undefined` when that queue is empty.
   */
  pull(options: PullOptions = {}): [K, V] | undefined {
    return this.#cache.pull<V>(options) as [K, V] | undefined;
  }

  /**
   * Keys in insertion order.
   *
   * @returns An iterator over the keys.
   */
  keys(): IterableIterator<K> {
    return this.#cache.keys() as IterableIterator<K>;
  }

  /**
   * Values in insertion order, one for each key `keys()` lists.
   *
   * @returns An iterator over the values.
   * @throws {DiskCacheError} On reaching a value this library cannot read
   * (a Python pickle): the message names its key.
   */
  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  /**
   * Entries in insertion order, read in pages (entries added meanwhile may or
   * may not be seen). A value this library cannot read is an error naming
   * its key, not an entry passed over, so that `keys()`, `values()` and
   * `entries()` line up.
   *
   * @returns An iterator over `[key, value]` pairs.
   * @throws {DiskCacheError} On reaching a value this library cannot read
   * (a Python pickle): the message names its key.
   */
  entries(): IterableIterator<[K, V]> {
    return collectionRows.entries(this.#cache, {}) as IterableIterator<[K, V]>;
  }

  /** Same as {@linkcode Index.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /**
   * Calls `fn` for each entry in insertion order, as `Map.forEach`.
   *
   * @param fn Called with the value, the key and this index.
   */
  forEach(fn: (value: V, key: K, index: this) => void): void {
    for (const [k, v] of this) fn(v, k, this);
  }

  /**
   * Closes the cache underneath (also one given to `fromCache`); later calls
   * throw `DiskCacheError`.
   */
  close(): void {
    this.#cache.close();
  }

  /** Same as {@linkcode Index.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

inspectable(Index.prototype, (collection) => `Index ${collectionFields(collection, { size: () => collection.size })}`);
