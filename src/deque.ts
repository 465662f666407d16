/**
 * {@linkcode Deque}: a persistent double-ended queue shared by processes,
 * with JavaScript array names, on a DiskCache with eviction policy `"none"`.
 *
 * @module
 */
import { collectionFields, inspectable } from "./_closed.ts";
import { collectionRows, DiskCache, type DiskCacheOptions } from "./disk_cache.ts";
import { describe } from "./errors.ts";
import type { Key } from "./types.ts";

/**
 * Options of {@linkcode Deque}: the cache's options (policy is always `"none"`) plus `maxLength`.
 *
 * @example Keep the last two items
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { Deque, type DequeOptions } from "@diskcache/diskcache";
 * const options: DequeOptions = { maxLength: 2 };
 * using recent = new Deque<number>(undefined, options);
 * recent.push(1, 2, 3);
 * assert.deepEqual([...recent], [2, 3]);
 * rmSync(recent.directory, { recursive: true, force: true }); // the example's temporary directory
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
 * operation is atomic across processes. Indexing walks the keys (O(n)),
 * then reads one value; positions count every key of the cache, as in
 * python-diskcache, and an item whose value this library cannot read (a
 * Python pickle) is an error naming its key, never skipped.
 *
 * @typeParam T The items' type.
 *
 * @example Use a deque across restarts
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { Deque } from "@diskcache/diskcache";
 * using deque = new Deque<string>(undefined, { maxLength: 3 });
 * deque.push("a", "b", "c", "d");
 * assert.deepEqual([...deque], ["b", "c", "d"]);
 * assert.equal(deque.shift(), "b");
 * deque.unshift("z");
 * assert.equal(deque.at(0), "z");
 * assert.equal(deque.at(-1), "d");
 * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
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
    // Read-only, the stored policy holds: a setting would be refused (nothing may be written).
    this.#cache = adopted ?? new DiskCache(directory, cacheOptions.readonly ? cacheOptions : { ...cacheOptions, evictionPolicy: "none" });
  }

  /**
   * A deque over an existing cache (which should use policy `"none"`, or
   * items may be evicted). Closing the deque closes that cache.
   *
   * @typeParam T The items' type.
   * @param cache The cache.
   * @param options `maxLength`.
   * @returns The deque.
   *
   * @example Keep a deque in a cache you already have
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque, DiskCache } from "@diskcache/diskcache";
   * const cache = new DiskCache(undefined, { evictionPolicy: "none" });
   * using deque = Deque.fromCache<string>(cache, { maxLength: 10 });
   * deque.push("job");
   * assert.equal(cache.length, 1);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  static fromCache<T = unknown>(cache: DiskCache, options: { maxLength?: number } = {}): Deque<T> {
    const adopting: AdoptingOptions = { ...options, [ADOPT]: cache };
    return new Deque<T>(undefined, adopting);
  }

  // The same accessors as Index (index.ts): each class spells out its public surface, as python-diskcache's do.
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

  /**
   * The bound, or `undefined`; setting it drops items from the front.
   *
   * @example Shrink a deque
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(1, 2, 3);
   * deque.maxLength = 1;
   * assert.deepEqual([...deque], [3]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  get maxLength(): number | undefined {
    return this.#maxLength;
  }

  set maxLength(value: number | undefined) {
    this.#maxLength = checkMaxLength(value);
    this.#cache.transact(() => this.#trim("front"));
  }

  // Drops queue items without reading them (an item this library cannot read
  // goes like any other); keys that are not queue items count in `length`,
  // as in python-diskcache, but are never dropped, so the bound may not hold.
  #trim(from: "front" | "back"): void {
    if (this.#maxLength !== undefined) collectionRows.trim(this.#cache, from, this.#maxLength);
  }

  /**
   * The values in key order, read in pages. A value this library cannot read
   * throws the error that names its key: positions mean the same thing as in
   * Python, so nothing is passed over.
   */
  *#values(reverse: boolean): Generator<T> {
    for (const [, value] of collectionRows.entries(this.#cache, { order: "key", reverse })) yield value as T;
  }

  /**
   * Adds items at the back (dropping from the front beyond `maxLength`).
   *
   * @param items The items, first to last.
   * @returns The new length.
   *
   * @example Push several items
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<string>();
   * assert.equal(deque.push("a", "b"), 2);
   * assert.equal(deque.at(-1), "b");
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  push(...items: T[]): number {
    return this.#cache.transact(() => {
      for (const item of items) this.#cache.push(item, { side: "back" });
      this.#trim("front");
      return this.#cache.length;
    });
  }

  /**
   * Adds items at the front, keeping their order like `Array.unshift`
   * (dropping from the back beyond `maxLength`).
   *
   * @param items The items, first to last.
   * @returns The new length.
   *
   * @example Unshift keeps the order given
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(3);
   * deque.unshift(1, 2);
   * assert.deepEqual([...deque], [1, 2, 3]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  unshift(...items: T[]): number {
    return this.#cache.transact(() => {
      for (let i = items.length - 1; i >= 0; i--) this.#cache.push(items[i], { side: "front" });
      this.#trim("back");
      return this.#cache.length;
    });
  }

  /**
   * Removes and returns the back item. Another process taking the same item
   * at the same time gets a different one: each item is taken once.
   *
   * @returns The item, or `undefined` when the deque is empty.
   * @throws {DiskCacheError} When the item holds a value this library cannot
   * read (a Python pickle): the message names its key, and the item stays.
   *
   * @example Use a deque as a stack
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using stack = new Deque<number>();
   * stack.push(1, 2);
   * assert.equal(stack.pop(), 2);
   * assert.equal(stack.pop(), 1);
   * assert.equal(stack.pop(), undefined);
   * rmSync(stack.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  pop(): T | undefined {
    return this.#cache.pull<T>({ side: "back" })?.[1];
  }

  /**
   * Removes and returns the front item. Another process taking the same item
   * at the same time gets a different one: each item is taken once.
   *
   * @returns The item, or `undefined` when the deque is empty.
   * @throws {DiskCacheError} When the item holds a value this library cannot
   * read (a Python pickle): the message names its key, and the item stays.
   *
   * @example Use a deque as a work queue
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using queue = new Deque<string>();
   * queue.push("first", "second");
   * assert.equal(queue.shift(), "first");
   * rmSync(queue.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  shift(): T | undefined {
    return this.#cache.pull<T>({ side: "front" })?.[1];
  }

  /**
   * The item at `index`, walking the keys from the front, or from the back
   * for a negative index (O(n) keys), then reading that one value. Positions
   * count every key of the cache in key order, as python-diskcache's do.
   *
   * @param index Position from the front; negative counts from the back (-1 is the last).
   * @returns The item, or `undefined` when `index` is out of range.
   * @throws {TypeError} When `index` is not an integer.
   * @throws {DiskCacheError} When the item at `index` holds a value this
   * library cannot read (a Python pickle): the message names its key.
   *
   * @example Read both ends
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<string>();
   * deque.push("a", "b", "c");
   * assert.deepEqual([deque.at(0), deque.at(-1), deque.at(5)], ["a", "c", undefined]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  at(index: number): T | undefined {
    if (!Number.isSafeInteger(index)) throw new TypeError(`Cannot read Deque.at: index must be an integer: received ${describe(index)}`);
    const reverse = index < 0;
    let i = reverse ? -index - 1 : index;
    for (const key of this.#cache.keys({ order: "key", reverse })) {
      if (i > 0) {
        i--;
        continue;
      }
      // The key's item went between its page and this read: the next key
      // holds that position now (python-diskcache does the same).
      const entry = this.#cache.getEntry<T>(key as Key);
      if (entry !== undefined) return entry.value;
    }
    return undefined;
  }

  /**
   * Items front to back, read in pages (items added meanwhile may or may not
   * be seen).
   *
   * @returns An iterator over the items.
   * @throws {DiskCacheError} On reaching an item whose value this library
   * cannot read (a Python pickle): the message names its key.
   *
   * @example Spread a deque
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(1, 2);
   * assert.deepEqual([...deque], [1, 2]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  *[Symbol.iterator](): Iterator<T> {
    yield* this.#values(false);
  }

  /**
   * Items back to front.
   *
   * @returns An iterator over the items.
   * @throws {DiskCacheError} On reaching an item whose value this library
   * cannot read (a Python pickle): the message names its key.
   *
   * @example Walk backwards
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(1, 2, 3);
   * assert.deepEqual([...deque.reversed()], [3, 2, 1]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  *reversed(): IterableIterator<T> {
    yield* this.#values(true);
  }

  /**
   * Rotates the deque in one transaction, as `collections.deque.rotate`,
   * without reading a value: items exchange keys, so values this library
   * cannot read (Python pickles) move like any other. As in
   * python-diskcache, `steps` is taken modulo `length` (every key of the
   * cache counts), and keys that are not queue items stay at the end.
   *
   * @param steps Items moved from the back to the front; negative moves from the front to the back.
   * @throws {TypeError} When `steps` is not an integer.
   *
   * @example Rotate by one each way
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(1, 2, 3);
   * deque.rotate();
   * assert.deepEqual([...deque], [3, 1, 2]);
   * deque.rotate(-1);
   * assert.deepEqual([...deque], [1, 2, 3]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  rotate(steps = 1): void {
    if (!Number.isSafeInteger(steps)) throw new TypeError(`Cannot rotate: steps must be an integer: received ${describe(steps)}`);
    collectionRows.rotate(this.#cache, steps);
  }

  /**
   * Reverses the items in place, in one transaction, without reading a
   * value: each item moves to its mirror position (keys are exchanged, value
   * files stay), so values this library cannot read (Python pickles) move
   * like any other. Every key of the cache counts, as in python-diskcache.
   *
   * @example Reverse
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(1, 2, 3);
   * deque.reverse();
   * assert.deepEqual([...deque], [3, 2, 1]);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  reverse(): void {
    collectionRows.reverse(this.#cache);
  }

  /**
   * Removes every item.
   *
   * @example Empty a deque
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { Deque } from "@diskcache/diskcache";
   * using deque = new Deque<number>();
   * deque.push(1, 2);
   * deque.clear();
   * assert.equal(deque.length, 0);
   * rmSync(deque.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  clear(): void {
    this.#cache.clear();
  }

  /**
   * Closes the cache underneath (also one given to `fromCache`); later calls
   * throw `DiskCacheError`.
   */
  close(): void {
    this.#cache.close();
  }

  /** Same as {@linkcode Deque.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

inspectable(Deque.prototype, (collection) => `Deque ${collectionFields(collection, { length: () => collection.length })}`);
