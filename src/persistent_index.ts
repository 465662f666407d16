/**
 * {@linkcode Index}: a persistent `Map` shared by processes, in insertion
 * order, on a DiskCache with eviction policy `"none"`.
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions } from "./disk_cache.ts";
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
 * import assert from "node:assert/strict";
 * import { Index } from "../mod.ts";
 * using index = new Index<string, number>();
 * index.set("a", 1).set("b", 2);
 * assert.equal(index.size, 2);
 * assert.equal(index.setDefault("a", 9), 1);
 * assert.deepEqual([...index], [["a", 1], ["b", 2]]);
 * assert.deepEqual(index.popItem(), ["b", 2]);
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
    this.#cache = adopted ?? new DiskCache(directory, { ...cacheOptions, evictionPolicy: "none" });
  }

  /**
   * An index over an existing cache (which should use policy `"none"`).
   *
   * @param cache The cache.
   * @returns The index.
   */
  static fromCache<K extends Key = Key, V = unknown>(cache: DiskCache): Index<K, V> {
    const adopting: AdoptingOptions = { [ADOPT]: cache };
    return new Index<K, V>(undefined, adopting);
  }

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

  /** The value of `key`, or `undefined`. */
  get(key: K): V | undefined {
    return this.#cache.get<V>(key);
  }

  /** Stores `value` under `key` (a new key goes last); returns this index. */
  set(key: K, value: V): this {
    this.#cache.set(key, value);
    return this;
  }

  /** Whether `key` is present. */
  has(key: K): boolean {
    return this.#cache.has(key);
  }

  /** Removes `key`; `true` when it was present. */
  delete(key: K): boolean {
    return this.#cache.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#cache.clear();
  }

  /** The value of `key`, storing `value` first if the key is absent (atomically). */
  setDefault(key: K, value: V): V {
    return this.#cache.transact(() => {
      const found = this.#cache.get<V>(key);
      if (found !== undefined) return found;
      this.#cache.set(key, value);
      return value;
    });
  }

  /** Removes and returns the newest (`last`, default) or oldest entry, or `undefined`. */
  popItem(options: { last?: boolean } = {}): [K, V] | undefined {
    return this.#cache.transact(() => {
      const item = this.#cache.peekItem<V>({ last: options.last ?? true });
      if (item !== undefined) this.#cache.delete(item[0] as K);
      return item as [K, V] | undefined;
    });
  }

  /** Adds a value to a queue kept in the index (see `DiskCache.push`); returns its key. */
  push(value: V, options: Omit<PushOptions, "ttl" | "tag"> = {}): number | string {
    return this.#cache.push(value, options);
  }

  /** Takes a value from a queue kept in the index (see `DiskCache.pull`). */
  pull(options: PullOptions = {}): [K, V] | undefined {
    return this.#cache.pull<V>(options) as [K, V] | undefined;
  }

  /** Keys in insertion order. */
  keys(): IterableIterator<K> {
    return this.#cache.keys() as IterableIterator<K>;
  }

  /** Values in insertion order. */
  *values(): IterableIterator<V> {
    for (const [, value] of this.#cache.entries()) yield value as V;
  }

  /** Entries in insertion order. */
  entries(): IterableIterator<[K, V]> {
    return this.#cache.entries() as IterableIterator<[K, V]>;
  }

  /** Same as {@linkcode Index.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Calls `fn` for each entry in insertion order, as `Map.forEach`. */
  forEach(fn: (value: V, key: K, index: this) => void): void {
    for (const [k, v] of this) fn(v, k, this);
  }

  /** Closes the cache. */
  close(): void {
    this.#cache.close();
  }

  /** Same as {@linkcode Index.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
