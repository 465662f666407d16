/**
 * Cross-process locks on a cache key: {@linkcode Lock} and the re-entrant
 * {@linkcode RLock}. Waiting never blocks the event loop. Keep lock keys out
 * of eviction (a cache with policy `"none"`, or far under its size limit).
 *
 * @module
 */
import { DiskCacheError } from "../errors.ts";
import type { Key, RecipeCache, RecipeOptions, Tag } from "../types.ts";
import { pickle } from "../format/pickle.ts";
import { checkRecipeOptions, countOf, inTransaction, readShared, retry, token } from "./_shared.ts";

/**
 * A mutual-exclusion lock shared by every process using the cache: at most
 * one holder at a time. `ttl` frees the lock if its holder dies. It shares
 * python-diskcache's `Lock` of the same key: each excludes the other.
 *
 * @example Hold a lock with await using
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, Lock } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const lock = new Lock(cache, "report", { ttl: 60_000 });
 * {
 *   await using held = await lock.acquire();
 *   assert.equal(lock.locked(), true);
 * }
 * assert.equal(lock.locked(), false);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class Lock {
  #cache: RecipeCache;
  #key: Key;
  #ttl: number | undefined;
  #tag: Tag | undefined;
  #token = token();

  /**
   * A lock stored under `key` in `cache` (nothing is written until it is
   * acquired).
   *
   * @param cache The cache holding the lock.
   * @param key The lock's key.
   * @param options `ttl` (ms) guards against a holder that died; `tag`.
   */
  constructor(cache: RecipeCache, key: Key, options: RecipeOptions = {}) {
    ({ ttl: this.#ttl, tag: this.#tag } = checkRecipeOptions("Lock", options));
    this.#cache = cache;
    this.#key = key;
  }

  /** Takes the lock if it is free; `true` when taken. */
  tryAcquire(): boolean {
    return this.#cache.add(this.#key, this.#token, { ttl: this.#ttl, tag: this.#tag });
  }

  /**
   * Waits (without blocking the event loop) until the lock is taken.
   *
   * @param options `signal` aborts the wait.
   * @returns This lock, disposable with `await using`.
   */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<this> {
    await retry(() => this.tryAcquire(), options.signal, "acquire lock");
    return this;
  }

  /**
   * Releases the lock.
   *
   * @throws {DiskCacheError} When this instance does not hold it (never
   * taken, or its `ttl` ran out and another holder took it).
   */
  release(): void {
    // Another holder's value may be one this library cannot read (Python's Lock stores a pickled None).
    const released = inTransaction(this.#cache, this.#key, (c) => {
      const held = readShared(c, this.#key);
      return held !== undefined && "value" in held && held.value === this.#token && c.delete(this.#key);
    });
    if (!released) {
      throw new DiskCacheError("Cannot release lock: it is not held by this Lock (never acquired, or its ttl ran out)");
    }
  }

  /** Whether anyone holds the lock. */
  locked(): boolean {
    return this.#cache.has(this.#key);
  }

  /** Releases the lock at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/**
 * A re-entrant lock: the instance holding it may acquire it again, and must
 * release it as many times. Other instances, in this process or others,
 * wait. It stores python-diskcache's `RLock` value, `(holder, count)` as a
 * Python tuple, so each excludes the other on the same key.
 *
 * @example Re-enter a lock
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, RLock } from "@diskcache/diskcache";
 * using cache = new DiskCache(undefined, { evictionPolicy: "none" });
 * const lock = new RLock(cache, "rlock");
 * await lock.acquire();
 * await lock.acquire();
 * lock.release();
 * assert.equal(new RLock(cache, "rlock").tryAcquire(), false);
 * lock.release();
 * assert.equal(new RLock(cache, "rlock").tryAcquire(), true);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
// Fields and constructor as in Lock, kept apart on purpose (as python-diskcache does): a shared base class would
// put its protected state in the public API of both.
export class RLock {
  #cache: RecipeCache;
  #key: Key;
  #ttl: number | undefined;
  #tag: Tag | undefined;
  #token = token();

  /**
   * A re-entrant lock stored under `key` in `cache`; this instance is the
   * holder that may acquire it again.
   *
   * @param cache The cache holding the lock.
   * @param key The lock's key.
   * @param options `ttl` (ms) guards against a holder that died; `tag`.
   */
  constructor(cache: RecipeCache, key: Key, options: RecipeOptions = {}) {
    ({ ttl: this.#ttl, tag: this.#tag } = checkRecipeOptions("RLock", options));
    this.#cache = cache;
    this.#key = key;
  }

  /**
   * The holder and count stored under the key: `[null, 0]` when free
   * (python-diskcache's RLock leaves `(holder, 0)` behind), `undefined` when
   * the value is not an RLock's (held by someone this cannot read).
   */
  #held(c: { get(key: Key): unknown }): [unknown, number] | undefined {
    const found = readShared(c, this.#key);
    if (found === undefined) return [null, 0];
    if (!("value" in found) || !Array.isArray(found.value) || found.value.length !== 2) return undefined;
    const count = countOf(found.value[1]);
    return count === undefined ? undefined : [count > 0 ? found.value[0] : null, count];
  }

  /** Takes the lock (or one more level of it) if free or ours; `true` when taken. */
  tryAcquire(): boolean {
    return inTransaction(this.#cache, this.#key, (c) => {
      const held = this.#held(c);
      if (held === undefined || (held[1] > 0 && held[0] !== this.#token)) return false;
      c.set(this.#key, pickle([this.#token, held[1] + 1]), { ttl: this.#ttl, tag: this.#tag });
      return true;
    }, () => false);
  }

  /**
   * Waits until the lock is taken.
   *
   * @param options `signal` aborts the wait.
   * @returns This lock, disposable with `await using`.
   */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<this> {
    await retry(() => this.tryAcquire(), options.signal, "acquire rlock");
    return this;
  }

  /**
   * Releases one level of the lock.
   *
   * @throws {DiskCacheError} When this instance does not hold it.
   */
  release(): void {
    const ok = inTransaction(this.#cache, this.#key, (c) => {
      const held = this.#held(c);
      if (held === undefined || held[1] === 0 || held[0] !== this.#token) return false;
      if (held[1] > 1) c.set(this.#key, pickle([this.#token, held[1] - 1]), { ttl: this.#ttl, tag: this.#tag });
      else c.delete(this.#key);
      return true;
    });
    if (!ok) throw new DiskCacheError("Cannot release rlock: it is not held by this RLock (never acquired, or its ttl ran out)");
  }

  /** Whether anyone holds the lock (a value this cannot read counts as held). */
  locked(): boolean {
    return (this.#held(this.#cache)?.[1] ?? 1) > 0;
  }

  /** Releases one level at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}
