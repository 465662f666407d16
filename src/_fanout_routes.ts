/**
 * How {@linkcode FanoutCache} delegates each {@linkcode DiskCache} method to
 * its shards: one table, checked by the compiler against DiskCache's methods
 * (a method added to DiskCache does not compile until it has a row here), read
 * by FanoutCache for what a busy shard degrades to, and walked by the tests,
 * which check that every routed method exists and degrades as its row says.
 * python-diskcache copies each delegated method by hand in `fanout.py`; ours
 * drifted the same way once (`getFile` alone did not degrade), and again in
 * its signatures (`expire`, `evict`, `cull`, `clear` without `{ limit }`,
 * `updateSettings` returning nothing, eight getters missing): the
 * {@linkcode Drift} check below makes the compiler compare every member the
 * two classes share, getters included.
 *
 * @module
 */
import type { DiskCache } from "./disk_cache.ts";
import type { FanoutCache } from "./fanout.ts";

/** The names of DiskCache's methods (not its getters). */
export type DiskCacheMethod = {
  [K in keyof DiskCache & string]: DiskCache[K] extends (...args: never[]) => unknown ? K : never;
}[keyof DiskCache & string];

/**
 * Where one method goes.
 *
 * - `key`: to the shard of its key; when that shard stays locked past
 *   `timeout`, the call returns `busy` and counts a timeout instead of
 *   throwing. An `async` method resolves to `busy`, and rejects (never
 *   throws) on any other error, as the DiskCache method does.
 * - `keys`: its keys grouped by shard, one call per shard; a busy shard's
 *   part returns `busy` (per item for `undefined`, as a count for `0`).
 * - `removal`: every shard in turn, a busy shard retried (up to 100 times),
 *   the counts added up; then `Timeout` with `removed`.
 * - `allOrNone`: every shard's write lock taken first, so a change lands on
 *   every shard or on none (a busy shard throws `Timeout`).
 * - `combine`: every shard, the results combined (summed, merged, prefixed).
 * - `own`: FanoutCache's own implementation (over the whole sharded cache).
 * - `none`: not offered, for the reason given.
 */
export type Route =
  | { readonly to: "key"; readonly busy: false | undefined; readonly async?: true }
  | { readonly to: "keys"; readonly busy: 0 | undefined }
  | { readonly to: "removal" | "allOrNone" | "combine" | "own" }
  | { readonly to: "none"; readonly why: string };

/** Every DiskCache method and where FanoutCache sends it. */
export const ROUTES = {
  set: { to: "key", busy: false },
  get: { to: "key", busy: undefined },
  getEntry: { to: "key", busy: undefined },
  has: { to: "key", busy: false },
  delete: { to: "key", busy: false },
  add: { to: "key", busy: false },
  incr: { to: "key", busy: undefined },
  decr: { to: "key", busy: undefined },
  pop: { to: "key", busy: undefined },
  touch: { to: "key", busy: false },
  setStream: { to: "key", busy: false, async: true },
  getStream: { to: "key", busy: undefined },
  setFile: { to: "key", busy: false, async: true },
  getFile: { to: "key", busy: false, async: true },
  setAsync: { to: "key", busy: false, async: true },
  deleteAsync: { to: "key", busy: false, async: true },
  getMany: { to: "keys", busy: undefined },
  setMany: { to: "keys", busy: 0 },
  deleteMany: { to: "keys", busy: 0 },
  expire: { to: "removal" },
  evict: { to: "removal" },
  cull: { to: "removal" },
  clear: { to: "removal" },
  createTagIndex: { to: "allOrNone" },
  dropTagIndex: { to: "allOrNone" },
  updateSettings: { to: "allOrNone" },
  stats: { to: "combine" },
  reloadSettings: { to: "combine" },
  check: { to: "combine" },
  volume: { to: "combine" },
  keys: { to: "combine" },
  entries: { to: "combine" },
  memoize: { to: "own" },
  getOrSet: { to: "own" },
  close: { to: "own" },
  transact: {
    to: "none",
    why: "a transaction cannot span shards: use FanoutCache.cache(name) for a sub-cache that has one",
  },
  transactAsync: {
    to: "none",
    why: "a transaction cannot span shards: use FanoutCache.cache(name) for a sub-cache that has one",
  },
  push: { to: "none", why: "a queue's order lives in one database: use FanoutCache.deque(name) or cache(name)" },
  pull: { to: "none", why: "a queue's order lives in one database: use FanoutCache.deque(name) or cache(name)" },
  peek: { to: "none", why: "a queue's order lives in one database: use FanoutCache.deque(name) or cache(name)" },
  peekItem: { to: "none", why: "insertion order is per shard: use FanoutCache.index(name) or cache(name)" },
  inspect: { to: "none", why: "not offered yet: use FanoutCache.cache(name) for a sub-cache that has it, or open a shard (000, 001...) as a DiskCache" },
  inspectAll: { to: "none", why: "not offered yet: use FanoutCache.cache(name) for a sub-cache that has it, or open a shard (000, 001...) as a DiskCache" },
  vacuum: { to: "none", why: "not offered yet: use FanoutCache.cache(name) for a sub-cache that has it, or vacuum each shard (000, 001...) as a DiskCache" },
} as const satisfies { readonly [K in DiskCacheMethod]: Route };

