/**
 * Large values as web streams: `setStream` writes a `ReadableStream` into a
 * value file chunk by chunk, `getStream` reads one back the same way; neither
 * holds the value in memory whole. `setFile` and `getFile` copy between a
 * value file and a path with the file system's own copy (copy_file_range or
 * a reflink where the platform has one), as fast as `cp`.
 *
 * @module
 */
import { join } from "node:path";
import type { SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import { describe, DiskCacheError } from "../errors.ts";
import { createValueFile, openValueFile, removeValueFile } from "../format/value_files.ts";
import { MODE_BINARY, MODE_RAW, MODE_TEXT } from "../format/schema.ts";
import { SQL } from "../format/sql.ts";
import { put, type WriteOptions } from "./items.ts";
import type { StoredKey } from "../format/stored_key.ts";
import { readFresh } from "./_fresh_read.ts";
import { MISSING } from "../format/row_values.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const fs = globalThis.process.getBuiltinModule("node:fs");
const { closeSync, fchmodSync, fstatSync, lstatSync, read, statSync, write } = fs;
const { Buffer } = globalThis.process.getBuiltinModule("node:buffer");

const CHUNK = 4 << 20;

/** fs.write as a promise: the bytes written. */
function writeAsync(fd: number, bytes: Uint8Array, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, bytes, offset, length, null, (error, n) => (error ? reject(error) : resolve(n))));
}
const utf8 = new TextEncoder();

/**
 * Streams `stream` into a new value file, then points the key at it in one
 * transaction. The size limit is checked chunk by chunk: a stream that would
 * pass it is cancelled before its first byte past the limit is written.
 */
export async function setStream(engine: Engine, k: StoredKey, stream: ReadableStream<Uint8Array>, options: WriteOptions): Promise<void> {
  engine.db("setStream");
  engine.assertWritable("setStream");
  const reader = stream.getReader();
  await storeInNewFile(engine, { op: "setStream", k, options, what: "the stream" }, async (fd) => {
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break; // also when close() cancelled the reader
        if (!(value instanceof Uint8Array)) {
          throw new TypeError(`Cannot setStream: the stream must yield Uint8Array chunks: received ${describe(value)}`);
        }
        const limit = tooLarge(engine, size + value.length, "the stream");
        if (limit !== undefined) throw limit;
        let off = 0;
        while (off < value.length) off += await writeAsync(fd, value, off, value.length - off);
        size += value.length;
      }
    } catch (error) {
      // Stop the source: nothing more of it will be stored.
      await reader.cancel(error).catch(() => {});
      throw error;
    } finally {
      reader.releaseLock();
    }
    return size;
  }, () => void reader.cancel().catch(() => {}));
}

/** The RangeError for a value of `size` bytes that the size limit cannot hold, else `undefined`. */
function tooLarge(engine: Engine, size: number, what: string): RangeError | undefined {
  if (size <= engine.settings.sizeLimit || engine.policy.order === null) return undefined;
  return new RangeError(
    `Cannot store value: ${what} held ${size} bytes, more than the whole sizeLimit of ${engine.settings.sizeLimit} bytes; raise sizeLimit or store it elsewhere`,
  );
}

/**
 * Creates a value file, lets `fill` write it (answering its size), then
 * points the key at it in one transaction. On any failure the file is
 * removed and nothing is stored; so it is when the cache is closed meanwhile
 * (`abort` then tells `fill` to stop reading its source), and the call
 * rejects with the closed error.
 */
async function storeInNewFile(
  engine: Engine,
  target: { op: string; k: StoredKey; options: WriteOptions; what: string },
  fill: (fd: number, full: string) => Promise<number>,
  abort?: () => void,
): Promise<void> {
  const { op, k, options, what } = target;
  let created: { name: string; fd: number };
  try {
    created = createValueFile(engine.directory, engine.modes);
  } catch (error) {
    throw engine.fileError(error, op);
  }
  const { name: filename, fd } = created;
  const onClose = () => abort?.();
  engine.onClose.add(onClose);
  let size: number;
  try {
    size = await fill(fd, join(engine.directory, filename));
    engine.db(op); // closed while filling: the closed error, and no orphan file
  } catch (error) {
    removeValueFile(engine.directory, filename);
    throw engine.fileError(error, op);
  } finally {
    engine.onClose.delete(onClose);
    closeSync(fd);
  }
  const limit = tooLarge(engine, size, what);
  if (limit !== undefined) {
    removeValueFile(engine.directory, filename);
    throw limit;
  }
  const expire = options.ttl === undefined ? null : engine.expireAt(options.ttl);
  // Waits for the write lock on timers (as setAsync does): a caller awaiting a stream never blocks the thread on
  // it. The file joins the transaction once it has begun (the outer write): a begin that would block, and is
  // tried again, keeps it.
  try {
    await engine.whenUnlocked(op, () =>
      engine.write(op, () =>
        engine.write(op, () => {
          put(engine, { key: k.key, raw: k.raw, mode: MODE_BINARY, inline: null, filename, size, expire, tag: options.tag }, engine.now());
        }, filename)));
  } catch (error) {
    removeValueFile(engine.directory, filename); // never begun (Timeout, closed): no orphan file
    throw error;
  }
}

