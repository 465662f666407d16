/**
 * Large values as web streams: `setStream` writes a `ReadableStream` into a
 * value file chunk by chunk, `getStream` reads one back the same way; neither
 * holds the value in memory whole.
 *
 * @module
 */
import { closeSync, fstatSync, mkdirSync } from "node:fs";
import { read } from "node:fs";
import { open as openAsync } from "node:fs/promises";
import { join } from "node:path";
import type { SqliteValue } from "./driver.ts";
import type { Engine } from "./_engine.ts";
import { describe } from "./errors.ts";
import { openValueFile, randomFilename, removeValueFile } from "./disk.ts";
import { bigFlag, MODE_BINARY, MODE_RAW, MODE_TEXT, safeInt } from "./schema.ts";
import { put } from "./_ops.ts";

const CHUNK = 4 << 20;
const utf8 = new TextEncoder();

/** Streams `stream` into a new value file, then points the key at it in one transaction. */
export async function setStream(
  engine: Engine,
  key: SqliteValue,
  raw: number,
  stream: ReadableStream<Uint8Array>,
  ttl: number | undefined,
  tag: SqliteValue,
): Promise<void> {
  engine.db("setStream");
  engine.assertWritable("setStream");
  const filename = randomFilename();
  const full = join(engine.directory, filename);
  let handle;
  try {
    mkdirSync(join(engine.directory, filename.slice(0, 5)), { recursive: true, mode: engine.modes.dirMode });
    handle = await openAsync(full, "wx", engine.modes.fileMode);
  } catch (error) {
    throw engine.fileError(error, "setStream");
  }
  let size = 0;
  try {
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) {
          throw new TypeError(`Cannot setStream: the stream must yield Uint8Array chunks: received ${describe(value)}`);
        }
        let off = 0;
        while (off < value.length) off += (await handle.write(value, off, value.length - off)).bytesWritten;
        size += value.length;
      }
    } finally {
      reader.releaseLock();
    }
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => {});
    removeValueFile(engine.directory, filename);
    throw engine.fileError(error, "setStream");
  }
  if (size > engine.settings.sizeLimit && engine.policy.order !== null) {
    removeValueFile(engine.directory, filename);
    throw new RangeError(
      `Cannot store value: the stream held ${size} bytes, more than the whole sizeLimit of ${engine.settings.sizeLimit} bytes; raise sizeLimit or store it elsewhere`,
    );
  }
  const expire = ttl === undefined ? null : engine.expireAt(ttl);
  engine.write("setStream", () => {
    put(engine, { key, raw, mode: MODE_BINARY, inline: null, filename, size, expire, tag }, engine.now());
  }, filename);
}

/**
 * A stream of the stored bytes of `key` (strings as UTF-8), or `undefined`
 * on a miss. The value file is opened before this returns, so the stream
 * reads the value as it was even if the key is replaced meanwhile.
 */
export function getStream(engine: Engine, key: SqliteValue, raw: number, original: unknown): ReadableStream<Uint8Array> | undefined {
  engine.db("getStream");
  const row = engine.prepare(
    `SELECT mode, filename, size, ${safeInt("value")} AS value, ${bigFlag("value")} AS big FROM Cache WHERE key = ? AND raw = ? AND (expire_time IS NULL OR expire_time > ?)`,
  ).get(key, raw, engine.now()) as { mode: number; filename: string | null; size: number; value: SqliteValue } | null | undefined;
  if (row == null) return undefined;
  if (row.filename === null) {
    let bytes: Uint8Array;
    if (row.mode === MODE_RAW && row.value instanceof Uint8Array) bytes = new Uint8Array(row.value);
    else if (row.mode === MODE_RAW && typeof row.value === "string") bytes = utf8.encode(row.value);
    else {
      throw new TypeError(`Cannot getStream key ${describe(original)}: its value is not bytes or a string; use get()`);
    }
    return new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  }
  if (row.mode !== MODE_BINARY && row.mode !== MODE_TEXT) {
    throw new TypeError(`Cannot getStream key ${describe(original)}: its value is not bytes or a string; use get()`);
  }
  const fd = openValueFile(engine.directory, row.filename);
  if (fd === undefined) return undefined;
  if (fstatSync(fd).size !== row.size) {
    closeSync(fd);
    return undefined;
  }
  let position = 0;
  const size = row.size;
  const done = () => {
    try {
      closeSync(fd);
    } catch { /* closed already */ }
  };
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const length = Math.min(CHUNK, size - position);
      if (length === 0) {
        done();
        controller.close();
        return;
      }
      return new Promise<void>((resolve, reject) => {
        const buffer = new Uint8Array(length);
        read(fd, buffer, 0, length, position, (error, n) => {
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
    cancel() {
      done();
    },
  });
}
