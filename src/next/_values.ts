/**
 * Next's values as the cache's codec stores them, exactly: the codec keeps a
 * `Buffer`'s bytes but reads them back as a plain `Uint8Array`, and Next
 * calls `Buffer` methods on what it gets. So the paths of the `Buffer`s are
 * stored beside the value and turned back into `Buffer`s on reading.
 * A path step is an object key, an array index, or a `Map` entry's index.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** A value with the places of its `Buffer`s. */
export interface StoredValue {
  v: unknown;
  b: (string | number)[][];
}

/** Records where `value` holds `Buffer`s (values of objects, arrays and `Map`s). */
export function encodeValue(value: unknown): StoredValue {
  const paths: (string | number)[][] = [];
  walk(value, [], paths, 0);
  return { v: value, b: paths };
}

function walk(value: unknown, path: (string | number)[], paths: (string | number)[][], depth: number): void {
  if (value === null || typeof value !== "object" || depth > 64) return;
  if (Buffer.isBuffer(value)) {
    paths.push([...path]);
    return;
  }
  if (ArrayBuffer.isView(value)) return;
  if (value instanceof Map) {
    let i = 0;
    for (const v of value.values()) walk(v, [...path, i++], paths, depth + 1);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, [...path, i], paths, depth + 1));
  } else {
    for (const [k, v] of Object.entries(value)) walk(v, [...path, k], paths, depth + 1);
  }
}

/** The value `encodeValue` recorded, its `Buffer`s restored. */
export function decodeValue(stored: StoredValue): unknown {
  let root = stored.v;
  for (const path of stored.b) {
    if (path.length === 0) {
      root = toBuffer(root); // the value itself (the handlers store objects, but the codec does not care)
      continue;
    }
    let parent: unknown = root;
    for (const step of path.slice(0, -1)) parent = child(parent, step);
    const last = path[path.length - 1]!;
    if (parent instanceof Map) {
      const key = [...parent.keys()][last as number];
      parent.set(key, toBuffer(parent.get(key)));
    } else if (parent !== null && typeof parent === "object") {
      const record = parent as Record<string | number, unknown>;
      record[last] = toBuffer(record[last]);
    }
  }
  return root;
}

function child(parent: unknown, step: string | number): unknown {
  if (parent instanceof Map) return [...parent.values()][step as number];
  return (parent as Record<string | number, unknown> | null)?.[step];
}

function toBuffer(bytes: unknown): unknown {
  return bytes instanceof Uint8Array ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}
