/**
 * Error types callers can catch. Bad arguments get the built-in `TypeError`
 * (wrong type or shape) or `RangeError` (out of range); conditions of the cache
 * itself get a {@linkcode DiskCacheError}.
 *
 * @module
 */

/**
 * Base class of every error the cache raises about itself (as opposed to a bad
 * argument): a closed cache, an unusable directory, a corrupt database, a
 * value that cannot be decoded.
 *
 * @example Catch any cache error
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskCacheError } from "@diskcache/diskcache";
 * const err = new DiskCacheError("Cannot get: the cache is closed");
 * assert.ok(err instanceof Error);
 * assert.equal(err.name, "DiskCacheError");
 * ```
 */
export class DiskCacheError extends Error {
  /**
   * Makes an error about the cache.
   *
   * @param message What went wrong and what to do.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
  /** `"DiskCacheError"`, so logs name the class. */
  override get name(): string {
    return "DiskCacheError";
  }
}

/**
 * The database stayed locked by other connections for longer than the cache's
 * `timeout`. Nothing was written by the operation that threw, except for the
 * bulk removals (`expire`, `evict`, `cull`, `clear`), which remove in batches
 * and report the items removed before the lock as {@linkcode Timeout.removed}.
 * Retry, raise `timeout`, or shard with a `FanoutCache`.
 *
 * @example Tell a timeout apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskCacheError, Timeout } from "@diskcache/diskcache";
 * const err = new Timeout("Cannot set: the database stayed locked for 10 ms");
 * assert.ok(err instanceof DiskCacheError);
 * assert.equal(err.name, "Timeout");
 * ```
 */
export class Timeout extends DiskCacheError {
  /**
   * Set by the bulk removals (`expire`, `evict`, `cull`, `clear`): how many
   * items were removed, in earlier batches, before the lock stopped them.
   * `undefined` for every other operation. (Declared, not initialised, so a
   * Timeout without it has no such own property.)
   */
  declare removed?: number;

  /** `"Timeout"`, so logs name the class. */
  override get name(): string {
    return "Timeout";
  }
}

/** Renders a received value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "symbol") return value.toString();
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `array of length ${value.length}`;
  const ctor = (value as object).constructor;
  return ctor && ctor !== Object ? `instance of ${ctor.name}` : "object";
}
