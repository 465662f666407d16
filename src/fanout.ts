/**
 * `FanoutCache`: a cache split over shards, each a {@linkcode DiskCache} in
 * its own subdirectory (`000`, `001`, ...) with its own write lock, so
 * concurrent writers rarely wait for each other. Keys go to the shard
 * python-diskcache's FanoutCache would choose.
 *
 * @module
 */
import { join } from "node:path";
import { DiskCache, type DiskCacheOptions } from "./disk_cache.ts";
import { type AtExit, removeAtExit, removeTemporary, runAtExit } from "./engine/engine.ts";
import { memorySettings } from "./ops/memory_tier.ts";
import { Deque } from "./deque.ts";
import { describe, DiskCacheError, Timeout } from "./errors.ts";
import { fields, inspectable, refuseAfterClose } from "./_closed.ts";
import { compareKeys, storedKeyOrder } from "./format/key_order.ts";
import { memoize, type Memoized, type MemoizeOptions } from "./memoize.ts";
import { getOrSet, type GetOrSetOptions } from "./get_or_set.ts";
import { Index } from "./index.ts";
import { DEFAULT_SETTINGS, type DiskCacheSettings } from "./settings.ts";
import { type Busy, type Route, type RoutedTo, ROUTES } from "./_fanout_routes.ts";
import { shardHashes } from "./format/hash.ts";
import type { CacheStats, CheckWarning, Entry, IterateOptions, Key, RemoveOptions, SetOptions, Tag } from "./types.ts";
import type { EvictionPolicy } from "./eviction.ts";
import { checkRemove } from "./_arguments.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { existsSync, mkdtempSync, readdirSync } = globalThis.process.getBuiltinModule("node:fs");
/** node:os, loaded on the first call: Node loads the module for `getBuiltinModule` (issue 25). */
const tmpdir = (): string => globalThis.process.getBuiltinModule("node:os").tmpdir();

/**
 * Options of {@linkcode FanoutCache}.
 *
 * @example Four shards sharing 256 MiB
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { FanoutCache, type FanoutCacheOptions } from "@diskcache/diskcache";
 * const options: FanoutCacheOptions = { shards: 4, sizeLimit: 2 ** 28, timeout: 50 };
 * using cache = new FanoutCache(undefined, options);
 * assert.equal(cache.shardCount, 4);
 * assert.equal(cache.sizeLimit, 2 ** 28);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface FanoutCacheOptions extends DiskCacheOptions {
  /**
   * Number of shards. Every process must use the same number for a
   * directory (it is not stored, as in python-diskcache).
   *
   * @default {8}
   */
  shards?: number;
}

/**
 * What {@linkcode FanoutCache.stats} reports: the shards' sums, plus timeouts.
 *
 * @example Read the sums
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { FanoutCache, type FanoutStats } from "@diskcache/diskcache";
 * using cache = new FanoutCache(undefined, { shards: 2, statistics: true });
 * cache.set("a", 1);
 * cache.get("a");
 * const stats: FanoutStats = cache.stats();
 * assert.deepEqual([stats.hits, stats.count, stats.timeouts], [1, 1, 0]);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface FanoutStats extends CacheStats {
  /** Operations that met a shard locked past `timeout` and degraded (a miss, `false`, `undefined`). */
  timeouts: number;
}

/** The key-routed methods that look in every shard a key may live in (see `FanoutCache.shardOf`). */
const LOOK_EVERYWHERE: ReadonlySet<RoutedTo<"key">> = new Set(["get", "getEntry", "has", "getStream", "getFile", "pop", "delete", "deleteAsync"]);

/** How many shards `directory` holds (highest `NNN/cache.db` + 1) when some lie at or past `shards`; 0 otherwise. */
function shardsBeyond(directory: string, shards: number): number {
  let found = 0;
  let names: string[] = [];
  try {
    names = readdirSync(directory);
  } catch { /* no directory yet: it will be created */ }
  for (const name of names) {
    if (/^\d{3}$/.test(name) && Number(name) >= shards && existsSync(join(directory, name, "cache.db"))) {
      found = Math.max(found, Number(name) + 1);
    }
  }
  return found;
}

/** The error for a directory made with `found` shards and opened with `shards`. */
function wrongShardCount(directory: string, shards: number, found: number): DiskCacheError {
  return new DiskCacheError(
    `Cannot open FanoutCache: ${directory} holds ${found} shards but "shards" is ${shards}, so stored keys would route to other shards and look missing; open it with { shards: ${found} } (python-diskcache's default is 8)`,
  );
}

/** Opens one shard, retrying for up to 60 s (python-diskcache's retry) while another process holds its write lock. */
function openShard(dir: string, options: DiskCacheOptions): DiskCache {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return new DiskCache(dir, options);
    } catch (error) {
      if (!(error instanceof Timeout) || Date.now() >= deadline) throw error;
    }
  }
}

