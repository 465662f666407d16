/**
 * The value-file store: values at or above `minFileSize` live in files named
 * `xx/yy/<28 hex>.val` under the cache directory, with random names (never
 * derived from keys), exactly as python-diskcache lays them out.
 *
 * A file is written completely before the row that names it commits, and
 * removed only after the commit that stops naming it, so a reader sees either
 * the old value or the new one, never a partial file.
 *
 * @module
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { getRandomValues } from "node:crypto";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A fresh random relative file name, `xx/yy/<28 hex>.val`. */
export function randomFilename(): string {
  const b = getRandomValues(new Uint8Array(16));
  let rest = "";
  for (let i = 2; i < 16; i++) rest += HEX[b[i]!];
  return `${HEX[b[0]!]}/${HEX[b[1]!]}/${rest}.val`;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Writes `bytes` to a new value file under `directory` (exclusive create:
 * never overwrites) and returns its relative name.
 *
 * @param directory The cache directory.
 * @param bytes The file's contents.
 * @returns The relative file name to store in the row.
 *
 * @example Write a value file
 * ```ts ignore
 * const name = writeValueFile("/tmp/cache", new Uint8Array(40000));
 * ```
 */
export function writeValueFile(directory: string, bytes: Uint8Array): string {
  for (let attempt = 0; ; attempt++) {
    const name = randomFilename();
    const full = join(directory, name);
    try {
      mkdirSync(join(directory, name.slice(0, 5)), { recursive: true });
      const fd = openSync(full, "wx");
      try {
        writeAll(fd, bytes);
      } finally {
        closeSync(fd);
      }
      return name;
    } catch (error) {
      // Another process may prune the empty directory between our mkdir and
      // open (ENOENT), or the random name may exist (EEXIST): try again.
      const code = (error as { code?: string }).code;
      if ((code === "ENOENT" || code === "EEXIST") && attempt < 10) continue;
      throw error;
    }
  }
}

/**
 * Reads a value file whole, or `undefined` when it is gone or its size is not
 * the `size` the row recorded (removed or truncated behind the cache's back).
 *
 * @param directory The cache directory.
 * @param filename The relative name from the row.
 * @param size The size the row recorded.
 * @returns The bytes, or `undefined`.
 *
 * @example Read a value file
 * ```ts ignore
 * const bytes = readValueFile("/tmp/cache", name, 40000);
 * ```
 */
export function readValueFile(directory: string, filename: string, size: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(join(directory, filename), "r");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    if (fstatSync(fd).size !== size) return undefined;
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, out, off, size - off, off);
      if (n === 0) return undefined;
      off += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes a value file and then its two parent directories if they are empty.
 * Errors are ignored: several processes may race to remove the same file.
 *
 * @param directory The cache directory.
 * @param filename The relative name from the row.
 *
 * @example Remove a value file
 * ```ts ignore
 * removeValueFile("/tmp/cache", name);
 * ```
 */
export function removeValueFile(directory: string, filename: string): void {
  try {
    unlinkSync(join(directory, filename));
  } catch {
    return;
  }
  const slash = filename.lastIndexOf("/");
  let dir = filename.slice(0, slash);
  while (dir.length > 0) {
    try {
      rmdirSync(join(directory, dir));
    } catch {
      return;
    }
    const up = dir.lastIndexOf("/");
    dir = up < 0 ? "" : dir.slice(0, up);
  }
}
