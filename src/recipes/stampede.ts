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
import { describe, DiskCacheError, Timeout } from "../errors.ts";
import { resultName } from "../function_name.ts";
import type { Key, RecipeCache, Tag } from "../types.ts";
import { inTransaction, sleep, token } from "./_shared.ts";

/**
 * Options of {@linkcode memoizeStampede}.
 *
 * @example Recompute earlier, report background errors
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, memoizeStampede, type StampedeOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const options: StampedeOptions<[string]> = { ttl: 60_000, beta: 2, name: "page", onError: (e) => console.error(e) };
 * const render = memoizeStampede(cache, (path: string) => `<h1>${path}</h1>`, options);
 * assert.equal(await render("/"), "<h1>/</h1>");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
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
  /**
   * The name in every key. Defaults to `"<module>:<declared name>"`, which
   * only a function declared with `function name() {}` may use (the rule of
   * `memoize`); others throw a `TypeError` asking for `name`.
   */
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
  /**
   * Called with errors of background recomputations (the stale value stays).
   * A recomputation that ends after the cache was closed drops its result
   * without calling it.
   *
   * @default {console.error}
   */
  onError?: (error: unknown, args: A) => void;
}

/**
 * A function wrapped by {@linkcode memoizeStampede}.
 *
 * @example Let background recomputations finish before closing
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, memoizeStampede, type StampedeMemoized } from "@diskcache/diskcache";
 * const cache = new DiskCache();
 * const load: StampedeMemoized<[number], { id: number }> = memoizeStampede(cache, async function load(id: number) {
 *   return { id };
 * }, { ttl: 60_000 });
 * assert.deepEqual(await load(7), { id: 7 });
 * await load.settled();
 * cache.close();
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type StampedeMemoized<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
  /**
   * Resolves when the background recomputations started so far have ended
   * (stored their result, or reported their error): await it before closing
   * the cache to keep their results. One that ends after `close()` drops its
   * result silently.
   */
  settled(): Promise<void>;
};

/**
 * Wraps `fn` (sync or async) with stampede-safe memoization in `cache` (a
 * `DiskCache` or a `FanoutCache`). A result the cache cannot store is
 * returned uncached (the first such failure is reported with
 * `console.warn`); in a background recomputation it goes to `onError`.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache Where results live.
 * @param fn The function.
 * @param options `ttl` (required), `beta`, `name`, `tag`, `ignore`, `computeTimeout`, `onError`.
 * @returns The wrapped function (always async), with `settled()`.
 * @throws {TypeError} For a function whose own name cannot tell it apart from others, without `name`.
 *
 * @example Memoize an expensive call
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, memoizeStampede } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * let calls = 0;
 * const load = memoizeStampede(cache, async function load(id: number) {
 *   calls++;
 *   return { id };
 * }, { ttl: 60_000 });
 * assert.deepEqual(await load(1), { id: 1 });
 * assert.deepEqual(await load(1), { id: 1 });
 * assert.equal(calls, 1);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export function memoizeStampede<A extends unknown[], R>(
  cache: RecipeCache,
  fn: (...args: A) => R,
  options: StampedeOptions<A>,
): StampedeMemoized<A, R> {
  if (typeof fn !== "function") throw new TypeError(`Cannot memoizeStampede: expected a function: received ${describe(fn)}`);
  const { ttl, beta = 1, tag, computeTimeout = 60_000 } = options ?? ({} as StampedeOptions<A>);
  if (typeof ttl !== "number" || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new RangeError(`Cannot memoizeStampede: "ttl" must be a positive number of milliseconds: received ${describe(ttl)}`);
  }
  if (typeof beta !== "number" || !(beta > 0)) throw new RangeError(`Cannot memoizeStampede: "beta" must be positive: received ${describe(beta)}`);
  const name = resultName("memoizeStampede", fn, options.name, cache);
  const ignore = new Set(options.ignore ?? []);
  const onError = options.onError ?? ((error: unknown) => console.error(`memoizeStampede(${name}): background recomputation failed`, error));

  async function timed(args: A): Promise<[Awaited<R>, number]> {
    const start = performance.now();
    const result = await fn(...args);
    return [result, (performance.now() - start) / 1000];
  }

  let warned = false;
  /** Stores a computed result; one the cache refuses is returned uncached, reported once (as `memoize` does). */
  function store(key: unknown[], pair: [Awaited<R>, number]): void {
    try {
      cache.set(key as Key, pair, { ttl, tag });
    } catch (error) {
      if (warned) return;
      warned = true;
      console.warn(`memoizeStampede(${name}): a result could not be cached and was returned uncached (reported once per function)`, error);
    }
  }

  const background = new Set<Promise<void>>();
  function recompute(key: unknown[], args: A): void {
    const done: Promise<void> = timed(args).then((pair) => {
      try {
        cache.set(key as Key, pair, { ttl, tag });
      } catch (error) {
        if (!isClosed(error)) throw error;
      }
    }).catch((error) => {
      if (!isClosed(error)) onError(error, args);
    }).finally(() => background.delete(done));
    background.add(done);
  }

  const wrapped = async (...args: A): Promise<Awaited<R>> => {
    const key = ["stampede", name, ...args.filter((_, i) => !ignore.has(i))];
    const computing = [...key, "\u0000computing"];
    for (let pause = 1;; pause = Math.min(pause * 2, 50)) {
      const entry = cache.getEntry(key);
      if (entry !== undefined) {
        const [result, delta] = entry.value as [Awaited<R>, number];
        // On the clock the expiry was measured on: the cache's (its `clock` option).
        const remaining = ((entry.expireTime ?? Infinity) - (cache.now ?? Date.now())) / 1000;
        if (-delta * beta * Math.log(Math.random()) < remaining) return result;
        // Recompute early, in one process, in the background; serve the cached result.
        if (cache.add([...key, "\u0000early"], 1, { ttl: Math.max(1, delta * 1000) })) {
          recompute(key, args);
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
          store(key, pair);
          return pair[0];
        } finally {
          inTransaction(cache, computing, (c) => c.get(computing) === mine && c.delete(computing));
        }
      }
      await sleep(pause); // another process computes it: wait for its result
    }
  };
  return Object.assign(wrapped, {
    settled: async (): Promise<void> => {
      while (background.size > 0) await Promise.all(background);
    },
  });
}

/** Whether `error` says the cache was closed (a recomputation that outlived it). */
function isClosed(error: unknown): boolean {
  return error instanceof DiskCacheError && !(error instanceof Timeout) && / is closed/.test(error.message);
}