/**
 * A sharded cache. Same methods as {@linkcode DiskCache} where they make
 * sense across shards, with one difference: a shard locked for longer than
 * `timeout` (default 10 ms) does not throw; the operation degrades instead
 * (`get` misses, `set`/`add`/`delete`/`touch` return `false`,
 * `incr`/`decr`/`pop` return `undefined`), and the degradation is counted in
 * `stats().timeouts`. Bulk removals (`expire`, `evict`, `cull`, `clear`)
 * retry a busy shard up to 100 times, then throw `Timeout` with `removed`.
 * Settings changes (`updateSettings`, `createTagIndex`, `dropTagIndex`,
 * `stats({ reset, enable })`) apply to every shard or to none: they lock
 * every shard first, and a shard busy past `timeout` throws `Timeout` with
 * nothing changed. Opening retries a busy shard for up to 60 s, as
 * python-diskcache does. There is no cross-shard `transact`: use
 * {@linkcode FanoutCache.cache} for a sub-cache that has one.
 *
 * `sizeLimit` is the total, split evenly: each shard holds `sizeLimit /
 * shards` bytes, and one value must fit in its key's shard (a larger one is
 * refused with a `RangeError` that names the share).
 *
 * @example Share a cache between many writers
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { FanoutCache } from "@diskcache/diskcache";
 * using cache = new FanoutCache(undefined, { shards: 4, sizeLimit: 2 ** 30 });
 * cache.set("a", 1);
 * assert.equal(cache.get("a"), 1);
 * assert.equal(cache.shardCount, 4);
 * assert.equal(cache.stats().timeouts, 0);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class FanoutCache {
  #directory: string;
  #shards: DiskCache[];
  #options: DiskCacheOptions;
  #timeouts = 0;
  #closed = false;
  /** Opened without a directory: the temporary one made for it is removed at close (or the process's exit). */
  #temporary: boolean;
  #exitDone: () => void = () => {};
  /** What runs at exit for a temporary cache: held here, as the exit list holds it weakly. */
  #atExit: AtExit | undefined;
  #named = new Map<string, DiskCache | Deque | Index>();

  /**
   * Opens (creating if needed) a sharded cache in `directory`.
   *
   * @param directory Where it lives; omitted means a fresh temporary directory.
   * @param options `shards`, `timeout` (default 10 ms) and the DiskCache
   * options; `sizeLimit` is the total, divided evenly over the shards.
   * @throws {Timeout} when a shard that must write settings on open (a new
   * `sizeLimit`, `statistics: true`, a directory python-diskcache made)
   * stays locked by another process for 60 s; the shards opened before it
   * are closed again (the settings they wrote stay).
   */
  constructor(directory?: string, options: FanoutCacheOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot open FanoutCache: "options" must be an object: received ${describe(options)}`);
    }
    const { shards = 8, ...rest } = options;
    if (!Number.isSafeInteger(shards) || shards < 1 || shards > 1000) {
      throw new RangeError(`Cannot open FanoutCache: "shards" must be an integer from 1 to 1000: received ${describe(shards)}`);
    }
    if (directory !== undefined && (typeof directory !== "string" || directory.length === 0)) {
      throw new TypeError(`Cannot open FanoutCache: "directory" must be a non-empty string path: received ${describe(directory)}`);
    }
    this.#temporary = directory === undefined;
    this.#directory = directory ?? mkdtempSync(join(tmpdir(), "diskcache-"));
    this.#options = { ...rest, timeout: rest.timeout ?? 10 };
    // A given total is split evenly; otherwise each shard keeps what it has
    // stored (or the default share of python-diskcache's 1 GiB on creation).
    const fresh = rest.readonly ? {} : { sizeLimit: Math.floor(DEFAULT_SETTINGS.sizeLimit / shards) };
    const sizeLimit = rest.sizeLimit === undefined ? undefined : Math.floor(rest.sizeLimit / shards);
    // The memory tier's bound is the total too: each shard keeps its share.
    const tier = memorySettings(rest.memory);
    const memory = tier === undefined ? {} : { memory: { ...tier, maxBytes: Math.max(1, Math.floor(tier.maxBytes / shards)) } };
    this.#shards = [];
    if (existsSync(join(this.#directory, "cache.db"))) {
      throw new DiskCacheError(
        `Cannot open FanoutCache: ${this.#directory} holds a DiskCache (cache.db), whose items no shard would see; open it with new DiskCache(directory), or give this FanoutCache a directory of its own`,
      );
    }
    const beyond = shardsBeyond(this.#directory, shards);
    if (beyond > 0) throw wrongShardCount(this.#directory, shards, beyond);
    try {
      for (let i = 0; i < shards; i++) {
        const dir = join(this.#directory, String(i).padStart(3, "0"));
        const isNew = !existsSync(join(dir, "cache.db"));
        // More shards than the directory holds would route stored keys
        // elsewhere; a half-created directory (its shards all empty) is fine.
        if (isNew && i > 0 && this.#shards.some((shard) => shard.length > 0)) {
          throw wrongShardCount(this.#directory, shards, i);
        }
        const own = sizeLimit !== undefined ? { sizeLimit } : isNew ? fresh : {};
        this.#shards.push(openShard(dir, { ...this.#options, ...own, ...memory }));
      }
    } catch (error) {
      for (const shard of this.#shards) shard.close();
      if (this.#temporary) removeTemporary(this.#directory);
      throw error;
    }
    if (this.#temporary) {
      // Its shards closed first, then the directory (held by path too, for a cache dropped unclosed).
      this.#atExit = { atExit: () => this.close() };
      const closeDone = runAtExit(this.#atExit), removeDone = removeAtExit(this.#directory);
      this.#exitDone = () => {
        closeDone();
        removeDone();
      };
    }
  }

  /** The directory holding the shards. */
  get directory(): string {
    return this.#directory;
  }
  /** Whether {@linkcode FanoutCache.close} was called: its methods then throw a `DiskCacheError` naming the call. */
  get closed(): boolean {
    return this.#closed;
  }
  /** Number of shards. */
  get shardCount(): number {
    return this.#shards.length;
  }
  /** The shards, in order (for maintenance and tests). */
  get shards(): readonly DiskCache[] {
    return this.#shards;
  }
  /** Milliseconds a shard may stay locked before an operation degrades. */
  get timeout(): number {
    return this.#shards[0]!.timeout;
  }
  /** See {@linkcode DiskCache.now}: the time on the clock expiry reads (the `clock` option, else `Date.now()`). */
  get now(): number {
    return this.#shards[0]!.now;
  }
  // The settings every shard shares (updateSettings changes all or none) are read from the first.
  /** See {@linkcode DiskCache.driverName}. */
  get driverName(): string {
    return this.#shards[0]!.driverName;
  }
  /** The total size limit (the sum of the shards'). */
  get sizeLimit(): number {
    return this.#shards.reduce((n, s) => n + s.sizeLimit, 0);
  }
  /** Most items one write culls (from its key's shard). */
  get cullLimit(): number {
    return this.#shards[0]!.cullLimit;
  }
  /** The eviction policy (of every shard). */
  get evictionPolicy(): EvictionPolicy {
    return this.#shards[0]!.evictionPolicy;
  }
  /** Whether hits and misses are counted. */
  get statistics(): boolean {
    return this.#shards[0]!.statistics;
  }
  /** Whether the tag index exists. */
  get tagIndex(): boolean {
    return this.#shards[0]!.tagIndex;
  }
  /** Values of at least this many bytes (characters for strings) go to files. */
  get minFileSize(): number {
    return this.#shards[0]!.minFileSize;
  }
  /** The settings in force: the first shard's, with `sizeLimit` the total. */
  get settings(): Readonly<DiskCacheSettings> {
    return { ...this.#shards[0]!.settings, sizeLimit: this.sizeLimit };
  }
  /** Items in all shards (expired ones included until culled). */
  get length(): number {
    return this.#shards.reduce((n, s) => n + s.length, 0);
  }

  /**
   * The shard that holds `key` (where a write of `key` goes): the shard
   * python-diskcache's FanoutCache gives the key, except for an integral
   * number that Python stored as an equal float (`100.0`, `-0.0`) in that
   * float's shard, which is where it then lives.
   */
  shardOf(key: Key): DiskCache {
    const [own, ...others] = this.#places(key);
    if (others.length === 0) return own!;
    const elsewhere = others.find((s) => s.has(key));
    return elsewhere === undefined || own!.has(key) ? own! : elsewhere;
  }

  /**
   * The shards `key` may live in, its own first: for an integral number also
   * the shards of the equal floats (see {@linkcode shardHashes}).
   */
  #places(key: Key): DiskCache[] {
    const out: DiskCache[] = [];
    for (const h of shardHashes(key)) {
      const shard = this.#shards[h % this.#shards.length]!;
      if (!out.includes(shard)) out.push(shard);
    }
    return out;
  }

  #degrade<T>(fallback: T, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      return this.#busy(error, fallback);
    }
  }

  /**
   * Runs method `name` on the shard of `key` (through `call`). When that
   * shard stays locked past `timeout`, returns (or, for an `async` row,
   * resolves to) what the method's row in {@linkcode ROUTES} says a busy
   * shard gives, and counts it: every key-routed method degrades the same
   * way, because none picks its own fallback. An `async` row's other errors,
   * even one thrown before the shard is reached (a key that cannot be
   * hashed), reject the promise, as they do from the DiskCache method.
   */
  #onShard<N extends RoutedTo<"key">, T>(name: N, key: Key, call: (shard: DiskCache) => Promise<T>): Promise<T | Busy<N>>;
  #onShard<N extends RoutedTo<"key">, R>(name: N, key: Key, call: (shard: DiskCache) => R): R | Busy<N>;
  #onShard<N extends RoutedTo<"key">>(name: N, key: Key, call: (shard: DiskCache) => unknown): unknown {
    const route: Route = ROUTES[name];
    const busy: Busy<N> = ROUTES[name].busy;
    // A read or removal also tries the other shards an integral number may
    // live in (Python's equal float, see shardOf), those that hold it: a read
    // until one answers, a delete on all; any other method goes to the one
    // shard that holds the key.
    const everywhere = LOOK_EVERYWHERE.has(name);
    const elsewhere = (where: DiskCache[]) => where.slice(1).filter((s) => this.#degrade(false, () => s.has(key)));
    const removes = name === "delete" || name === "deleteAsync";
    const combine = (results: unknown[]) => removes ? results.includes(true) : results.some((r) => r !== busy) ? results.find((r) => r !== busy) : busy; // a found null is a value
    if (route.to === "key" && route.async) {
      return (async () => {
        try {
          if (!everywhere) return await call(this.shardOf(key));
          const where = this.#places(key);
          const results = [await call(where[0]!)];
          if (removes || results[0] === busy) { for (const s of elsewhere(where)) results.push(await call(s)); }
          return combine(results);
        } catch (error) {
          return this.#busy(error, busy);
        }
      })();
    }
    const one = (s: DiskCache) => {
      try {
        return call(s);
      } catch (error) {
        return this.#busy(error, busy);
      }
    };
    if (!everywhere) return one(this.shardOf(key));
    const where = this.#places(key);
    const results = [one(where[0]!)];
    if (removes || results[0] === busy) { for (const s of elsewhere(where)) results.push(one(s)); }
    return combine(results);
  }

  /** `fallback` (counted) when `error` is a busy shard's Timeout; otherwise rethrows it. */
  #busy<T>(error: unknown, fallback: T): T {
    if (error instanceof RangeError && /\bsizeLimit of \d+ bytes/.test(error.message)) {
      const n = this.#shards.length;
      throw new RangeError(
        `${error.message} (a FanoutCache splits sizeLimit evenly: each of its ${n} shards holds ${
          this.#shards[0]!.sizeLimit
        } bytes of the total ${this.sizeLimit}, and a value must fit in its key's shard)`,
        { cause: error },
      );
    }
    if (!(error instanceof Timeout)) throw error;
    this.#timeouts++;
    return fallback;
  }

  /** See {@linkcode DiskCache.set}; `false` when the shard stayed busy. */
  set(key: Key, value: unknown, options?: SetOptions): boolean {
    return this.#onShard("set", key, (s) => s.set(key, value, options));
  }
  /** See {@linkcode DiskCache.get}; a miss when the shard stayed busy. */
  get<V = unknown>(key: Key): V | undefined {
    return this.#onShard("get", key, (s) => s.get<V>(key));
  }
  /** See {@linkcode DiskCache.getEntry}; `undefined` when the shard stayed busy. */
  getEntry<V = unknown>(key: Key): Entry<V> | undefined {
    return this.#onShard("getEntry", key, (s) => s.getEntry<V>(key));
  }
  /** See {@linkcode DiskCache.has}; `false` when the shard stayed busy. */
  has(key: Key): boolean {
    return this.#onShard("has", key, (s) => s.has(key));
  }
  /** See {@linkcode DiskCache.delete}; `false` when the shard stayed busy. */
  delete(key: Key): boolean {
    return this.#onShard("delete", key, (s) => s.delete(key));
  }
  /** See {@linkcode DiskCache.add}; `false` when the shard stayed busy. */
  add(key: Key, value: unknown, options?: SetOptions): boolean {
    return this.#onShard("add", key, (s) => s.add(key, value, options));
  }
  /** See {@linkcode DiskCache.incr} (a number, or a bigint when `delta` or `initial` is one); `undefined` when the shard stayed busy. */
  incr(key: Key, delta?: number, initial?: number): number | undefined;
  /** See {@linkcode DiskCache.incr}: a bigint `delta` gives a bigint; `undefined` when the shard stayed busy. */
  incr(key: Key, delta: bigint, initial?: number | bigint): bigint | undefined;
  /** See {@linkcode DiskCache.incr}: a bigint `initial` gives a bigint; `undefined` when the shard stayed busy. */
  incr(key: Key, delta: number | bigint, initial: bigint): bigint | undefined;
  /** See {@linkcode DiskCache.incr}; `undefined` when the shard stayed busy. */
  incr(key: Key, delta?: number | bigint, initial?: number | bigint): number | bigint | undefined;
  incr(key: Key, delta: number | bigint = 1, initial: number | bigint = 0): number | bigint | undefined {
    return this.#onShard("incr", key, (s) => s.incr(key, delta, initial));
  }
  /** See {@linkcode DiskCache.decr} (a number, or a bigint when `delta` or `initial` is one); `undefined` when the shard stayed busy. */
  // The overloads of incr again: TypeScript cannot share an overload list between two methods.
  decr(key: Key, delta?: number, initial?: number): number | undefined;
  /** See {@linkcode DiskCache.decr}: a bigint `delta` gives a bigint; `undefined` when the shard stayed busy. */
  decr(key: Key, delta: bigint, initial?: number | bigint): bigint | undefined;
  /** See {@linkcode DiskCache.decr}: a bigint `initial` gives a bigint; `undefined` when the shard stayed busy. */
  decr(key: Key, delta: number | bigint, initial: bigint): bigint | undefined;
  /** See {@linkcode DiskCache.decr}; `undefined` when the shard stayed busy. */
  decr(key: Key, delta?: number | bigint, initial?: number | bigint): number | bigint | undefined;
  decr(key: Key, delta: number | bigint = 1, initial: number | bigint = 0): number | bigint | undefined {
    return this.#onShard("decr", key, (s) => s.decr(key, delta, initial));
  }
  /** See {@linkcode DiskCache.pop}; `undefined` when the shard stayed busy. */
  pop<V = unknown>(key: Key): V | undefined {
    return this.#onShard("pop", key, (s) => s.pop<V>(key));
  }
  /** See {@linkcode DiskCache.touch}; `false` when the shard stayed busy. */
  touch(key: Key, ttl?: number): boolean {
    return this.#onShard("touch", key, (s) => s.touch(key, ttl));
  }
  /** See {@linkcode DiskCache.setStream}; `false` when the shard stayed busy. */
  setStream(key: Key, stream: ReadableStream<Uint8Array>, options?: SetOptions): Promise<boolean> {
    return this.#onShard("setStream", key, (s) => s.setStream(key, stream, options));
  }
  /** See {@linkcode DiskCache.setFile}; `false` when the shard stayed busy. */
  setFile(key: Key, source: string, options?: SetOptions): Promise<boolean> {
    return this.#onShard("setFile", key, (s) => s.setFile(key, source, options));
  }

  /** See {@linkcode DiskCache.setAsync} (waits for the lock on timers); `false` when the shard stayed busy. */
  setAsync(key: Key, value: unknown, options?: SetOptions): Promise<boolean> {
    return this.#onShard("setAsync", key, (s) => s.setAsync(key, value, options));
  }

  /** See {@linkcode DiskCache.deleteAsync} (waits for the lock on timers); `false` when the shard stayed busy. */
  deleteAsync(key: Key): Promise<boolean> {
    return this.#onShard("deleteAsync", key, (s) => s.deleteAsync(key));
  }

  /** See {@linkcode DiskCache.getFile}; `false` when the shard stayed busy. */
  getFile(key: Key, destination: string): Promise<boolean> {
    return this.#onShard("getFile", key, (s) => s.getFile(key, destination));
  }

  /** See {@linkcode DiskCache.getStream}; `undefined` when the shard stayed busy. */
  getStream(key: Key): ReadableStream<Uint8Array> | undefined {
    return this.#onShard("getStream", key, (s) => s.getStream(key));
  }

  /** `items` grouped by the shard holding each key (every shard it may live in, for `deleteMany`). */
  #byShard<T>(items: Iterable<T>, keyOf: (item: T) => Key, everywhere: boolean): Map<DiskCache, { item: T; at: number }[]> {
    const groups = new Map<DiskCache, { item: T; at: number }[]>();
    let at = 0;
    for (const item of items) {
      for (const shard of everywhere ? this.#places(keyOf(item)) : [this.shardOf(keyOf(item))]) {
        let group = groups.get(shard);
        if (!group) groups.set(shard, group = []);
        group.push({ item, at });
      }
      at++;
    }
    return groups;
  }

  /**
   * Runs method `name` once per shard, on the part of `items` that shard
   * holds. A shard that stays busy gives what the method's row in
   * {@linkcode ROUTES} says (counted), so its part degrades as one item would.
   *
   * @returns Per shard: the positions in `items` of its part, and its result.
   */
  #perShard<N extends RoutedTo<"keys">, T, R>(
    name: N,
    items: Iterable<T>,
    keyOf: (item: T) => Key,
    call: (shard: DiskCache, part: T[]) => R,
  ): { at: number[]; result: R | Busy<N> }[] {
    const busy: Busy<N> = ROUTES[name].busy;
    return [...this.#byShard(items, keyOf, name === "deleteMany")].map(([shard, group]) => ({
      at: group.map((g) => g.at),
      result: this.#degrade<R | Busy<N>>(busy, () => call(shard, group.map((g) => g.item))),
    }));
  }

  /** See {@linkcode DiskCache.getMany}; one snapshot per shard (a busy shard's keys miss). */
  getMany<V = unknown>(keys: Iterable<Key>): (V | undefined)[] {
    const out: (V | undefined)[] = [];
    for (const { at, result } of this.#perShard("getMany", keys, (k) => k, (s, part) => s.getMany<V>(part))) {
      at.forEach((i, j) => (out[i] = result?.[j]));
    }
    return out;
  }
  /**
   * Stores many items, one transaction per shard (not atomic across shards).
   *
   * @returns How many were stored (items of a shard that stayed busy are not).
   */
  setMany(entries: Iterable<readonly [Key, unknown]>, options?: SetOptions): number {
    const parts = this.#perShard("setMany", entries, (e) => e[0], (s, part) => s.setMany(part, options));
    return parts.reduce((n, { result }) => n + result, 0);
  }
  /** See {@linkcode DiskCache.deleteMany}; one transaction per shard (a busy shard's keys are not deleted). */
  deleteMany(keys: Iterable<Key>): number {
    const parts = this.#perShard("deleteMany", keys, (k) => k, (s, part) => s.deleteMany(part));
    return parts.reduce((n, { result }) => n + result, 0);
  }

  /**
   * Runs a bulk removal on every shard, at most `limit` items in all (each
   * shard is given what is left of it), retrying a busy shard (each attempt
   * already waits `timeout`), up to 100 attempts per shard: then the Timeout
   * is thrown with the total removed so far. python-diskcache retries
   * forever, which in JavaScript would hang a process whose own code holds
   * the lock.
   */
  #everyShard(limit: number, fn: (shard: DiskCache, options: RemoveOptions | undefined) => number): number {
    let total = 0;
    for (const [i, shard] of this.#shards.entries()) {
      // The first shard is always asked, so that its argument checks run even for { limit: 0 }.
      if (i > 0 && total >= limit) return total;
      for (let attempt = 1;; attempt++) {
        try {
          total += fn(shard, limit === Infinity ? undefined : { limit: limit - total });
          break;
        } catch (error) {
          if (!(error instanceof Timeout)) throw error;
          this.#timeouts++;
          total += error.removed ?? 0;
          if (attempt >= 100) {
            error.removed = total;
            throw error;
          }
        }
      }
    }
    return total;
  }

  /** See {@linkcode DiskCache.expire}; `limit` counts over all shards. */
  expire(now?: number, options?: RemoveOptions): number {
    return this.#everyShard(checkRemove(options, "expire"), (s, o) => s.expire(now, o));
  }
  /** See {@linkcode DiskCache.evict}; `limit` counts over all shards. */
  evict(tag: Tag, options?: RemoveOptions): number {
    return this.#everyShard(checkRemove(options, "evict"), (s, o) => s.evict(tag, o));
  }
  /** See {@linkcode DiskCache.cull}: each shard to its share of `sizeLimit`; `limit` counts over all shards. */
  cull(options?: RemoveOptions): number {
    return this.#everyShard(checkRemove(options, "cull"), (s, o) => s.cull(o));
  }
  /** See {@linkcode DiskCache.clear}; `limit` counts over all shards. */
  clear(options?: RemoveOptions): number {
    return this.#everyShard(checkRemove(options, "clear"), (s, o) => s.clear(o));
  }
  /** See {@linkcode DiskCache.volume}: the sum over shards. */
  volume(): number {
    return this.#shards.reduce((n, s) => n + s.volume(), 0);
  }
  /**
   * Runs `fn` with every shard's write lock held (one transaction per shard,
   * all begun before `fn` runs), so a change lands on every shard or on
   * none: a shard busy past `timeout` throws `Timeout` before anything is
   * written. If `fn` throws, every shard rolls back and re-reads its
   * settings.
   */
  #allShards(fn: () => void): void {
    let ran = false;
    const lock = (i: number): void => {
      if (i !== this.#shards.length) return void this.#shards[i]!.transact(() => lock(i + 1));
      ran = true;
      fn();
    };
    try {
      lock(0);
    } catch (error) {
      // Only a change that ran and rolled back can leave a shard's settings
      // out of step with its database. When a lock was refused, nothing ran:
      // re-reading the busy shard's settings would time out too.
      if (ran) { for (const s of this.#shards) s.reloadSettings(); }
      if (error instanceof Timeout) this.#timeouts++;
      throw error;
    }
  }

  /** See {@linkcode DiskCache.createTagIndex}; on every shard or none (a busy shard throws `Timeout`). */
  createTagIndex(): void {
    this.#allShards(() => {
      for (const s of this.#shards) s.createTagIndex();
    });
  }
  /** See {@linkcode DiskCache.dropTagIndex}; on every shard or none (a busy shard throws `Timeout`). */
  dropTagIndex(): void {
    this.#allShards(() => {
      for (const s of this.#shards) s.dropTagIndex();
    });
  }
  /**
   * See {@linkcode DiskCache.updateSettings}; `sizeLimit` is the total.
   * Applied to every shard or none: a shard busy past `timeout` throws
   * `Timeout` with nothing changed. `sqliteJournalMode`, which SQLite
   * cannot change inside a transaction, is then applied shard by shard.
   *
   * @returns The settings now in force (see {@linkcode FanoutCache.settings}).
   */
  updateSettings(changes: Partial<DiskCacheSettings>): Readonly<DiskCacheSettings> {
    if (typeof changes !== "object" || changes === null) return this.#shards[0]!.updateSettings(changes); // its TypeError
    const { sqliteJournalMode, ...rest } = changes.sizeLimit === undefined
      ? changes
      : { ...changes, sizeLimit: Math.floor(changes.sizeLimit / this.#shards.length) };
    if (Object.keys(rest).length > 0) {
      this.#allShards(() => {
        for (const s of this.#shards) s.updateSettings(rest);
      });
    }
    if (sqliteJournalMode !== undefined) { for (const s of this.#shards) s.updateSettings({ sqliteJournalMode }); }
    return this.settings;
  }

  /** See {@linkcode DiskCache.reloadSettings}, on every shard; returns {@linkcode FanoutCache.settings}. */
  reloadSettings(): Readonly<DiskCacheSettings> {
    for (const s of this.#shards) s.reloadSettings();
    return this.settings;
  }

  /**
   * The shards' statistics added up, plus the timeouts this instance
   * degraded. A plain read degrades like the other reads: a shard locked past
   * `timeout` (in journal mode `"delete"` a writer's exclusive lock keeps
   * readers out) adds only its `sizeLimit`, and counts one timeout, included
   * in the answer. `reset` and `enable` change every shard or none (a busy
   * shard throws `Timeout`).
   */
  stats(options: { enable?: boolean; reset?: boolean } = {}): FanoutStats {
    const sum: FanoutStats = { hits: 0, misses: 0, evictions: 0, count: 0, volume: 0, sizeLimit: 0, timeouts: 0 };
    const changes = options.reset || options.enable !== undefined;
    const add = () => {
      for (const s of this.#shards) {
        // Under #allShards every shard is locked by this instance: no timeout there.
        const one = changes ? s.stats(options) : this.#degrade(undefined, () => s.stats(options));
        if (one === undefined) {
          sum.sizeLimit += s.sizeLimit;
          continue;
        }
        for (const k of ["hits", "misses", "evictions", "count", "volume", "sizeLimit"] as const) sum[k] += one[k];
        if (one.memory !== undefined) {
          const m = sum.memory ??= { bytes: 0, entries: 0, hits: 0, maxBytes: 0 };
          for (const k of ["bytes", "entries", "hits", "maxBytes"] as const) m[k] += one.memory[k];
        }
      }
    };
    if (changes) this.#allShards(add);
    else add();
    sum.timeouts = this.#timeouts;
    if (options.reset) this.#timeouts = 0;
    return sum;
  }

  /** See {@linkcode DiskCache.check}; paths are prefixed with the shard's directory. */
  check(options: { fix?: boolean } = {}): CheckWarning[] {
    return this.#shards.flatMap((s, i) =>
      s.check(options).map((w) => ({ ...w, ...(w.path ? { path: `${String(i).padStart(3, "0")}/${w.path}` } : {}), message: `shard ${i}: ${w.message}` }))
    );
  }

  /**
   * Live keys. In insertion order (the default): shard after shard,
   * insertion order within each. With `order: "key"`: the shards' ordered
   * streams merged into one, in SQLite's order of the stored keys (numbers
   * < strings < bytes and structured keys), as one DiskCache would give.
   */
  *keys(options: IterateOptions = {}): IterableIterator<unknown> {
    if (options?.order !== "key") {
      for (const s of this.#shards) yield* s.keys(options);
      return;
    }
    for (const [key] of this.#merge(options, (s) => s.keys(options), (k) => k)) yield key;
  }
  /** Live entries, in the order of {@linkcode FanoutCache.keys}. */
  *entries(options: IterateOptions = {}): IterableIterator<[unknown, unknown]> {
    if (options?.order !== "key") {
      for (const s of this.#shards) yield* s.entries(options);
      return;
    }
    for (const [entry] of this.#merge(options, (s) => s.entries(options), (e) => e[0])) yield entry;
  }

  /** K-way merge of the shards' key-ordered streams (see {@linkcode compareKeys}). */
  *#merge<T>(options: IterateOptions, open: (s: DiskCache) => Iterator<T>, keyOf: (item: T) => unknown): Generator<[T]> {
    const sign = options.reverse ? -1 : 1;
    const heads: { it: Iterator<T>; item: T; order: ReturnType<typeof storedKeyOrder> }[] = [];
    const advance = (it: Iterator<T>) => {
      const next = it.next();
      if (!next.done) heads.push({ it, item: next.value, order: storedKeyOrder(keyOf(next.value)) });
    };
    for (const s of this.#shards) advance(open(s));
    while (heads.length > 0) {
      let best = 0;
      for (let i = 1; i < heads.length; i++) {
        if (sign * compareKeys(heads[i]!.order, heads[best]!.order) < 0) best = i;
      }
      const [head] = heads.splice(best, 1);
      yield [head!.item];
      advance(head!.it);
    }
  }
  /** Same as {@linkcode FanoutCache.keys}. */
  [Symbol.iterator](): IterableIterator<unknown> {
    return this.keys();
  }

  /** See {@linkcode memoize}. */
  memoize<A extends unknown[], R>(fn: (...args: A) => R, options?: MemoizeOptions<A>): Memoized<A, R> {
    return memoize(this, fn, options);
  }

  #sub<T extends DiskCache | Deque | Index>(kind: string, name: string, make: (dir: string) => T): T {
    if (typeof name !== "string" || !/^[\w.-]+$/.test(name) || name === "." || name === "..") {
      throw new TypeError(`Cannot open ${kind} ${describe(name)}: names are letters, digits, "_", "-" and "." (no path separators)`);
    }
    const id = `${kind}/${name}`;
    let found = this.#named.get(id);
    if (found === undefined) this.#named.set(id, found = make(join(this.#directory, kind, name)));
    return found as T;
  }

  /**
   * A named DiskCache under `<directory>/cache/<name>` (the same object on
   * every call), with its own transactions.
   */
  cache(name: string, options: DiskCacheOptions = {}): DiskCache {
    return this.#sub("cache", name, (dir) => new DiskCache(dir, { timeout: 60_000, ...options }));
  }
  /** A named {@linkcode Deque} under `<directory>/deque/<name>`. */
  deque<T = unknown>(name: string, options: { maxLength?: number } = {}): Deque<T> {
    return this.#sub("deque", name, (dir) => new Deque<T>(dir, options)) as Deque<T>;
  }
  /** A named {@linkcode Index} under `<directory>/index/<name>`. */
  index<K extends Key = Key, V = unknown>(name: string): Index<K, V> {
    return this.#sub("index", name, (dir) => new Index<K, V>(dir)) as unknown as Index<K, V>;
  }

  /** Closes every shard and named sub-collection. */
  close(): void {
    this.#closed = true;
    refuseAfterClose(this, FanoutCache.prototype, `the FanoutCache at "${this.#directory}"`, {
      getters: ["length"],
      promising: ["setStream", "setFile", "getFile", "setAsync", "deleteAsync"],
    });
    for (const s of this.#shards) s.close();
    for (const sub of this.#named.values()) sub.close();
    this.#named.clear();
    if (this.#temporary) {
      this.#exitDone();
      removeTemporary(this.#directory);
    }
  }
  /** Same as {@linkcode FanoutCache.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * See {@linkcode DiskCache.getOrSet}: on the shard holding `key` (its
   * lease too). A busy shard degrades as Python's FanoutCache does, counted
   * in `stats().timeouts`: a read is a miss, a lease is someone else's (wait
   * and look again), a store is skipped (the computed value is still
   * returned).
   *
   * @typeParam V The value's type.
   * @param key The key.
   * @param compute Computes the value when it is missing (not `undefined`).
   * @param options `ttl`, `tag`, `lease`, `signal`.
   * @returns The stored value, or the computed one.
   *
   * @example Compute a value once across shards and processes
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { FanoutCache } from "@diskcache/diskcache";
   * using cache = new FanoutCache(undefined, { shards: 2 });
   * assert.equal(await cache.getOrSet("answer", () => 42), 42);
   * assert.equal(await cache.getOrSet("answer", () => 0), 42);
   * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  getOrSet<V>(key: Key, compute: () => V | PromiseLike<V>, options?: GetOrSetOptions): Promise<Awaited<V>> {
    const busy = (error: unknown): void => void this.#busy(error, undefined);
    return (async (): Promise<Awaited<V>> => await getOrSet(this.shardOf(key), key, compute, options, busy))();
  }
}

inspectable(FanoutCache.prototype, (cache) =>
  `FanoutCache ${
    fields(
      cache.closed
        ? { directory: () => cache.directory, closed: () => true }
        : { directory: () => cache.directory, shards: () => cache.shardCount, count: () => cache.length, volume: () => cache.volume() },
    )
  }`);
