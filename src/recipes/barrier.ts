/**
 * {@linkcode barrier}: runs a function under a cross-process lock.
 *
 * @module
 */
import { describe } from "../errors.ts";
import type { Key, RecipeCache, RecipeOptions } from "../types.ts";
import { keyName } from "../function_name.ts";

/**
 * Anything with the Lock/RLock/BoundedSemaphore shape.
 *
 * @example Locks and semaphores are LockLike
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { BoundedSemaphore, DiskCache, Lock, type LockLike } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const locks: LockLike[] = [new Lock(cache, "a"), new BoundedSemaphore(cache, "b", { value: 2 })];
 * for (const lock of locks) {
 *   await lock.acquire();
 *   lock.release();
 * }
 * assert.equal(cache.has("a"), false);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface LockLike {
  /** Waits until held. */
  acquire(): Promise<unknown>;
  /** Lets go. */
  release(): void;
}

/**
 * Wraps `fn` so each call runs while holding a lock made by `lockFactory`
 * (`(cache, key, options) => new Lock(...)`, `RLock`, `BoundedSemaphore`),
 * across every process using the cache. The lock's key is `name`, as in
 * python-diskcache's `barrier`: a Python barrier of the same name and kind
 * of lock excludes this one, and the reverse.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 * @param cache The cache holding the lock.
 * @param lockFactory Makes the lock for a key.
 * @param fn The function.
 * @param options `name` (the lock's key; default the function's own name,
 * which only a function declared with `function name() {}` may use), `ttl`, `tag`.
 * @returns The wrapped function (always async).
 *
 * @example One call at a time, across processes
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { barrier, DiskCache, Lock } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const report = barrier(cache, (c, k, o) => new Lock(c, k, o), async function report() {
 *   return "done";
 * });
 * assert.equal(await report(), "done");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export function barrier<A extends unknown[], R>(
  cache: RecipeCache,
  lockFactory: (cache: RecipeCache, key: Key, options: RecipeOptions) => LockLike,
  fn: (...args: A) => R,
  options: RecipeOptions & { name?: string } = {},
): (...args: A) => Promise<Awaited<R>> {
  if (typeof lockFactory !== "function") {
    throw new TypeError(`Cannot create barrier: "lockFactory" must be a function: received ${describe(lockFactory)}`);
  }
  const name = keyName("create barrier", fn, options.name);
  const { name: _, ...lockOptions } = options;
  return async (...args: A): Promise<Awaited<R>> => {
    // A lock per call: a shared RLock instance would let concurrent calls of
    // this process in together.
    const lock = lockFactory(cache, name, lockOptions);
    await lock.acquire();
    try {
      return (await fn(...args)) as Awaited<R>;
    } finally {
      lock.release();
    }
  };
}
