/**
 * {@linkcode BoundedSemaphore}: at most `value` holders at once, across
 * processes.
 *
 * @module
 */
import { describe, DiskCacheError } from "../errors.ts";
import type { Key, RecipeCache, RecipeOptions, RecipeStore, Tag } from "../types.ts";
import { checkRecipeOptions, countOf, inTransaction, readShared, retry, token } from "./_shared.ts";

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

/** This library's holders, kept beside the count: `[token, expiry in epoch ms or null]`. */
type Holders = [string, number | null][];

/**
 * A semaphore shared by every process using the cache: at most `value`
 * holders at once. The key holds the count of free slots as an int, as
 * python-diskcache's `BoundedSemaphore` stores it, so the two share a
 * semaphore of the same key and `value`. This library's holders are also
 * recorded, each with its own expiry, under a second key in the same
 * database: `ttl` frees the slot of a holder `ttl` ms after it took it (a
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
  /** The key of this library's holders, per store: one in the same shard as the count. */
  #holdersKeys = new Map<RecipeStore, Key>();

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
   * The key of this library's holders in `store`: a key of its own, which in
   * a FanoutCache must lie in the shard of the count, so that one
   * transaction covers both.
   */
  #holdersKey(store: RecipeStore): Key {
    let key = this.#holdersKeys.get(store);
    if (key !== undefined) return key;
    const cache = this.#cache;
    for (let i = 0;; i++) {
      key = ["BoundedSemaphore holders", this.#key, i];
      if (!("shardOf" in cache) || cache.shardOf(key) === store || i > 100_000) break;
    }
    this.#holdersKeys.set(store, key);
    return key;
  }

  /**
   * The free slots stored under the key (`value` when there is no item), and
   * whether there is an item; `undefined` when the value is not a count
   * (held by someone this cannot read).
   */
  #free(c: RecipeStore): { free: number; stored: boolean } | undefined {
    const found = readShared(c, this.#key);
    if (found === undefined) return { free: this.#value, stored: false };
    const free = "value" in found ? countOf(found.value) : undefined;
    return free === undefined ? undefined : { free, stored: true };
  }

  /** Stores the count, keeping the expiry another holder gave it (python-diskcache's `expire`). */
  #storeFree(c: RecipeStore, free: number): void {
    const expireTime = c.getEntry(this.#key)?.expireTime ?? null;
    // On the cache's clock, which measured that expiry (not this semaphore's `clock`, which times holders).
    const ttl = expireTime === null ? undefined : Math.max(1, expireTime - (c.now ?? Date.now()));
    c.set(this.#key, free, { ttl, tag: this.#tag });
  }

  /** This library's holders of the semaphore (a value of another shape counts as none). */
  #holders(c: RecipeStore): Holders {
    const stored = c.get(this.#holdersKey(c));
    return (Array.isArray(stored) ? stored : []).filter((h): h is Holders[number] =>
      Array.isArray(h) && typeof h[0] === "string" && (h[1] === null || typeof h[1] === "number")
    );
  }

  #storeHolders(c: RecipeStore, holders: Holders): void {
    if (holders.length === 0) c.delete(this.#holdersKey(c));
    else c.set(this.#holdersKey(c), holders, { tag: this.#tag });
  }

  /**
   * Takes a slot if one is free, or else the slot of this library's holder
   * whose `ttl` ran out first; `true` when taken. A value under the key that
   * is not a count answers `false`.
   */
  tryAcquire(): boolean {
    const mine = token();
    const taken = inTransaction(this.#cache, this.#key, (c) => {
      const now = this.#clock();
      const count = this.#free(c);
      if (count === undefined) return false;
      // No count stored (never taken, or its expiry freed every slot): holders recorded are stale.
      const holders = count.stored ? this.#holders(c) : [];
      if (count.free > 0) count.free--;
      else {
        let oldest = -1;
        holders.forEach((h, i) => {
          if (h[1] !== null && h[1] <= now && (oldest < 0 || h[1] < holders[oldest]![1]!)) oldest = i;
        });
        if (oldest < 0) return false;
        holders.splice(oldest, 1); // its slot passes to this holder: the count stays
      }
      holders.push([mine, this.#ttl === undefined ? null : now + this.#ttl]);
      this.#storeFree(c, count.free);
      this.#storeHolders(c, holders);
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
      const holders = this.#holders(c);
      const rest = holders.filter((h) => h[0] !== mine);
      if (rest.length === holders.length) return false;
      this.#storeHolders(c, rest);
      const count = this.#free(c);
      // No count stored: its expiry already freed every slot. Not a count: not ours to change.
      if (count?.stored !== true) return true;
      if (count.free + 1 >= this.#value && rest.length === 0) c.delete(this.#key); // all free: as if never taken
      else this.#storeFree(c, Math.min(this.#value, count.free + 1));
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
