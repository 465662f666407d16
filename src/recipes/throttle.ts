/**
 * {@linkcode throttle}: a token bucket shared by processes: at most `count`
 * calls per `seconds`, across every process using the cache.
 *
 * @module
 */
import { describe } from "../errors.ts";
import { type RecipeCache, sleep } from "./_shared.ts";

/** Options of {@linkcode throttle}. */
export interface ThrottleOptions {
  /** The bucket's key; defaults to the function's name. */
  name?: string;
  /** Milliseconds the bucket's key lives after its last use. */
  ttl?: number;
  /** Clock in epoch ms (tests pass a fake). @default {Date.now} */
  clock?: () => number;
  /** How to wait `ms` (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Wraps `fn` so that all processes together call it at most `count` times
 * per `seconds`; callers beyond that wait (without blocking the event loop).
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache The cache holding the bucket.
 * @param count Calls allowed per period.
 * @param seconds The period.
 * @param fn The function.
 * @param options `name`, `ttl`, `clock`, `sleep`.
 * @returns The throttled function (always async).
 *
 * @example Throttle calls
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskCache, throttle } from "../../mod.ts";
 * using cache = new DiskCache();
 * let calls = 0;
 * const ping = throttle(cache, 100, 1, function ping() { calls++; });
 * await ping();
 * await ping();
 * assert.equal(calls, 2);
 * ```
 */
export function throttle<A extends unknown[], R>(
  cache: RecipeCache,
  count: number,
  seconds: number,
  fn: (...args: A) => R,
  options: ThrottleOptions = {},
): (...args: A) => Promise<Awaited<R>> {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`Cannot throttle: "count" must be a positive integer: received ${describe(count)}`);
  if (typeof seconds !== "number" || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new RangeError(`Cannot throttle: "seconds" must be a positive number: received ${describe(seconds)}`);
  }
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError("Cannot throttle: the function has no name; pass options.name");
  const key = ["throttle", name];
  const clock = options.clock ?? Date.now;
  const wait = options.sleep ?? sleep;
  const rate = count / seconds; // tokens per second
  cache.add(key, [clock() / 1000, count], { ttl: options.ttl });
  return async (...args: A): Promise<Awaited<R>> => {
    for (;;) {
      const delay = cache.transact(() => {
        const now = clock() / 1000;
        const [last, tally] = (cache.get(key) as [number, number] | undefined) ?? [now, count];
        const tokens = Math.min(count, tally + (now - last) * rate);
        if (tokens >= 1) {
          cache.set(key, [now, tokens - 1], { ttl: options.ttl });
          return 0;
        }
        cache.set(key, [now, tokens], { ttl: options.ttl });
        return ((1 - tokens) / rate) * 1000;
      });
      if (delay === 0) break;
      await wait(delay);
    }
    return (await fn(...args)) as Awaited<R>;
  };
}
