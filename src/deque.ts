/**
 * {@linkcode Deque}: a persistent double-ended queue shared by processes,
 * with JavaScript array names, on a DiskCache with eviction policy `"none"`.
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions } from "./disk_cache.ts";
import { describe } from "./errors.ts";

/**
 * Options of {@linkcode Deque}: the cache's options (policy is always `"none"`) plus `maxLength`.
 *
 * @example Keep the last two items
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deque, type DequeOptions } from "../mod.ts";
 * const options: DequeOptions = { maxLength: 2 };
 * using recent = new Deque<number>(undefined, options);
 * recent.push(1, 2, 3);
 * assert.deepEqual([...recent], [2, 3]);
 * ```
 */
export interface DequeOptions extends Omit<DiskCacheOptions, "evictionPolicy"> {
  /**
   * Most items kept: adding beyond it drops items from the other end, as a
   * bounded `collections.deque` does.
   */
  maxLength?: number;
}

/**
 * The option key under which {@linkcode Deque.fromCache} hands its cache to
 * the constructor. Module-private: users cannot name it, so the public
 * constructor cannot be made to adopt a cache by accident.
 */
const ADOPT: unique symbol = Symbol("Deque.fromCache");

/** The constructor's options as `fromCache` passes them. */
interface AdoptingOptions extends DequeOptions {
  [ADOPT]?: DiskCache;
}

function checkMaxLength(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new RangeError(`Cannot use "maxLength": expected a non-negative integer: received ${describe(value)}`);
  }
  return value as number;
}

/**
 * A persistent deque: `push`/`pop` at the back, `unshift`/`shift` at the
 * front, `at(i)`, iteration front to back, `rotate`, `reverse`. Every
 * operation is atomic across processes. Indexing walks the items (O(n)).
 *
 * @typeParam T The items' type.
 *
 * @example Use a deque across restarts
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deque } from "../mod.ts";
 * using deque = new Deque<string>(undefined, { maxLength: 3 });
 * deque.push("a", "b", "c", "d");
 * assert.deepEqual([...deque], ["b", "c", "d"]);
 * assert.equal(deque.shift(), "b");
 * deque.unshift("z");
 * assert.equal(deque.at(0), "z");
 * assert.equal(deque.at(-1), "d");
 * ```
 */
export class Deque<T = unknown> implements Iterable<T> {
  #cache: DiskCache;
  #maxLength: number | undefined;

  /**
   * Opens (creating if needed) the deque in `directory`.
   *
   * @param directory Where it lives; omitted means a fresh temporary directory.
   * @param options The cache's options and `maxLength`.
   */
  constructor(directory?: string, options: DequeOptions = {}) {
    const { maxLength, [ADOPT]: adopted, ...cacheOptions } = options as AdoptingOptions;
    if ("evictionPolicy" in cacheOptions) throw new TypeError(`Cannot open Deque: "evictionPolicy" is always "none"`);
    this.#maxLength = checkMaxLength(maxLength);
    this.#cache = adopted ?? new DiskCache(directory, { ...cacheOptions, evictionPolicy: "none" });
  }

  /**
   * A deque over an existing cache (which should use policy `"none"`).
   *
   * @param cache The cache.
   * @param options `maxLength`.
   * @returns The deque.
   */
  static fromCache<T = unknown>(cache: DiskCache, options: { maxLength?: number } = {}): Deque<T> {
    const adopting: AdoptingOptions = { ...options, [ADOPT]: cache };
    return new Deque<T>(undefined, adopting);
  }

  /** The cache underneath. */
  get cache(): DiskCache {
    return this.#cache;
  }

  /** The directory. */
  get directory(): string {
    return this.#cache.directory;
  }

  /** Number of items. */
  get length(): number {
    return this.#cache.length;
  }

  /** The bound, or `undefined`; setting it drops items from the front. */
  get maxLength(): number | undefined {
    return this.#maxLength;
  }

  set maxLength(value: number | undefined) {
    this.#maxLength = checkMaxLength(value);
    this.#cache.transact(() => this.#trim("front"));
  }

  #trim(from: "front" | "back"): void {
    if (this.#maxLength === undefined) return;
    while (this.#cache.length > this.#maxLength) this.#cache.pull({ side: from });
  }

  /** Adds items at the back; returns the new length. */
  push(...items: T[]): number {
    return this.#cache.transact(() => {
      for (const item of items) this.#cache.push(item, { side: "back" });
      this.#trim("front");
      return this.#cache.length;
    });
  }

  /** Adds items at the front (keeping their order, like `Array.unshift`); returns the new length. */
  unshift(...items: T[]): number {
    return this.#cache.transact(() => {
      for (let i = items.length - 1; i >= 0; i--) this.#cache.push(items[i], { side: "front" });
      this.#trim("back");
      return this.#cache.length;
    });
  }

  /** Removes and returns the back item, or `undefined` when empty. */
  pop(): T | undefined {
    return this.#cache.pull<T>({ side: "back" })?.[1];
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    return this.#cache.pull<T>({ side: "front" })?.[1];
  }

  /** The item at `index` (negative counts from the back), or `undefined`. */
  at(index: number): T | undefined {
    if (!Number.isSafeInteger(index)) throw new TypeError(`Cannot read Deque.at: index must be an integer: received ${describe(index)}`);
    const reverse = index < 0;
    let i = reverse ? -index - 1 : index;
    for (const [, value] of this.#cache.entries({ order: "key", reverse })) if (i-- === 0) return value as T;
    return undefined;
  }

  /** Items front to back. */
  *[Symbol.iterator](): Iterator<T> {
    for (const [, value] of this.#cache.entries({ order: "key" })) yield value as T;
  }

  /** Items back to front. */
  *reversed(): IterableIterator<T> {
    for (const [, value] of this.#cache.entries({ order: "key", reverse: true })) yield value as T;
  }

  /** Moves `steps` items from the back to the front (negative: front to back). */
  rotate(steps = 1): void {
    if (!Number.isSafeInteger(steps)) throw new TypeError(`Cannot rotate: steps must be an integer: received ${describe(steps)}`);
    this.#cache.transact(() => {
      const n = this.#cache.length;
      if (n === 0) return;
      const k = ((steps % n) + n) % n;
      const moveBack = k <= n / 2;
      for (let i = 0; i < (moveBack ? k : n - k); i++) {
        const item = this.#cache.pull({ side: moveBack ? "back" : "front" });
        if (item) this.#cache.push(item[1], { side: moveBack ? "front" : "back" });
      }
    });
  }

  /** Reverses the items in place (reads them all once). */
  reverse(): void {
    this.#cache.transact(() => {
      const items = [...this];
      this.#cache.clear();
      for (const item of items) this.#cache.push(item, { side: "front" });
    });
  }

  /** Removes every item. */
  clear(): void {
    this.#cache.clear();
  }

  /** Closes the cache. */
  close(): void {
    this.#cache.close();
  }

  /** Same as {@linkcode Deque.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