/** The methods routed one way. */
export type RoutedTo<T extends Route["to"]> = {
  [K in keyof typeof ROUTES]: (typeof ROUTES)[K]["to"] extends T ? K : never;
}[keyof typeof ROUTES];

/** What method `N` returns (or resolves to) when its shard stays busy. */
export type Busy<N extends RoutedTo<"key" | "keys">> = (typeof ROUTES)[N]["busy"];

/** Every member of DiskCache that FanoutCache offers too: its getters, and its methods not routed to `none`. */
export type SharedMember = Exclude<keyof DiskCache, RoutedTo<"none">>;

/** Whether `A` and `B` are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

/** What a method routed by key returns on FanoutCache: DiskCache's return, or (resolving to) its busy value. */
type Degraded<K, R> = K extends RoutedTo<"key"> ? R extends Promise<infer P> ? Promise<P | Busy<K>> : R | Busy<K> : R;

/**
 * `K` when FanoutCache's member `K` differs from DiskCache's, else `never`.
 * A getter: the same type and the same `readonly`. A method: the same
 * parameters, exactly (of the last overload, which in both classes is the
 * one that covers the others), and a return that is DiskCache's, widened
 * only by the busy value of the method's route (`incr` may give
 * `undefined`), or narrower (`stats` gives `FanoutStats`, which adds
 * `timeouts`). Then the whole methods, overloads and type parameters
 * included: DiskCache's must fit where FanoutCache's is expected (an
 * overload FanoutCache adds or changes fails), and, unless the route widens
 * the return, FanoutCache's where DiskCache's is (a type parameter
 * FanoutCache drops fails). A combined result (`stats`) is left to the
 * return check.
 */
type MemberDrift<K extends SharedMember> = K extends keyof FanoutCache
  ? DiskCache[K] extends (...args: infer DA) => infer DR ? FanoutCache[K] extends (...args: infer FA) => infer FR ? Same<DA, FA> extends false ? K
      : [FR] extends [Degraded<K, DR>] ? MethodDrift<K, Same<Degraded<K, DR>, DR>>
      : K
    : K
  : Same<Pick<DiskCache, K>, Pick<FanoutCache, K>> extends true ? never
  : K
  : K;

/** The whole-method part of {@linkcode MemberDrift}; `exact`: the route does not widen the return. */
type MethodDrift<K extends SharedMember & keyof FanoutCache, exact extends boolean> = K extends RoutedTo<"combine"> ? never
  : [DiskCache[K]] extends [FanoutCache[K]] ? exact extends false ? never : [FanoutCache[K]] extends [DiskCache[K]] ? never : K
  : K;

/**
 * The members FanoutCache shares with DiskCache whose types drifted apart
 * (`never` when none did): a new DiskCache getter, a changed parameter, a
 * return FanoutCache forgot to pass on, all name themselves here.
 */
export type Drift = { [K in SharedMember]-?: MemberDrift<K> }[SharedMember];

/**
 * Compiled with the library: `true` fits only while {@linkcode Drift} is
 * `never`; otherwise tsc and deno check report "Type 'true' is not
 * assignable to type" followed by the names of the drifted members.
 */
export const NO_DRIFT: [Drift] extends [never] ? true : `drifted: ${Drift & string}` = true;
