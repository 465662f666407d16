/**
 * {@linkcode Averager}: a running mean kept in one cache key, updated
 * atomically by any process.
 *
 * @module
 */
import type { Key, RecipeCache, RecipeOptions, Tag } from "../types.ts";
import { pickle } from "../format/pickle.ts";
import { checkRecipeOptions, inTransaction, readShared } from "./_shared.ts";

/** The `(total, count)` stored under the key, as python-diskcache's Averager stores it; `undefined` for anything else. */
function pairOf(found: ReturnType<typeof readShared>): [number, number] | undefined {
  if (found === undefined || !("value" in found) || !Array.isArray(found.value) || found.value.length !== 2) return undefined;
  const [total, count] = found.value.map((x) => typeof x === "bigint" ? Number(x) : x);
  return Number.isFinite(total) && Number.isFinite(count) ? [total as number, count as number] : undefined;
}

/** The mean of a pair: `undefined` for none, or a count of 0 (as Python's `None`). */
const mean = (pair: [number, number] | undefined) => pair === undefined || pair[1] === 0 ? undefined : pair[0] / pair[1];

/**
 * A running average shared by processes: `add` updates `(total, count)` in
 * one transaction (of the shard holding the key, on a `FanoutCache`). The
 * pair is stored as python-diskcache's `Averager` stores it (a Python
 * tuple), so the two share an average of the same key.
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
      // A value that is not a pair starts the average again, as a missing one does.
      const [total, count] = pairOf(readShared(c, this.#key)) ?? [0, 0];
      c.set(this.#key, pickle([total + value, count + 1]), { ttl: this.#ttl, tag: this.#tag });
    });
  }

  /** The mean so far, or `undefined` before any `add`. */
  get(): number | undefined {
    return mean(pairOf(readShared(this.#cache, this.#key)));
  }

  /** Returns the mean and deletes it. */
  pop(): number | undefined {
    return inTransaction(this.#cache, this.#key, (c) => {
      const pair = pairOf(readShared(c, this.#key));
      c.delete(this.#key);
      return mean(pair);
    });
  }
}
