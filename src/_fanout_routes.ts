/**
 * How {@linkcode FanoutCache} delegates each {@linkcode DiskCache} method to
 * its shards: one table, checked by the compiler against DiskCache's methods
 * (a method added to DiskCache does not compile until it has a row here), read
 * by FanoutCache for what a busy shard degrades to, and walked by the tests,
 * which check that every routed method exists and degrades as its row says.
 * python-diskcache copies each delegated method by hand in `fanout.py`; ours
 * drifted the same way once (`getFile` alone did not degrade).
 *
 * @module
 */
import type { DiskCache } from "./disk_cache.ts";

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
