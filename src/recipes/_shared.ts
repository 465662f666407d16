/**
 * What the recipes share: the slice of the DiskCache API they use, a sleep,
 * tokens that identify a holder, and option checks.
 *
 * @module
 */
import { getRandomValues } from "node:crypto";
import { describe } from "../errors.ts";
import type { Key, Tag } from "../_values.ts";

/** The part of a DiskCache the recipes use (its public API only). */
export interface RecipeCache {
  /** See `DiskCache.get`. */
  get(key: Key): unknown;
  /** See `DiskCache.getEntry`. */
  getEntry(key: Key): { value: unknown; expireTime: number | null } | undefined;
  /** See `DiskCache.set`. */
  set(key: Key, value: unknown, options?: { ttl?: number | undefined; tag?: Tag | null | undefined }): unknown;
  /** See `DiskCache.add`. */
  add(key: Key, value: unknown, options?: { ttl?: number | undefined; tag?: Tag | null | undefined }): boolean;
  /** See `DiskCache.delete`. */
  delete(key: Key): boolean;
  /** See `DiskCache.has`. */
  has(key: Key): boolean;
  /** See `DiskCache.pop`. */
  pop(key: Key): unknown;
  /** See `DiskCache.transact`. */
  transact<T>(fn: () => T): T;
}

/** Options shared by the recipes that store one key. */
export interface RecipeOptions {
  /** Milliseconds until the recipe's key expires: a guard against a holder that died. */
  ttl?: number;
  /** Tag stored with the key. */
  tag?: Tag;
}

/** Resolves after `ms` milliseconds, without blocking the event loop. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A token no other holder in any process has. */
export function token(): string {
  const b = getRandomValues(new Uint8Array(12));
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
