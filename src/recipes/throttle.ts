/**
 * {@linkcode throttle}: a token bucket shared by processes: at most `count`
 * calls per `period` milliseconds, across every process using the cache.
 *
 * @module
 */
import { describe } from "../errors.ts";
import { keyName } from "../function_name.ts";
import { pickle } from "../format/pickle.ts";
import { checkRecipeOptions, inTransaction, readShared, sleep } from "./_shared.ts";
import type { RecipeCache } from "../types.ts";

/**
 * The bucket stored under the key, as python-diskcache's throttle stores it:
 * `(seconds since the epoch of the last refill, tokens left)`; `undefined`
 * for any other value.
 */
function bucketOf(found: ReturnType<typeof readShared>): [number, number] | undefined {
  if (found === undefined || !("value" in found)) return undefined;
  const v = found.value;
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [last, tally] = v.map((x) => typeof x === "bigint" ? Number(x) : x);
  return Number.isFinite(last) && Number.isFinite(tally) ? [last as number, tally as number] : undefined;
}

/** Below this many milliseconds a period is refused: it is most likely seconds, the unit of 0.1.x. */
const SHORTEST_PERIOD = 10;

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
 * const call = throttle(cache, 1, 1000, () => "ok", options);
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
 * per `period` milliseconds; callers beyond that wait (without blocking the
 * event loop), never longer than `period` at a time. A clock that steps back
 * refills nothing and costs no extra wait; processes whose clocks disagree
 * by more than `period` may together exceed the rate (keep clocks in sync).
 *
 * The bucket lives under the key `name`, in python-diskcache's shape (a
 * tuple of the last refill's time in seconds and the tokens left), so a
 * Python `throttle(cache, count, seconds, name=...)` of the same name, count
 * and period shares it.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache The cache holding the bucket.
 * @param count Calls allowed per period.
 * @param period The period in milliseconds, as every duration of this
 * library (python-diskcache's takes seconds); at least 10, so that a period
 * still written in seconds (the unit of 0.1.x) is refused, not obeyed 1000
 * times too fast.
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
 * const ping = throttle(cache, 100, 1000, function ping() { calls++; }); // 100 calls a second
 * await ping();
 * await ping();
 * assert.equal(calls, 2);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export function throttle<A extends unknown[], R>(
  cache: RecipeCache,
  count: number,
  period: number,
  fn: (...args: A) => R,
  options: ThrottleOptions = {},
): (...args: A) => Promise<Awaited<R>> {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`Cannot throttle: "count" must be a positive integer: received ${describe(count)}`);
  if (typeof period !== "number" || !Number.isFinite(period) || !(period > 0)) {
    throw new RangeError(`Cannot throttle: "period" must be a positive number of milliseconds: received ${describe(period)}`);
  }
  if (period < SHORTEST_PERIOD) {
    throw new RangeError(
      `Cannot throttle: "period" is in milliseconds (it was seconds in 0.1.x) and must be at least ${SHORTEST_PERIOD}: received ${period}; for ${count} call(s) per ${period} s pass ${
        period * 1000
      }`,
    );
  }
  const seconds = period / 1000;
  const name = keyName("throttle", fn, options.name);
  checkRecipeOptions("throttle", options.ttl === undefined ? {} : { ttl: options.ttl });
  const key = name;
  const clock = options.clock ?? Date.now;
  const wait = options.sleep ?? sleep;
  const rate = count / seconds; // tokens per second
  const store = (c: { set(k: string, v: unknown, o: { ttl: number | undefined }): unknown }, bucket: [number, number]) =>
    c.set(key, pickle(bucket), { ttl: options.ttl });
  inTransaction(cache, key, (c) => {
    if (bucketOf(readShared(c, key)) === undefined) store(c, [clock() / 1000, count]);
  }, () => undefined);
  return async (...args: A): Promise<Awaited<R>> => {
    for (;;) {
      const delay = inTransaction(cache, key, (c) => {
        const now = clock() / 1000;
        const [last, tally] = bucketOf(readShared(c, key)) ?? [now, count];
        // A clock behind the stored time (another process's clock ahead, or
        // this one stepped back) refills nothing: elapsed time is never
        // negative. Behind by less than a period, the stored time stays, so a
        // lagging process never mints tokens ahead of the rate; behind by more,
        // the bucket starts again from this clock's now.
        const anchor = now >= last || last - now > seconds ? now : last;
        const tokens = Math.min(count, Math.max(0, tally) + Math.max(0, now - last) * rate);
        if (tokens >= 1) {
          store(c, [anchor, tokens - 1]);
          return 0;
        }
        store(c, [anchor, tokens]);
        return Math.min(period, ((1 - tokens) / rate) * 1000);
      }, () => 1); // a busy FanoutCache shard: try again in a moment
      if (delay === 0) break;
      await wait(delay);
    }
    return (await fn(...args)) as Awaited<R>;
  };
}
