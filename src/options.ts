/**
 * Options objects of the DiskCache methods.
 *
 * @module
 */
import type { Tag } from "./_values.ts";

/** Options of writes. */
export interface SetOptions {
  /** Milliseconds until the item expires; omitted means never. */
  ttl?: number | undefined;
  /** A tag stored with the item (see `getEntry`). */
  tag?: Tag | null | undefined;
}

/** Options of {@linkcode DiskCache.keys} and {@linkcode DiskCache.entries}. */
export interface IterateOptions {
  /**
   * `"insertion"`: order of first insertion (replacing a value keeps its
   * place); `"key"`: SQLite's order of the stored keys, meaningful for
   * strings, numbers and bytes.
   *
   * @default {"insertion"}
   */
  order?: "insertion" | "key";
  /**
   * Walk from the end.
   *
   * @default {false}
   */
  reverse?: boolean;
}

/** Options of {@linkcode DiskCache.push}. */
export interface PushOptions extends SetOptions {
  /** Keys become `"<prefix>-NNNNNNNNNNNNNNN"` strings instead of integers, so several queues share a cache. */
  prefix?: string | undefined;
  /**
   * Which end to add at.
   *
   * @default {"back"}
   */
  side?: "front" | "back";
}

/** Options of {@linkcode DiskCache.pull} and {@linkcode DiskCache.peek}. */
export interface PullOptions {
  /** The queue's prefix, as given to `push`. */
  prefix?: string | undefined;
  /**
   * Which end to take from.
   *
   * @default {"front"}
   */
  side?: "front" | "back";
}
