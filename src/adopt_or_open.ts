/**
 * The cache a front end (`DiskCacheStore`, `DiskCacheStorage`) works on,
 * from what its constructor was given: one rule, one message.
 *
 * @module
 */
import { DiskCache, type DiskCacheOptions } from "./disk_cache.ts";
import type { FanoutCache } from "./fanout.ts";

/** The front end that asks, as {@linkcode adoptOrOpen} names it in its error. */
export interface FrontEnd<C extends DiskCache | FanoutCache> {
  /** Its class, e.g. `"DiskCacheStore"`. */
  name: string;
  /** What the message calls it, e.g. `"store"`. */
  role: string;
  /** The cache classes it takes open. */
  adopts: readonly (abstract new (...args: never[]) => C)[];
}

/**
 * The open cache `given`, which the front end adopts (and does not close),
 * or else a DiskCache opened on the directory `given` (a temporary one when
 * omitted) with `options`, which the front end owns (and closes).
 *
 * @param given An open cache of a class the front end adopts, a directory, or `undefined`.
 * @param options Cache options: they apply only when the cache is opened here.
 * @param front The front end asking.
 * @returns The cache, and whether it was opened here.
 * @throws {TypeError} For an open cache given together with cache options.
 *
 * @example Open a cache, or take one open
 * ```ts ignore
 * const { cache, owned } = adoptOrOpen(dirOrCache, cacheOptions, { name: "DiskCacheStore", role: "store", adopts: [DiskCache, FanoutCache] });
 * ```
 */
export function adoptOrOpen<C extends DiskCache | FanoutCache>(
  given: string | C | undefined,
  options: DiskCacheOptions,
  front: FrontEnd<C>,
): { cache: C | DiskCache; owned: boolean } {
  if (!front.adopts.some((type) => given instanceof type)) return { cache: new DiskCache(given as string | undefined, options), owned: true };
  if (Object.keys(options).length) {
    throw new TypeError(
      `Cannot create ${front.name}: cache options (${
        Object.keys(options).join(", ")
      }) apply only when the ${front.role} opens the cache, not with an open cache`,
    );
  }
  return { cache: given as C, owned: false };
}
