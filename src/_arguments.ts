/**
 * Argument checks of the public methods: each returns the normalized value or
 * throws a `TypeError`/`RangeError` naming the argument and what was received.
 *
 * @module
 */
import { describe } from "./errors.ts";
import { checkText } from "./format/text.ts";
import type { IterateOptions, PushOptions, SetOptions } from "./types.ts";

export function checkTtl(ttl: unknown, op: string): number | undefined {
  if (ttl === undefined || ttl === null) return undefined;
  if (typeof ttl !== "number") {
    throw new TypeError(`Cannot ${op}: "ttl" must be a number of milliseconds: received ${describe(ttl)}`);
  }
  if (!Number.isFinite(ttl) || ttl < 0) {
    throw new RangeError(
      `Cannot ${op}: "ttl" must be a finite, non-negative number of milliseconds (omit it for no expiry): received ${ttl}`,
    );
  }
  return ttl;
}

export function checkWriteOptions(options: SetOptions | undefined, op: string): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${op}: options must be an object: received ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== "ttl" && name !== "tag") {
      throw new TypeError(`Cannot ${op}: unknown option ${JSON.stringify(name)}; expected "ttl" or "tag"`);
    }
  }
}

export function checkIterate(options: IterateOptions): Required<IterateOptions> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot iterate: options must be an object: received ${describe(options)}`);
  }
  const { order = "insertion", reverse = false } = options;
  if (order !== "insertion" && order !== "key") {
    throw new RangeError(`Cannot iterate: "order" must be "insertion" or "key": received ${describe(order)}`);
  }
  if (typeof reverse !== "boolean") throw new TypeError(`Cannot iterate: "reverse" must be a boolean: received ${describe(reverse)}`);
  return { order, reverse };
}

export function checkIterable<T>(items: Iterable<T>, op: string): Iterable<T> {
  if (items === null || typeof (items as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== "function" || typeof items === "string") {
    throw new TypeError(`Cannot ${op}: expected an iterable (such as an array): received ${describe(items)}`);
  }
  return items;
}

export function checkQueue(options: PushOptions, op: string, extra: string[]): PushOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${op}: options must be an object: received ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== "prefix" && name !== "side" && !extra.includes(name)) {
      throw new TypeError(`Cannot ${op}: unknown option ${JSON.stringify(name)}`);
    }
  }
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw new TypeError(`Cannot ${op}: "prefix" must be a string: received ${describe(options.prefix)}`);
  }
  if (options.prefix !== undefined) checkText(options.prefix, "queue item", 'option "prefix"');
  if (options.side !== undefined && options.side !== "front" && options.side !== "back") {
    throw new RangeError(`Cannot ${op}: "side" must be "front" or "back": received ${describe(options.side)}`);
  }
  return options;
}

export function checkInteger(value: unknown, name: string, op: string): number | bigint {
  if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) return value;
  throw new TypeError(`Cannot ${op}: "${name}" must be a safe integer or a bigint: received ${describe(value)}`);
}

/** The `limit` of a removal's options (Infinity when absent). */
export function checkRemove(options: unknown, op: string): number {
  if (options === undefined) return Infinity;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${op}: options must be an object: received ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== "limit") throw new TypeError(`Cannot ${op}: unknown option ${JSON.stringify(name)}; expected "limit"`);
  }
  const limit = (options as { limit?: unknown }).limit;
  if (limit === undefined) return Infinity;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`Cannot ${op}: "limit" must be a non-negative safe integer (omit it for no limit): received ${describe(limit)}`);
  }
  return limit;
}
