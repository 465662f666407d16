/**
 * {@linkcode memoizeStampede}: memoization that avoids cache stampedes, in
 * two ways. While a result is still cached, one process recomputes it early
 * with a probability that grows as expiry nears (Vattani et al., "Optimal
 * Probabilistic Cache Stampede Prevention", VLDB 2015; python-diskcache's
 * `memoize_stampede`). When it is gone, exactly one process computes it and
 * the others wait for its result (python-diskcache lets every caller compute).
 *
 * @module
 */
import { describe } from "../errors.ts";
import type { Tag } from "../_values.ts";
import { type RecipeCache, sleep, token } from "./_shared.ts";

/** Options of {@linkcode memoizeStampede}. */
export interface StampedeOptions<A extends unknown[]> {
  /** Milliseconds a result stays cached (required). */
  ttl: number;
  /**
   * Eagerness of early recomputation: above 1 recomputes earlier, below 1
   * later.
   *
   * @default {1}
   */
  beta?: number;
  /** The first part of every key; defaults to the function's name. */
  name?: string;
  /** Tag stored with each result. */
  tag?: Tag;
  /** Positions of arguments left out of the key. */
  ignore?: readonly number[];
  /**
   * Milliseconds other processes wait for the one computing a missing result
   * before one of them takes over (a guard against a computer that died).
   *
   * @default {60000}
   */
  computeTimeout?: number;
  /** Called with errors of background recomputations (the stale value stays). */
  onError?: (error: unknown, args: A) => void;
}

/**
 * Wraps `fn` (sync or async) with stampede-safe memoization in `cache`.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache Where results live.
 * @param fn The function.
 * @param options `ttl` (required), `beta`, `name`, `tag`, `ignore`, `computeTimeout`, `onError`.
 * @returns The wrapped function (always async).
 *
 * @example Memoize an expensive call
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskCache, memoizeStampede } from "../../mod.ts";
 * using cache = new DiskCache();
 * let calls = 0;
 * const load = memoizeStampede(cache, async function load(id: number) {
 *   calls++;
 *   return { id };
 * }, { ttl: 60_000 });
 * assert.deepEqual(await load(1), { id: 1 });
 * assert.deepEqual(await load(1), { id: 1 });
 * assert.equal(calls, 1);
 * ```
 */
export function memoizeStampede<A extends unknown[], R>(
  cache: RecipeCache,
  fn: (...args: A) => R,
  options: StampedeOptions<A>,
): (...args: A) => Promise<Awaited<R>> {
  if (typeof fn !== "function") throw new TypeError(`Cannot memoizeStampede: expected a function: received ${describe(fn)}`);
  const { ttl, beta = 1, tag, computeTimeout = 60_000 } = options ?? ({} as StampedeOptions<A>);
  if (typeof ttl !== "number" || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new RangeError(`Cannot memoizeStampede: "ttl" must be a positive number of milliseconds: received ${describe(ttl)}`);
  }
  if (typeof beta !== "number" || !(beta > 0)) throw new RangeError(`Cannot memoizeStampede: "beta" must be positive: received ${describe(beta)}`);
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError("Cannot memoizeStampede: the function has no name; pass options.name");
  const ignore = new Set(options.ignore ?? []);
  const onError = options.onError ?? ((error: unknown) => console.error(`memoizeStampede(${name}): background recomputation failed`, error));

  async function timed(args: A): Promise<[Awaited<R>, number]> {
    const start = performance.now();
    const result = await fn(...args);
    return [result, (performance.now() - start) / 1000];
  }

  return async (...args: A): Promise<Awaited<R>> => {
    const key = ["stampede", name, ...args.filter((_, i) => !ignore.has(i))];
    const computing = [...key, "\u0000computing"];
    for (let pause = 1;; pause = Math.min(pause * 2, 50)) {
      const entry = cache.getEntry(key);
      if (entry !== undefined) {
        const [result, delta] = entry.value as [Awaited<R>, number];
        const remaining = ((entry.expireTime ?? Infinity) - Date.now()) / 1000;
        if (-delta * beta * Math.log(Math.random()) < remaining) return result;
        // Recompute early, in one process, in the background; serve the cached result.
        if (cache.add([...key, "\u0000early"], 1, { ttl: Math.max(1, delta * 1000) })) {
          timed(args).then((pair) => cache.set(key, pair, { ttl, tag })).catch((error) => onError(error, args));
        }
        return result;
      }
      const mine = token();
      if (cache.add(computing, mine, { ttl: computeTimeout })) {
        try {
          // Another process may have stored it between our miss and our marker.
          const stored = cache.get(key) as [Awaited<R>, number] | undefined;
          if (stored !== undefined) return stored[0];
          const pair = await timed(args);
          cache.set(key, pair, { ttl, tag });
          return pair[0];
        } finally {
          cache.transact(() => cache.get(computing) === mine && cache.delete(computing));
        }
      }
      await sleep(pause); // another process computes it: wait for its result
    }
  };
}
