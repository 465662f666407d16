/**
 * {@linkcode BoundedSemaphore}: at most `value` holders at once, across
 * processes.
 *
 * @module
 */
import { describe, DiskCacheError } from "../errors.ts";
import type { Key, RecipeCache, RecipeOptions, RecipeStore, Tag } from "../types.ts";
import { checkRecipeOptions, inTransaction, retry, token } from "./_shared.ts";

/**
 * Options of {@linkcode BoundedSemaphore}.
 *
 * @example Three downloads at once, each slot freed after a minute
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { BoundedSemaphore, DiskCache, type SemaphoreOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const options: SemaphoreOptions = { value: 3, ttl: 60_000 };
 * const downloads = new BoundedSemaphore(cache, "downloads", options);
 * assert.equal(downloads.tryAcquire(), true);
 * downloads.release();
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface SemaphoreOptions extends RecipeOptions {
  /**
   * How many holders at once.
   *
   * @default {1}
   */
  value?: number;
  /**
   * Clock in epoch ms for the holders' `ttl` (tests pass a fake).
   *
   * @default {Date.now}
   */
  clock?: () => number;
}

/** The holders stored under the semaphore's key: `[token, expiry in epoch ms or null]`. */
type Holders = [string, number | null][];

/**
 * A semaphore shared by every process using the cache: at most `value`
 * holders at once. Each holder is recorded under the key with its own
 * expiry: `ttl` frees the slot of a holder `ttl` ms after it took it (a
 * guard against a holder that died), without touching the others' slots.
 * `release()` frees a slot this instance holds; releasing more times than
 * acquired throws a `RangeError`, and releasing a slot whose `ttl` ran out
 * and that another holder then took throws a `DiskCacheError` (as
 * {@linkcode Lock} does).
 *
 * @example Allow two holders
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { BoundedSemaphore, DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const sem = new BoundedSemaphore(cache, "slots", { value: 2 });
 * assert.equal(sem.tryAcquire(), true);
 * assert.equal(sem.tryAcquire(), true);
 * assert.equal(sem.tryAcquire(), false);
 * sem.release();
 * assert.equal(sem.tryAcquire(), true);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class BoundedSemaphore {
  #cache: RecipeCache;
  #key: Key;
  #value: number;
  #ttl: number | undefined;
  #tag: Tag | undefined;
  #clock: () => number;
  /** The tokens of the slots this instance holds, most recent last. */
  #held: string[] = [];

  /**
   * A semaphore stored under `key` in `cache`, letting `value` holders in at
   * once.
   *
   * @param cache The cache holding the holders.
   * @param key The semaphore's key.
   * @param options `value` (holders at once), `ttl` (per holder), `tag`, `clock`.
   */
  constructor(cache: RecipeCache, key: Key, options: SemaphoreOptions = {}) {
    ({ ttl: this.#ttl, tag: this.#tag } = checkRecipeOptions("BoundedSemaphore", options));
    const value = options.value ?? 1;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot create BoundedSemaphore: "value" must be a positive integer: received ${describe(value)}`);
    }
    const clock = options.clock ?? Date.now;
    if (typeof clock !== "function") {
      throw new TypeError(`Cannot create BoundedSemaphore: "clock" must be a function: received ${describe(clock)}`);
    }
    this.#cache = cache;
    this.#key = key;
    this.#value = value;
    this.#clock = clock;
  }

  /**
   * The holders stored under the key (a value of another shape counts as
   * none), with room for one more when there is any: when all `value` slots
   * are taken, the holder whose `ttl` ran out first (if any did) is dropped.
   * A holder past its `ttl` keeps its slot until someone needs it.
   */
  #withRoom(c: RecipeStore, now: number): Holders {
    const stored = c.get(this.#key);
    const holders = (Array.isArray(stored) ? stored : []).filter((h): h is Holders[number] =>
      Array.isArray(h) && typeof h[0] === "string" && (h[1] === null || typeof h[1] === "number")
    );
    if (holders.length < this.#value) return holders;
    let oldest = -1;
    holders.forEach((h, i) => {
      if (h[1] !== null && h[1] <= now && (oldest < 0 || h[1] < holders[oldest]![1]!)) oldest = i;
    });
    if (oldest >= 0) holders.splice(oldest, 1);
    return holders;
  }

  #store(c: RecipeStore, holders: Holders): void {
    if (holders.length === 0) c.delete(this.#key);
    else c.set(this.#key, holders, { tag: this.#tag });
  }

  /**
   * Takes a slot if one is free, or else the slot of the holder whose `ttl`
   * ran out first; `true` when taken.
   */
  tryAcquire(): boolean {
    const mine = token();
    const taken = inTransaction(this.#cache, this.#key, (c) => {
      const now = this.#clock();
      const holders = this.#withRoom(c, now);
      if (holders.length >= this.#value) return false;
      holders.push([mine, this.#ttl === undefined ? null : now + this.#ttl]);
      this.#store(c, holders);
      return true;
    }, () => false);
    if (taken) this.#held.push(mine);
    return taken;
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
   * Frees the slot this instance took last.
   *
   * @throws {RangeError} When this instance released more times than it acquired.
   * @throws {DiskCacheError} When the slot's `ttl` ran out and another holder took it.
   */
  release(): void {
    const mine = this.#held.at(-1);
    if (mine === undefined) {
      throw new RangeError("Cannot release semaphore: released more times than acquired by this BoundedSemaphore");
    }
    const found = inTransaction(this.#cache, this.#key, (c) => {
      const stored = c.get(this.#key);
      const holders = (Array.isArray(stored) ? stored : []) as Holders;
      const rest = holders.filter((h) => !(Array.isArray(h) && h[0] === mine));
      if (rest.length === holders.length) return false;
      this.#store(c, rest);
      return true;
    });
    this.#held.pop();
    if (!found) {
      throw new DiskCacheError("Cannot release semaphore: this holder's slot is gone (its ttl ran out and another holder took it)");
    }
  }

  /** Frees a slot at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}
