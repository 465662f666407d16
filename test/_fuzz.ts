// What the fuzz tests assert of whatever this library decodes (random rows,
// directories Python wrote with random content): every read returns or
// throws a typed DiskCacheError, and a refusal never ends an iteration early.
import assert from "node:assert/strict";
import { DiskCacheError } from "../mod.ts";

/** Runs `fn`; a throw must be a DiskCacheError. Returns whether it threw. */
export function typed(what: string, fn: () => void): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    assert.ok(error instanceof DiskCacheError, `${what} threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    return true;
  }
}

/** Walks an iterator to its end; a throw must be typed, and must not end the walk early (the caller checks coverage). */
export function walk<T>(what: string, it: () => Iterable<T>): T[] {
  const out: T[] = [];
  typed(what, () => {
    for (const x of it()) out.push(x);
  });
  return out;
}
