/**
 * {@linkcode Averager}: a running mean kept in one cache key, updated
 * atomically by any process.
 *
 * @module
 */
import type { Key, RecipeCache, RecipeOptions, Tag } from "../types.ts";
import { checkRecipeOptions, inTransaction } from "./_shared.ts";

/**
 * A running average shared by processes: `add` updates `[total, count]` in
 * one transaction (of the shard holding the key, on a `FanoutCache`).
 *
 * @example Average response times
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { Averager, DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const avg = new Averager(cache, "latency");
 * avg.add(10);
 * avg.add(20);
 * assert.equal(avg.get(), 15);
 * assert.equal(avg.pop(), 15);
 * assert.equal(avg.get(), undefined);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class Averager {
  #cache: RecipeCache;
  #key: Key;
  #ttl: number | undefined;
  #tag: Tag | undefined;

  /**
   * An averager keeping its running sum and count under `key` in `cache`.
   *
   * @param cache The cache holding the sums.
   * @param key The averager's key.
   * @param options `ttl`, `tag`.
   */
  constructor(cache: RecipeCache, key: Key, options: RecipeOptions = {}) {
    ({ ttl: this.#ttl, tag: this.#tag } = checkRecipeOptions("Averager", options));
    this.#cache = cache;
    this.#key = key;
  }

  /** Adds one observation. */
  add(value: number): void {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeError(`Cannot add to Averager: expected a finite number: received ${String(value)}`);
    }
    inTransaction(this.#cache, this.#key, (c) => {
      const [total, count] = (c.get(this.#key) as [number, number] | undefined) ?? [0, 0];
      c.set(this.#key, [total + value, count + 1], { ttl: this.#ttl, tag: this.#tag });
    });
  }

  /** The mean so far, or `undefined` before any `add`. */
  get(): number | undefined {
    const pair = this.#cache.get(this.#key) as [number, number] | undefined;
    return pair === undefined ? undefined : pair[0] / pair[1];
  }

  /** Returns the mean and deletes it. */
  pop(): number | undefined {
    const pair = this.#cache.pop(this.#key) as [number, number] | undefined;
    return pair === undefined ? undefined : pair[0] / pair[1];
  }
}
