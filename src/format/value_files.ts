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
import { join } from "node:path";
import { DiskCacheError } from "../errors.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } = globalThis.process.getBuiltinModule(
  "node:fs",
);
const { Buffer } = globalThis.process.getBuiltinModule("node:buffer");

/** Python-diskcache's value file names; nothing else is ever read or removed. */
const NAME = /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{28}\.val$/;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// Opening a FIFO for reading blocks until some process opens it for writing:
// opened non-blocking, then refused by fstat like anything not a regular file.
// (O_NONBLOCK changes nothing for a regular file.)
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

/**
 * Whether `filename` is a value file name whose two parent directories are
 * real directories, not symlinks: a file planted by someone else must never
 * lead a read or a delete outside the cache directory.
 *
 * @param directory The cache directory.
 * @param filename The relative name from the row.
 * @returns `true` when it is safe to open or remove.
 */
export function isSafeValuePath(directory: string, filename: string): boolean {
  if (!NAME.test(filename)) return false;
  try {
    return !lstatSync(join(directory, filename.slice(0, 2))).isSymbolicLink() &&
      !lstatSync(join(directory, filename.slice(0, 5))).isSymbolicLink();
  } catch {
    return true; // missing: opening it will say so
  }
}

/**
 * Opens a value file for reading without following a symlink anywhere on
 * its path inside the cache; `undefined` when it is missing or unsafe, or
 * not a regular file (a FIFO, a directory, a socket planted in its place:
 * refused at once, never waited on).
 *
 * @param directory The cache directory.
 * @param filename The relative name from the row.
 * @returns A file descriptor, or `undefined`.
 */
export function openValueFile(directory: string, filename: string): number | undefined {
  if (!isSafeValuePath(directory, filename)) return undefined;
  let fd: number;
  try {
    fd = openSync(join(directory, filename), constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // ENXIO: a socket; ENOTDIR: a file in place of one of its directories.
    if (code === "ENOENT" || code === "ELOOP" || code === "ENXIO" || code === "ENOTDIR") return undefined;
    throw error;
  }
  let regular = false;
  try {
    regular = fstatSync(fd).isFile();
  } finally {
    if (!regular) closeSync(fd);
  }
  return regular ? fd : undefined;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A fresh random relative file name, `xx/yy/<28 hex>.val`. */
export function randomFilename(): string {
  // Web Crypto's global: importing node:crypto costs Node ~6 ms at start (issue 25).
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let rest = "";
  for (let i = 2; i < 16; i++) rest += HEX[b[i]!];
  return `${HEX[b[0]!]}/${HEX[b[1]!]}/${rest}.val`;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * How many fresh names a new value file tries before giving up: each retry
 * follows a concurrent prune of its directory or a name collision.
 */
const CREATE_ATTEMPTS = 100;

/** Permissions of what the cache creates. */
export interface FileModes {
  /** Mode of new directories. */
  dirMode: number;
  /** Mode of new files. */
  fileMode: number;
}

/** Owner-only: other users can neither read nor list a cache by default. */
export const OWNER_ONLY: Readonly<FileModes> = Object.freeze({ dirMode: 0o700, fileMode: 0o600 });

/**
 * Writes `bytes` to a new value file under `directory` (exclusive create:
 * never overwrites) and returns its relative name.
 *
 * @param directory The cache directory.
 * @param bytes The file's contents.
 * @param modes Permissions of created directories and the file.
 * @returns The relative file name to store in the row.
 *
 * @example Write a value file
 * ```ts ignore
 * const name = writeValueFile("/tmp/cache", new Uint8Array(40000));
 * ```
 */
export function writeValueFile(directory: string, bytes: Uint8Array, modes: FileModes = OWNER_ONLY): string {
  const { name, fd } = createValueFile(directory, modes);
  try {
    writeAll(fd, bytes);
  } catch (error) {
    closeSync(fd);
    removeValueFile(directory, name);
    throw error;
  }
  closeSync(fd);
  return name;
}

/**
 * Creates a new, empty value file (exclusive create, so never through an
 * existing file or symlink) and returns its relative name and an open file
 * descriptor for writing. Making the directory and creating the file are
 * two system calls with nothing between them; when another process prunes
 * the empty directory in that instant (ENOENT), or the random name exists
 * (EEXIST), it tries a fresh name. Once the file exists its directory is not
 * empty, so no prune can remove it while it is filled.
 *
 * @param directory The cache directory.
 * @param modes Permissions of created directories and the file.
 * @returns The relative file name and a writable file descriptor.
 *
 * @example Create a value file
 * ```ts ignore
 * const { name, fd } = createValueFile("/tmp/cache", OWNER_ONLY);
 * ```
 */
export function createValueFile(directory: string, modes: FileModes): { name: string; fd: number } {
  for (let attempt = 0;; attempt++) {
    const name = randomFilename();
    try {
      // One level at a time, each checked before anything is made in it:
      // a symlink planted as xx/ or xx/yy/ must not lead a write (not even a
      // mkdir) outside the cache, as reads and removals never follow one.
      valueDirectory(directory, name.slice(0, 2), modes.dirMode);
      valueDirectory(directory, name.slice(0, 5), modes.dirMode);
      const path = join(directory, name);
      const fd = openSync(path, CREATE, modes.fileMode);
      // A directory swapped for a symlink between the check and the open:
      // the name no longer leads to the file just created, through real directories.
      const opened = fstatSync(fd);
      let named: { ino: number; dev: number } | undefined;
      try {
        named = isSafeValuePath(directory, name) ? lstatSync(path) : undefined;
      } catch { /* gone: not the file just created */ }
      if (named === undefined || named.ino !== opened.ino || named.dev !== opened.dev) {
        closeSync(fd);
        throw linkedDirectory(directory, name.slice(0, 5));
      }
      return { name, fd };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((code === "ENOENT" || code === "EEXIST") && attempt < CREATE_ATTEMPTS) continue;
      throw error;
    }
  }
}

/**
 * Makes the value directory `relative` (`xx` or `xx/yy`) unless it exists,
 * and refuses when what is there is a symlink. ENOENT making `xx` means the
 * cache directory itself is gone: refused at once (`mkdir -p` would make it
 * again, for a database no open would find).
 */
function valueDirectory(directory: string, relative: string, mode: number): void {
  const path = join(directory, relative);
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" && relative.length === 2) {
      throw new DiskCacheError(
        `Cannot write a value file: the cache directory "${directory}" was deleted after the cache opened it, so what the cache writes would never be seen again; close the cache and open it again`,
        { cause: error },
      );
    }
    if (code !== "EEXIST") throw error;
  }
  // A file there instead: creating inside it fails with ENOTDIR, passed on.
  if (lstatSync(path).isSymbolicLink()) throw linkedDirectory(directory, relative);
}

function linkedDirectory(directory: string, relative: string): DiskCacheError {
  return new DiskCacheError(
    `Cannot write a value file: "${
      join(directory, relative)
    }" (or its parent) is a symbolic link, which the cache never follows; someone else can write into "${directory}": remove the link and check who can write there`,
  );
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
  const fd = openValueFile(directory, filename);
  if (fd === undefined) return undefined;
  try {
    if (fstatSync(fd).size !== size) return undefined;
    // Not zero-filled (a 100 KiB zero-fill costs about as much as reading
    // the file): every byte is read into it below, or nothing is returned.
    const buf = Buffer.allocUnsafeSlow(size);
    const out = new Uint8Array(buf.buffer, buf.byteOffset, size);
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
  if (!isSafeValuePath(directory, filename)) return;
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
