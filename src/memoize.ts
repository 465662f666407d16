/**
 * `memoize`: caches a function's results in any cache with `get` and `set`
 * (a {@linkcode DiskCache}, a `FanoutCache`), keyed by the function's name
 * and arguments through the canonical key encoding.
 *
 * @module
 */
import { describe } from "./errors.ts";
import { encodeStructured } from "./codec.ts";

/** The key as a string that is equal exactly when the stored keys are equal. */
function canonicalId(key: unknown): string {
  let out = "";
  for (const b of encodeStructured(key, "key", true)) out += String.fromCharCode(b);
  return out;
}

/** The part of a cache `memoize` needs. */
export interface MemoizeCache {
  /** Reads a value; `undefined` on a miss. */
  get(key: unknown): unknown;
  /** Stores a value. */
  set(key: unknown, value: unknown, options?: { ttl?: number | undefined; tag?: string | number | bigint | Uint8Array | null | undefined }): unknown;
}

/** Options of {@linkcode memoize}. */
export interface MemoizeOptions<A extends unknown[]> {
  /**
   * The first part of every key. Defaults to the function's name, which must
   * then be non-empty: two anonymous functions would share keys.
   */
  name?: string;
  /** Milliseconds a result stays cached; omitted means until evicted. */
  ttl?: number;
  /** Tag stored with each result (see `evict`). */
  tag?: string | number | bigint | Uint8Array;
  /**
   * Also key on each argument's type, so `f(1)` and `f(1n)` are cached apart.
   *
   * @default {false}
   */
  typed?: boolean;
  /** Positions of arguments left out of the key (e.g. a logger). */
  ignore?: readonly number[];
  /** Builds the key from the arguments instead (overrides `typed`/`ignore`). */
  key?: (...args: A) => unknown;
}

/** A memoized function, with the key it uses for given arguments. */
export type Memoized<A extends unknown[], R> = ((...args: A) => R) & {
  /** The cache key of a call with `args`. */
  cacheKey(...args: A): unknown[];
  /** The function that was memoized. */
  readonly original: (...args: A) => R;
};

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return Object.getPrototypeOf(v)?.constructor?.name ?? "Object";
}

/**
 * Wraps `fn` so results are served from `cache`. Results of `undefined` are
 * not cached. For a function that returns a promise, the resolved value is
 * stored (never the promise), rejections are not cached, and concurrent calls
 * with the same key in this process share one call of `fn`.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache Where results live.
 * @param fn The function.
 * @param options `name`, `ttl`, `tag`, `typed`, `ignore`, `key`.
 * @returns The memoized function with `cacheKey(...args)`.
 * @throws {TypeError} For a nameless function without `name`, or bad options.
 *
 * @example Memoize an async function
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskCache, memoize } from "../mod.ts";
 * using cache = new DiskCache();
 * let calls = 0;
 * const square = memoize(cache, async function square(n: number) {
 *   calls++;
 *   return n * n;
 * }, { ttl: 60_000 });
 * assert.equal(await square(4), 16);
 * assert.equal(await square(4), 16);
 * assert.equal(calls, 1);
 * ```
 */
export function memoize<A extends unknown[], R>(
  cache: MemoizeCache,
  fn: (...args: A) => R,
  options: MemoizeOptions<A> = {},
): Memoized<A, R> {
  if (typeof fn !== "function") throw new TypeError(`Cannot memoize: expected a function: received ${describe(fn)}`);
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot memoize: options must be an object: received ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!["name", "ttl", "tag", "typed", "ignore", "key"].includes(k)) {
      throw new TypeError(`Cannot memoize: unknown option ${JSON.stringify(k)}`);
    }
  }
  const name = options.name ?? fn.name;
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`Cannot memoize: the function has no name; pass options.name so its keys cannot collide with another function's`);
  }
  const ignore = new Set(options.ignore ?? []);
  const keyOf = options.key
    ? (...args: A): unknown[] => [name, options.key!(...args)]
    : (...args: A): unknown[] => {
      const kept = args.filter((_, i) => !ignore.has(i));
      return options.typed ? [name, ...kept, "\u0000types", ...kept.map(typeName)] : [name, ...kept];
    };
  const setOptions = { ttl: options.ttl, tag: options.tag };
  const pending = new Map<string, Promise<unknown>>();
  let isAsync = fn.constructor?.name === "AsyncFunction";

  const wrapped = function (this: unknown, ...args: A): R {
    const key = keyOf(...args);
    const found = cache.get(key);
    if (found !== undefined) return (isAsync ? Promise.resolve(found) : found) as R;
    if (isAsync) {
      // One computation per key in this process at a time.
      const id = canonicalId(key);
      const inFlight = pending.get(id);
      if (inFlight) return inFlight as R;
      const p = Promise.resolve(fn.apply(this, args)).then((value) => {
        if (value !== undefined) cache.set(key, value, setOptions);
        return value;
      }).finally(() => pending.delete(id));
      pending.set(id, p);
      return p as R;
    }
    const result = fn.apply(this, args);
    if (typeof (result as { then?: unknown })?.then === "function") {
      isAsync = true;
      return Promise.resolve(result).then((value) => {
        if (value !== undefined) cache.set(key, value, setOptions);
        return value;
      }) as R;
    }
    if (result !== undefined) cache.set(key, result, setOptions);
    return result;
  } as Memoized<A, R>;
  Object.defineProperty(wrapped, "name", { value: `memoized ${name}` });
  Object.defineProperty(wrapped, "original", { value: fn });
  wrapped.cacheKey = (...args: A) => keyOf(...args);
  return wrapped;
}
