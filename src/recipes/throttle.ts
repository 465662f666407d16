/**
 * {@linkcode throttle}: a token bucket shared by processes: at most `count`
 * calls per `seconds`, across every process using the cache.
 *
 * @module
 */
import { describe } from "../errors.ts";
import { keyName } from "../function_name.ts";
import { checkRecipeOptions, inTransaction, sleep } from "./_shared.ts";
import type { RecipeCache } from "../types.ts";

/** A stored bucket: `[seconds of the last refill, tokens left]`. */
function isBucket(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && Number.isFinite(v[1]);
}

/**
 * Options of {@linkcode throttle}.
 *
 * @example Name an arrow function and drive the clock
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, throttle, type ThrottleOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * let now = 0;
 * const waits: number[] = [];
 * const options: ThrottleOptions = {
 *   name: "api",
 *   clock: () => now,
 *   sleep: async (ms) => { waits.push(ms); now += ms; },
 * };
 * const call = throttle(cache, 1, 1, () => "ok", options);
 * assert.equal(await call(), "ok");
 * assert.equal(await call(), "ok");
 * assert.equal(waits.length, 1, "the second call waited for the bucket to refill");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface ThrottleOptions {
  /**
   * The bucket's key. Defaults to the function's own name, which only a
   * function declared with `function name() {}` may use (see `memoize`).
   */
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
 * per `seconds`; callers beyond that wait (without blocking the event loop),
 * never longer than `seconds` at a time. A clock that steps back refills
 * nothing and costs no extra wait; processes whose clocks disagree by more
 * than `seconds` may together exceed the rate (keep clocks in sync).
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
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, throttle } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * let calls = 0;
 * const ping = throttle(cache, 100, 1, function ping() { calls++; });
 * await ping();
 * await ping();
 * assert.equal(calls, 2);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
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
  const name = keyName("throttle", fn, options.name);
  checkRecipeOptions("throttle", options.ttl === undefined ? {} : { ttl: options.ttl });
  const key = ["throttle", name];
  const clock = options.clock ?? Date.now;
  const wait = options.sleep ?? sleep;
  const rate = count / seconds; // tokens per second
  cache.add(key, [clock() / 1000, count], { ttl: options.ttl });
  return async (...args: A): Promise<Awaited<R>> => {
    for (;;) {
      const delay = inTransaction(cache, key, (c) => {
        const now = clock() / 1000;
        const stored = c.get(key);
        const [last, tally] = isBucket(stored) ? stored : [now, count];
        // A clock behind the stored time (another process's clock ahead, or
        // this one stepped back) refills nothing: elapsed time is never
        // negative. Behind by less than a period, the stored time stays, so a
        // lagging process never mints tokens ahead of the rate; behind by more,
        // the bucket starts again from this clock's now.
        const anchor = now >= last || last - now > seconds ? now : last;
        const tokens = Math.min(count, Math.max(0, tally) + Math.max(0, now - last) * rate);
        if (tokens >= 1) {
          c.set(key, [anchor, tokens - 1], { ttl: options.ttl });
          return 0;
        }
        c.set(key, [anchor, tokens], { ttl: options.ttl });
        return Math.min(seconds * 1000, ((1 - tokens) / rate) * 1000);
      }, () => 1); // a busy FanoutCache shard: try again in a moment
      if (delay === 0) break;
      await wait(delay);
    }
    return (await fn(...args)) as Awaited<R>;
  };
}
