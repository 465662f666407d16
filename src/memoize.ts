/**
 * `memoize`: caches a function's results in any cache with `get` and `set`
 * (a {@linkcode DiskCache}, a `FanoutCache`), keyed by the function's name
 * and arguments through the canonical key encoding.
 *
 * @module
 */
import { describe } from "./errors.ts";
import { encodeStructured } from "./format/codec.ts";
import { resultName } from "./function_name.ts";

/** The key as a string that is equal exactly when the stored keys are equal. */
function canonicalId(key: unknown): string {
  let out = "";
  for (const b of encodeStructured(key, "key", true)) out += String.fromCharCode(b);
  return out;
}

/**
 * The part of a cache `memoize` needs.
 *
 * @example Memoize into a plain Map
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoize, type MemoizeCache } from "@diskcache/diskcache";
 * const map = new Map<string, unknown>();
 * const inMemory: MemoizeCache = {
 *   get: (key) => map.get(JSON.stringify(key)),
 *   set: (key, value) => map.set(JSON.stringify(key), value),
 * };
 * const double = memoize(inMemory, function double(n: number) {
 *   return n * 2;
 * });
 * assert.equal(double(21), 42);
 * assert.equal(map.size, 1);
 * ```
 */
export interface MemoizeCache {
  /** Reads a value; `undefined` on a miss. */
  get(key: unknown): unknown;
  /** Stores a value. */
  set(key: unknown, value: unknown, options?: { ttl?: number | undefined; tag?: string | number | bigint | Uint8Array | null | undefined }): unknown;
}

/**
 * Options of {@linkcode memoize}.
 *
 * @example Name an arrow function, leave the logger out of the key
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, memoize, type MemoizeOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const options: MemoizeOptions<[string, { log(s: string): void }]> = { name: "greet", ttl: 60_000, ignore: [1] };
 * const greet = memoize(cache, (who: string, logger: { log(s: string): void }) => {
 *   logger.log(who);
 *   return `hello ${who}`;
 * }, options);
 * assert.equal(greet("Ada", console), "hello Ada");
 * assert.deepEqual(greet.cacheKey("Ada", console), ["greet", "Ada"]);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface MemoizeOptions<A extends unknown[]> {
  /**
   * The first part of every key: a name unique to this function among those
   * memoized in the cache. Omitted, it is `"<module>:<name>"`: the module
   * that called `memoize` (its path in its package, after the package's
   * name, without extension or leading `src/`/`dist/` folders:
   * `"my-app/users:load"`) and the function's own name, which only a
   * function declared with the `function` keyword under that name may use
   * (`function load() {}`, `async function load() {}`). Every other function
   * needs `name`, as its own name cannot tell it apart from others: methods
   * (`new Users().get` and `new Orders().get` are both "get"), arrow
   * functions and expressions named after their variable or property, bound,
   * `export default` and anonymous functions. Give a `name` also for keys
   * that must outlive moving the module, or be read by other programs.
   * Two functions claiming one name for one cache in one process throw.
   */
  name?: string;
  /** Milliseconds a result stays cached (a positive number); omitted means until evicted. */
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

/**
 * A memoized function, with the key it uses for given arguments.
 *
 * @example Forget one result
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, memoize, type Memoized } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const square: Memoized<[number], number> = memoize(cache, function square(n: number) {
 *   return n * n;
 * });
 * assert.equal(square(3), 9);
 * cache.delete(square.cacheKey(3));
 * assert.equal(square.original(4), 16);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
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
 * with the same key in this process share one call of `fn`. A result the
 * cache cannot store (e.g. a class instance the codec refuses, or a busy
 * cache) is still returned, uncached; the first such failure of each
 * memoized function is reported with `console.warn`.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache Where results live.
 * @param fn The function.
 * @param options `name`, `ttl`, `tag`, `typed`, `ignore`, `key`.
 * @returns The memoized function with `cacheKey(...args)`.
 * @throws {TypeError} Without `name`, for a function whose own name cannot
 * tell it apart from others (see {@linkcode MemoizeOptions.name}), when another
 * function is already memoized under the same name in this cache, or for bad options.
 * @throws {RangeError} For a `ttl` that is not a positive number.
 *
 * @example Memoize an async function
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, memoize } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * let calls = 0;
 * const square = memoize(cache, async function square(n: number) {
 *   calls++;
 *   return n * n;
 * }, { ttl: 60_000 });
 * assert.equal(await square(4), 16);
 * assert.equal(await square(4), 16);
 * assert.equal(calls, 1);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
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
  const { ttl, tag } = options;
  if (ttl !== undefined && (typeof ttl !== "number" || !(ttl > 0) || !Number.isFinite(ttl))) {
    throw new RangeError(`Cannot memoize: "ttl" must be a positive number of milliseconds: received ${describe(ttl)}`);
  }
  if (tag !== undefined && !["string", "number", "bigint"].includes(typeof tag) && !(tag instanceof Uint8Array)) {
    throw new TypeError(`Cannot memoize: "tag" must be a string, number, bigint or Uint8Array: received ${describe(tag)}`);
  }
  if (options.key !== undefined && typeof options.key !== "function") {
    throw new TypeError(`Cannot memoize: "key" must be a function: received ${describe(options.key)}`);
  }
  // Last, once every option is valid: a memoize() that throws claims no name.
  const name = resultName("memoize", fn, options.name, cache);
  const ignore = new Set(options.ignore ?? []);
  const keyOf = options.key ? (...args: A): unknown[] => [name, options.key!(...args)] : (...args: A): unknown[] => {
    const kept = args.filter((_, i) => !ignore.has(i));
    return options.typed ? [name, ...kept, "\u0000types", ...kept.map(typeName)] : [name, ...kept];
  };
  const setOptions = { ttl, tag };
  let warned = false;
  /** Stores a result; a failure leaves it uncached (reported once), never fails the call. */
  function store(key: unknown[], value: unknown): void {
    if (value === undefined) return;
    try {
      cache.set(key, value, setOptions);
    } catch (error) {
      if (warned) return;
      warned = true;
      // One line: the reason, not a stack trace of the library's insides.
      const reason = error instanceof Error ? error.message : String(error);
      console.warn(`memoize(${name}): a result could not be cached and was returned uncached (reported once per memoized function): ${reason}`);
    }
  }
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
        store(key, value);
        return value;
      }).finally(() => pending.delete(id));
      pending.set(id, p);
      return p as R;
    }
    const result = fn.apply(this, args);
    if (typeof (result as { then?: unknown })?.then === "function") {
      isAsync = true;
      return Promise.resolve(result).then((value) => {
        store(key, value);
        return value;
      }) as R;
    }
    store(key, result);
    return result;
  } as Memoized<A, R>;
  Object.defineProperty(wrapped, "name", { value: `memoized ${name}` });
  Object.defineProperty(wrapped, "original", { value: fn });
  wrapped.cacheKey = (...args: A) => keyOf(...args);
  return wrapped;
}
