/**
 * {@linkcode BoundedSemaphore}: at most `value` holders at once, across
 * processes.
 *
 * @module
 */
import { describe } from "../errors.ts";
import type { Key, Tag } from "../_values.ts";
import { checkRecipeOptions, type RecipeCache, type RecipeOptions, retry } from "./_shared.ts";

/** Options of {@linkcode BoundedSemaphore}. */
export interface SemaphoreOptions extends RecipeOptions {
  /**
   * How many holders at once.
   *
   * @default {1}
   */
  value?: number;
}

/**
 * A semaphore shared by every process using the cache. Releasing more times
 * than acquired throws. `ttl` restores the full count if holders die.
 *
 * @example Allow two holders
 * ```ts
 * import assert from "node:assert/strict";
 * import { BoundedSemaphore, DiskCache } from "../../mod.ts";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const sem = new BoundedSemaphore(cache, "slots", { value: 2 });
 * assert.equal(sem.tryAcquire(), true);
 * assert.equal(sem.tryAcquire(), true);
 * assert.equal(sem.tryAcquire(), false);
 * sem.release();
 * assert.equal(sem.tryAcquire(), true);
 * ```
 */
export class BoundedSemaphore {
  #cache: RecipeCache;
  #key: Key;
  #value: number;
  #ttl: number | undefined;
  #tag: Tag | undefined;

  /**
   * @param cache The cache holding the count.
   * @param key The semaphore's key.
   * @param options `value` (holders at once), `ttl`, `tag`.
   */
  constructor(cache: RecipeCache, key: Key, options: SemaphoreOptions = {}) {
    ({ ttl: this.#ttl, tag: this.#tag } = checkRecipeOptions("BoundedSemaphore", options));
    const value = options.value ?? 1;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot create BoundedSemaphore: "value" must be a positive integer: received ${describe(value)}`);
    }
    this.#cache = cache;
    this.#key = key;
    this.#value = value;
  }

  /** Takes a slot if one is free; `true` when taken. */
  tryAcquire(): boolean {
    return this.#cache.transact(() => {
      const free = (this.#cache.get(this.#key) as number | undefined) ?? this.#value;
      if (free <= 0) return false;
      this.#cache.set(this.#key, free - 1, { ttl: this.#ttl, tag: this.#tag });
      return true;
    });
  }

  /**
   * Waits until a slot is taken.
   *
   * @param options `signal` aborts the wait.
   * @returns This semaphore, disposable with `await using`.
   */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<this> {
    await retry(() => this.tryAcquire(), options.signal, "acquire semaphore");
    return this;
  }

  /**
   * Frees a slot.
   *
   * @throws {RangeError} When released more times than acquired.
   */
  release(): void {
    this.#cache.transact(() => {
      const free = (this.#cache.get(this.#key) as number | undefined) ?? this.#value;
      if (free >= this.#value) {
        throw new RangeError(`Cannot release semaphore: released more times than acquired (all ${this.#value} slots are free)`);
      }
      this.#cache.set(this.#key, free + 1, { ttl: this.#ttl, tag: this.#tag });
    });
  }

  /** Frees a slot at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}