/** Where the live value of a key is, when it is bytes or a string. */
type StoredBytes = { filename: null; inline: Uint8Array | string } | { filename: string; size: number };

/**
 * Finds the live value of a key for getStream/getFile: `undefined` on a
 * miss; a TypeError when the value is neither bytes nor a string.
 */
function storedBytes(engine: Engine, op: string, k: StoredKey): StoredBytes | undefined {
  engine.db(op);
  let row: { mode: number; filename: string | null; size: number; value: SqliteValue; big: number } | null | undefined;
  try {
    row = engine.prepare(SQL.storedBytes).get(k.key, k.raw, engine.now()) as typeof row;
  } catch (error) {
    throw engine.translate(error, op); // a busy database is a Timeout, as for get()
  }
  if (row == null) return undefined;
  if (row.filename === null) {
    // big 1: an integer past 2^53, read as its decimal TEXT (a number, not a
    // string); big 2: text holding U+0000, read as its UTF-8 bytes.
    if (row.mode === MODE_RAW && row.big !== 1 && (row.value instanceof Uint8Array || typeof row.value === "string")) {
      return { filename: null, inline: row.value };
    }
  } else if (row.mode === MODE_BINARY || row.mode === MODE_TEXT) return { filename: row.filename, size: row.size };
  throw new TypeError(`Cannot ${op} key ${describe(k.original)}: its value is not bytes or a string; use get()`);
}

/**
 * Opens the value file `row` names and checks its size: an fd, or
 * {@linkcode MISSING} when the file is gone or not the size the row says.
 */
function openChecked(engine: Engine, row: { filename: string; size: number }): number | typeof MISSING {
  const fd = openValueFile(engine.directory, row.filename);
  if (fd === undefined) return MISSING;
  if (fstatSync(fd).size === row.size) return fd;
  closeSync(fd);
  return MISSING;
}

/**
 * The live bytes of a key for getStream/getFile, with the value file
 * already open (`fd`, `null` for an inline value); `undefined` on a miss. A
 * file that vanished after the row was read (replaced by another process)
 * means reading the row again: old or new value, never a false miss.
 */
function openStored(engine: Engine, op: string, k: StoredKey): [StoredBytes, number | null] | undefined {
  const row = storedBytes(engine, op, k);
  if (row === undefined) return undefined;
  return readFresh(engine, row, () => storedBytes(engine, op, k), (r) => r.filename === null ? null : openChecked(engine, r));
}

/** Closes the file of a stream that was dropped unread (see getStream). */
const unread = new FinalizationRegistry<{ fd: number; open: boolean }>((held) => {
  // Only a stream that was never finished gets here: done() unregisters.
  held.open = false;
  try {
    closeSync(held.fd);
  } catch { /* closed already */ }
});

/**
 * A stream of the stored bytes of `key` (strings as UTF-8), or `undefined`
 * on a miss. The value file is opened before this returns, so the stream
 * reads the value as it was even if the key is replaced or deleted
 * meanwhile (opening at the first pull instead could find the key gone, and
 * a stream already handed out would have nothing to yield). The descriptor
 * is closed when the stream ends, errors or is cancelled, and, for a stream
 * dropped unread, when it is garbage-collected.
 */
