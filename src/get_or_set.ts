/**
 * `getOrSet`: the stored value of one key, or else its value computed once
 * (across every process using the cache), stored and returned. lru-cache's
 * `fetch()` and cache-manager's `wrap()` for a cache shared by processes.
 *
 * @module
 */
import type { DiskCache } from "./disk_cache.ts";
import { checkTtl } from "./_arguments.ts";
import { describe } from "./errors.ts";
import { tagValue } from "./format/row_values.ts";
import { storedKey } from "./format/stored_key.ts";
import type { Key, Tag } from "./types.ts";

/**
 * Options of `getOrSet` ({@linkcode DiskCache.getOrSet}, `FanoutCache.getOrSet`).
 *
 * @example Cache a report for a minute, computed by one process at a time
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type GetOrSetOptions } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const options: GetOrSetOptions = { ttl: 60_000, tag: "reports", lease: 5_000, signal: AbortSignal.timeout(30_000) };
 * assert.equal(await cache.getOrSet("report", () => "42 rows", options), "42 rows");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface GetOrSetOptions {
  /** Milliseconds the computed value stays stored; omitted means until evicted. */
  ttl?: number | undefined;
  /** Tag stored with the computed value (see `evict`). */
  tag?: Tag | null | undefined;
  /**
   * Milliseconds the lease of the process computing the value lasts unless
   * renewed. The holder renews it every third of that while its `compute`
   * runs, so a long computation keeps it; a holder that died (killed,
   * crashed) stops renewing, and another caller takes over at most `lease`
   * milliseconds later. A synchronous `compute` that blocks the event loop
   * longer than `lease` cannot renew it: another process may then compute
   * too, as it may when the lease item is evicted (a cache culling under its
   * `sizeLimit`) or cleared.
   *
   * @default {10000}
   */
  lease?: number | undefined;
  /** Aborts waiting for another caller's computation (never a running `compute` of this caller). */
  signal?: AbortSignal | undefined;
}

/** How long a lease lasts by default. */
const LEASE = 10_000;
/** The longest pause between two looks at a key another caller computes. */
const MAX_PAUSE = 50;
/** The longest delay a timer takes (a longer one fires at once on Node). */
const MAX_TIMER = 2 ** 31 - 1;
/** Attempts at releasing a lease on a busy shard before it is left to expire. */
const RELEASE_ATTEMPTS = 20;

/** What one try at a key's lease gave: the value (stored or computed), or `LOST` (another caller holds the lease). */
type Turn<V> = { value: V } | typeof LOST;
/** The lease was someone else's: wait and look again. */
const LOST: unique symbol = Symbol("lost");

/**
 * Per cache instance: this process's current try at each key's lease (its
 * lease add, then its computation), by key, shared by its concurrent callers.
 */
const running = new WeakMap<object, Map<string, Promise<unknown>>>();

/** The key as a string equal exactly when the stored keys are equal. */
function keyId(key: Key): string {
  const stored = storedKey(key);
  const v = stored.key;
  if (v instanceof Uint8Array) {
    let out = `b${stored.raw}:`;
    for (const b of v) out += String.fromCharCode(b);
    return out;
  }
  return `${typeof v === "bigint" ? "number" : typeof v}${stored.raw}:${String(v)}`;
}

/** The key of the lease on `key`: kept apart from every key a caller would write. */
export function leaseKey(key: Key): Key {
  return ["\u0000diskcache getOrSet lease", key];
}

/**
 * Checks `getOrSet`'s arguments; returns the options with their defaults.
 */
