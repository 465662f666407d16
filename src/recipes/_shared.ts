/**
 * What the recipes share: the slice of the DiskCache API they use, a sleep,
 * tokens that identify a holder, and option checks.
 *
 * @module
 */
import { describe, Timeout } from "../errors.ts";
import { Pickled, unpickle } from "../format/pickle.ts";
import { UnreadableValue } from "../format/row_values.ts";
import type { Key, RecipeCache, RecipeOptions, RecipeStore, Tag } from "../types.ts";

/** How many times a busy shard is tried before its Timeout is thrown (each try waits the shard's `timeout`). */
const SHARD_ATTEMPTS = 100;

/**
 * Runs `fn` in one write transaction of the cache or shard holding `key`,
 * handing it that cache. A shard of a `FanoutCache` waits only its short
 * `timeout` for the lock: when it stays busy before `fn` started, the answer
 * is `busy()` if given (a try that may fail, e.g. `tryAcquire`), or else the
 * transaction is tried again, up to 100 times, before the Timeout is thrown
 * (a write that must not be lost, e.g. `release`). A plain cache already
 * waited its own `timeout`: its Timeout is thrown at once.
 */
export function inTransaction<T>(cache: RecipeCache, key: Key, fn: (store: RecipeStore) => T, busy?: () => T): T {
  if (!("shardOf" in cache)) return cache.transact(() => fn(cache));
  const store = cache.shardOf(key);
  for (let attempt = 1;; attempt++) {
    let started = false;
    try {
      return store.transact(() => {
        started = true;
        return fn(store);
      });
    } catch (error) {
      if (started || !(error instanceof Timeout)) throw error;
      if (busy) return busy();
      if (attempt >= SHARD_ATTEMPTS) throw error;
    }
  }
}

/** Resolves after `ms` milliseconds, without blocking the event loop. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A token no other holder in any process has. */
export function token(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(12)); // not node:crypto: see format/value_files.ts
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Checks the `ttl`/`tag` options of a recipe. */
export function checkRecipeOptions(what: string, options: RecipeOptions): { ttl: number | undefined; tag: Tag | undefined } {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create ${what}: options must be an object: received ${describe(options)}`);
  }
  const { ttl, tag } = options;
  if (ttl !== undefined && (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0)) {
    throw new RangeError(`Cannot create ${what}: "ttl" must be a positive number of milliseconds: received ${describe(ttl)}`);
  }
  return { ttl, tag };
}

/** Waits with a growing pause (1 ms doubling to 20 ms) until `attempt` succeeds. */
export async function retry(attempt: () => boolean, signal: AbortSignal | undefined, what: string): Promise<void> {
  let pause = 1;
  while (!attempt()) {
    if (signal?.aborted) {
      throw new DOMException(`Cannot ${what}: aborted while waiting`, "AbortError");
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 20);
  }
}

/**
 * What a recipe finds under `key`: `{ value }` for a value `get()` reads, or
 * a pickle python-diskcache's recipes wrote that {@linkcode unpickle} reads
 * (tuples come as arrays); `{ unreadable: true }` for any other value (a
 * pickled object, a foreign mode); `undefined` when there is no item.
 */
export function readShared(store: { get(key: Key): unknown }, key: Key): { value: unknown } | { unreadable: true } | undefined {
  let value: unknown;
  try {
    value = store.get(key);
  } catch (error) {
    if (!(error instanceof UnreadableValue)) throw error;
    const decoded = error.pickle === undefined ? undefined : unpickle(error.pickle);
    return decoded === undefined ? { unreadable: true } : { value: decoded };
  }
  if (value === undefined) return undefined;
  if (value instanceof Pickled) { // a RecipeStore of one's own (over a Map) hands back what set() was given
    const decoded = unpickle(value.bytes);
    return decoded === undefined ? { unreadable: true } : { value: decoded };
  }
  return { value };
}

/** The count of an integer a recipe stored (a number or a bigint), or `undefined` for any other value. */
export function countOf(v: unknown): number | undefined {
  if (typeof v === "bigint") return Number(v);
  return Number.isInteger(v) ? v as number : undefined;
}
