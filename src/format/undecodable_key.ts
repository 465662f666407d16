/**
 * Keys this library cannot decode, as met when iterating a cache another
 * library wrote.
 *
 * @module
 */

/**
 * A structured key (`raw = 0`) that is not in this library's codec: most
 * often a key python-diskcache pickled (tuples, every key of Python's
 * `memoize`...), which is never unpickled here. Iteration yields it in the
 * key's place instead of stopping, and passing it back to `get`, `has`,
 * `delete`, `pop` or `set` addresses that same row.
 *
 * @example Skip or remove the keys Python pickled
 * ```ts ignore
 * import { DiskCache, ForeignKey } from "@diskcache/diskcache";
 * using cache = new DiskCache("./written-by-python");
 * for (const key of cache.keys()) {
 *   if (key instanceof ForeignKey) cache.delete(key); // the row Python wrote
 * }
 * ```
 */
export class ForeignKey {
  /** The key column's bytes as stored (for a pickle, the pickle). */
  readonly bytes: Uint8Array;

  /**
   * Wraps a key's stored bytes (the cache does this when it reads a key it
   * cannot decode).
   *
   * @param bytes The stored bytes of the key.
   */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}