function checkArguments(
  compute: unknown,
  options: GetOrSetOptions | undefined,
): { ttl: number | undefined; tag: Tag | null | undefined; lease: number; signal: AbortSignal | undefined } {
  if (typeof compute !== "function") {
    throw new TypeError(`Cannot getOrSet: "compute" must be a function returning the value (or a promise of it): received ${describe(compute)}`);
  }
  if (options === undefined) return { ttl: undefined, tag: undefined, lease: LEASE, signal: undefined };
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot getOrSet: options must be an object: received ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!["ttl", "tag", "lease", "signal"].includes(name)) {
      throw new TypeError(`Cannot getOrSet: unknown option ${JSON.stringify(name)}; expected "ttl", "tag", "lease" or "signal"`);
    }
  }
  const { tag, lease = LEASE, signal } = options;
  const ttl = checkTtl(options.ttl, "getOrSet");
  tagValue(tag); // checked now, not after compute ran
  if (typeof lease !== "number" || !Number.isFinite(lease) || !(lease > 0)) {
    throw new RangeError(`Cannot getOrSet: "lease" must be a positive number of milliseconds: received ${describe(lease)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot getOrSet: "signal" must be an AbortSignal: received ${describe(signal)}`);
  }
  return { ttl, tag, lease, signal };
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `promise`, or the signal's reason once it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * The value of `key` in `cache`, or else `compute()`'s, stored: the body of
 * `DiskCache.getOrSet` and `FanoutCache.getOrSet` (which passes the key's
 * shard and `busy`).
 *
 * One caller at a time computes a missing key: the one whose `add` of the
 * key's lease succeeds. Every write (that add, the store, the lease's
 * renewals and its release) waits for the write lock on timers
 * (`transactAsync`, `setAsync`), never blocking the thread. The others, in this process (sharing its promise) and
 * in others (looking again after 1, 2, 4 ... up to 50 ms), wait for the value
 * it stores, or for its lease to go (its `compute` threw, or it died and the
 * lease expired) and then try to take it themselves.
 *
 * @param cache The cache (a FanoutCache's shard holding `key`).
 * @param key The key.
 * @param compute Computes the value (sync or async).
 * @param options `ttl`, `tag`, `lease`, `signal`.
 * @param busy When given, what a shard's `Timeout` becomes: it is reported
 * to `busy` (which rethrows any other error), and the read counts as a
 * miss, the lease as taken by someone else, the store as not done (the
 * value is still returned).
 * @returns The stored or computed value.
 */
export async function getOrSet<V>(
  cache: DiskCache,
  key: Key,
  compute: () => V | PromiseLike<V>,
  options: GetOrSetOptions | undefined,
  busy?: (error: unknown) => void,
): Promise<Awaited<V>> {
  const { ttl, tag, lease, signal } = checkArguments(compute, options);
  const id = keyId(key); // also checks the key
  const lock = leaseKey(key);
  /** `fn()`, or `fallback` when the shard stays busy (with `busy`). */
  const attempt = <T>(fn: () => T, fallback: T): T => {
    if (busy === undefined) return fn();
    try {
      return fn();
    } catch (error) {
      busy(error);
      return fallback;
    }
  };
  /** `await fn()`, or `fallback` when the shard stays busy (with `busy`). */
  const attemptAsync = async <T>(fn: () => Promise<T>, fallback: T): Promise<T> => {
    if (busy === undefined) return await fn();
    try {
      return await fn();
    } catch (error) {
      busy(error);
      return fallback;
    }
  };
  const read = (): Awaited<V> | undefined => attempt(() => cache.get<Awaited<V>>(key), undefined);

  signal?.throwIfAborted();
  const hit = read();
  if (hit !== undefined) return hit;

  let mine = running.get(cache);
  if (mine === undefined) running.set(cache, mine = new Map());
  for (let wait = 1;; wait = Math.min(wait * 2, MAX_PAUSE)) {
    let turn = mine.get(id) as Promise<Turn<Awaited<V>>> | undefined;
    const shared = turn !== undefined;
    if (turn === undefined) {
      // Registered before the lease's add awaits the write lock: a caller of
      // this process arriving meanwhile shares this turn (its computation
      // and its error) rather than trying the lease itself.
      const token = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
      const own: Promise<Turn<Awaited<V>>> = take(token);
      turn = own;
      mine.set(id, own);
      void own.then(() => {}, () => {}).finally(() => {
        if (mine.get(id) === own) mine.delete(id);
      });
    }
    // `signal` stops waiting for another caller, never this caller's own computation.
    const outcome = shared ? await untilAborted(turn, signal) : await turn;
    if (outcome !== LOST) return outcome.value;
    await pause(wait, signal);
    const found = read();
    if (found !== undefined) return found;
  }

  /** One try at the lease: when it is taken, computes, stores, releases; `LOST` when someone else holds it. */
  async function take(token: string): Promise<Turn<Awaited<V>>> {
    // An add inside a transaction that waits for the write lock on timers: atomic, and never blocking the thread.
    const taken = await attemptAsync(() => cache.transactAsync(() => cache.add(lock, token, { ttl: lease })), false);
    if (!taken) return LOST;
    return { value: await hold(token) };
  }

  /** With the lease taken: computes, stores, releases. */
  async function hold(token: string): Promise<Awaited<V>> {
    const renewal = renewing(token);
    try {
      // Another caller may have stored the value between our miss and our lease.
      const stored = read();
      if (stored !== undefined) return stored;
      const value = await compute();
      if (value === undefined) {
        throw new TypeError(
          `Cannot getOrSet: compute() returned undefined, which cannot be stored (a missing key reads as undefined); ` +
            `return null (or another value) for "nothing", or throw to store nothing`,
        );
      }
      await attemptAsync(() => cache.setAsync(key, value, { ttl, tag }), false);
      return value;
    } finally {
      await renewal.stop();
      await release(token);
    }
  }

  /**
   * Renews our lease every third of `lease` while we compute, each renewal
   * waiting for the write lock on timers; the next one is scheduled once the
   * last settled, so renewals never pile up behind a held lock.
   */
  function renewing(token: string): { stop(): Promise<void> } {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    const schedule = (): void => {
      if (stopped) return;
      timer = setTimeout(() => {
        inFlight = cache.transactAsync(() => cache.get(lock) === token && cache.set(lock, token, { ttl: lease })).then(
          () => {},
          () => {}, // A busy or closed cache: the lease may run out, and another caller compute too.
        ).then(schedule);
      }, Math.min(Math.max(lease / 3, 1), MAX_TIMER));
      unref(timer);
    };
    schedule();
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        await inFlight;
      },
    };
  }

  /**
   * Removes our lease, if still ours. A shard that stays busy is tried again
   * (20 times); a failure is left to the lease's expiry (at most `lease` ms,
   * as it is no longer renewed) rather than hiding the caller's value or error.
   */
  async function release(token: string): Promise<void> {
    for (let i = 1; i <= RELEASE_ATTEMPTS; i++) {
      try {
        await cache.transactAsync(() => cache.get(lock) === token && cache.delete(lock));
        return;
      } catch (error) {
        if (busy === undefined) return;
        try {
          busy(error);
        } catch {
          return;
        }
      }
      await pause(Math.min(2 ** i, MAX_PAUSE), undefined);
    }
  }
}

/** A timer that never keeps a process alive (Node and Bun timers have unref(); Deno's are numbers). */
function unref(timer: unknown): void {
  // Deno's numeric timers: never on Node 24, the row that measures branch coverage (scripts/coverage.mjs).
  /* node:coverage ignore next */
  if (typeof timer === "number") (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(timer);
  else (timer as { unref?: () => void }).unref?.();
}