export function getStream(engine: Engine, k: StoredKey): ReadableStream<Uint8Array> | undefined {
  const found = openStored(engine, "getStream", k);
  if (found === undefined) return undefined;
  const [row, fd] = found;
  if (row.filename === null) {
    const bytes = typeof row.inline === "string" ? utf8.encode(row.inline) : new Uint8Array(row.inline);
    return new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  }
  let position = 0;
  const size = row.size;
  // The registry holds this, never the stream; `open` keeps a finalizer from
  // closing a descriptor number that was closed here and reused since.
  const held = { fd: fd!, open: true };
  const done = () => {
    if (!held.open) return;
    held.open = false;
    unread.unregister(held);
    try {
      closeSync(held.fd);
    } catch { /* closed already */ }
  };
  // A stream reads ahead: a consumer that cancels it after a chunk (a byte
  // range, a client gone) cancels with the next read in flight. cancel()
  // closes the descriptor once that read is over (closing it earlier could
  // let the read hit a descriptor number reused since), and the read's
  // bytes are dropped (enqueueing them into a cancelled stream throws).
  let reading: Promise<void> = Promise.resolve();
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const length = Math.min(CHUNK, size - position);
      if (length === 0) {
        done();
        controller.close();
        return;
      }
      return reading = new Promise<void>((resolve, reject) => {
        const bytes = Buffer.allocUnsafeSlow(length), buffer = new Uint8Array(bytes.buffer, 0, length);
        read(held.fd, buffer, 0, length, position, (error, n) => {
          if (cancelled) return resolve();
          if (error) {
            done();
            reject(error);
            return;
          }
          if (n === 0) {
            done();
            controller.error(new Error(`Cannot getStream: value file ${row.filename} shrank while being read`));
            resolve();
            return;
          }
          position += n;
          controller.enqueue(n === length ? buffer : buffer.subarray(0, n));
          resolve();
        });
      });
    },
    async cancel() {
      cancelled = true;
      await reading;
      done();
    },
  });
  unread.register(stream, held, held);
  return stream;
}

/** Copies the file at `source` into a new value file, then points the key at it. */
export async function setFile(engine: Engine, k: StoredKey, source: string, options: WriteOptions): Promise<void> {
  engine.db("setFile");
  engine.assertWritable("setFile");
  let size: number;
  try {
    const info = await fs.promises.stat(source);
    if (!info.isFile()) throw new TypeError(`Cannot setFile: "${source}" is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new TypeError(`Cannot setFile: cannot read "${source}" (${(error as { code?: string }).code ?? error}); pass the path of a readable file`, {
      cause: error,
    });
  }
  const limit = tooLarge(engine, size, `"${source}"`);
  if (limit !== undefined) throw limit; // before copying anything
  await storeInNewFile(engine, { op: "setFile", k, options, what: `"${source}"` }, async (fd, full) => {
    // Copy into the file just created (its directory can no longer be
    // pruned), then make sure the name still is that file: the copy opens
    // the destination by name.
    await fs.promises.copyFile(source, full);
    const opened = fstatSync(fd), named = lstatSync(full);
    if (!named.isFile() || named.ino !== opened.ino || named.dev !== opened.dev) {
      throw new DiskCacheError(`Cannot setFile: the value file ${full} was replaced while being written; retry`);
    }
    fchmodSync(fd, engine.modes.fileMode); // the copy takes the source's mode
    return opened.size;
  });
}

/**
 * Copies the stored bytes of `key` (strings as UTF-8) to `destination`,
 * replacing a file there; `false` on a miss (absent, expired, or the value
 * file gone or not the size the row says).
 */
export async function getFile(engine: Engine, k: StoredKey, destination: string): Promise<boolean> {
  const found = openStored(engine, "getFile", k);
  if (found === undefined) return false;
  const [row, fd] = found;
  let kept: number | undefined;
  try {
    // The copy gives the destination the value file's mode (0600): an
    // existing destination keeps its own, as with cp and an inline value (a
    // restored 0755 tool stays executable).
    kept = await existingMode(destination);
    if (row.filename === null) {
      await fs.promises.writeFile(destination, row.inline);
      return true;
    }
    // Opened without following symlinks; copy what was opened: on Linux
    // through /proc/self/fd, so the copy reads exactly the checked file.
    await fs.promises.copyFile(openedPath(fd!, fstatSync(fd!)) ?? join(engine.directory, row.filename), destination);
  } finally {
    if (fd !== null) closeSync(fd);
  }
  if (kept !== undefined) await fs.promises.chmod(destination, kept);
  return true;
}

/**
 * The permission bits of the regular file at `path`, or `undefined` when
 * there is none; a directory there is refused (the copy would fail on it
 * with an error naming /proc/self/fd).
 */
async function existingMode(path: string): Promise<number | undefined> {
  let info;
  try {
    info = await fs.promises.stat(path);
  } catch {
    return undefined;
  }
  if (info.isDirectory()) throw new TypeError(`Cannot getFile: "${path}" is a directory; pass the path of a file to write`);
  return info.isFile() ? info.mode & 0o777 : undefined;
}

/** `/proc/self/fd/<fd>` when it names the very file `fd` has open (Linux), else `undefined`. */
function openedPath(fd: number, info: { dev: number; ino: number }): string | undefined {
  const path = `/proc/self/fd/${fd}`;
  try {
    const seen = statSync(path);
    return seen.dev === info.dev && seen.ino === info.ino ? path : undefined;
  } catch {
    return undefined;
  }
}
