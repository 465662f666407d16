// The directory under the budget (issue 26): cache.db, its -wal and -shm,
// and the value files together stay within `sizeLimit` plus the documented
// slack (docs/api.md, "What the directory holds"), the write-ahead log included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { directoryBytes, rawOpen, tempDir } from "./_helpers.ts";

/** Bytes of the -wal file (0 when there is none). */
function walBytes(directory: string): number {
  try {
    return statSync(join(directory, "cache.db-wal")).size;
  } catch {
    return 0;
  }
}

/**
 * The documented bound: `sizeLimit`, plus the log's share (a sixteenth of
 * the limit, at least 32 pages, in frames of a page and 24 bytes), the
 * 32 KiB -shm, and the value being written (culled only once stored).
 */
function bound(sizeLimit: number, largestValue: number, pageSize = 4096): number {
  const walPages = Math.max(32, Math.min(1000, Math.floor(sizeLimit / 16 / pageSize)));
  return sizeLimit + 32 + walPages * (pageSize + 24) + 32 * 1024 + largestValue;
}

/**
 * The most the -wal file of a 1 MB cache holds: its 32 pages, plus the pages
 * of the write that reaches them (checkpointed at its commit, truncated at the
 * next): an inline value of up to 31 kB (8 pages) and the index and Settings
 * pages it changes (up to 16 here).
 */
const WAL_MOST = 32 + (32 + 8 + 16) * (4096 + 24);

/** 10 MB of values of 1 to 90 kB, a third of them over minFileSize (value files), the rest inline. */
function* mixedValues(total: number): Generator<[string, Uint8Array]> {
  let written = 0;
  for (let i = 0; written < total; i++) {
    const size = i % 3 === 0 ? 40_000 + (i * 7919) % 50_000 : 1_000 + (i * 104_729) % 30_000;
    written += size;
    yield [`key-${i}`, new Uint8Array(size).fill(i % 251)];
  }
}

test("with sizeLimit 1 MB, writing 10 MB of inline and file values keeps the whole directory under the documented bound", () => {
  using dir = tempDir();
  const sizeLimit = 1_000_000;
  using cache = new DiskCache(dir.path, { sizeLimit });
  let most = 0;
  for (const [key, value] of mixedValues(10_000_000)) {
    cache.set(key, value);
    most = Math.max(most, directoryBytes(dir.path));
  }
  assert.ok(most <= bound(sizeLimit, 90_000), `the directory reached ${most} bytes, over ${bound(sizeLimit, 90_000)}`);
  assert.ok(cache.volume() <= sizeLimit);
  assert.ok(walBytes(dir.path) <= WAL_MOST, `the WAL is ${walBytes(dir.path)} bytes`);
});

test("a sizeLimit lowered by another connection bounds this connection's WAL from its next write", () => {
  using dir = tempDir();
  using big = new DiskCache(dir.path); // 1 GiB: SQLite's default checkpointing (about 4 MiB of log)
  {
    using other = new DiskCache(dir.path);
    other.updateSettings({ sizeLimit: 1_000_000 });
  }
  let most = 0;
  for (const [key, value] of mixedValues(10_000_000)) {
    big.set(key, value);
    most = Math.max(most, directoryBytes(dir.path));
  }
  assert.equal(big.settings.sizeLimit, 1_000_000);
  assert.ok(most <= bound(1_000_000, 90_000), `the directory reached ${most} bytes, over ${bound(1_000_000, 90_000)}`);
});

test("updateSettings({ sizeLimit }) re-derives the WAL's share on this connection", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  cache.updateSettings({ sizeLimit: 1_000_000 });
  let most = 0;
  for (const [key, value] of mixedValues(5_000_000)) {
    cache.set(key, value);
    most = Math.max(most, walBytes(dir.path));
  }
  assert.ok(most <= WAL_MOST, `the WAL reached ${most} bytes`);
});

test("a reader holding a snapshot lets the WAL grow (SQLite cannot checkpoint past it); once it ends, the next writes truncate the log", () => {
  using dir = tempDir();
  const sizeLimit = 1_000_000;
  using cache = new DiskCache(dir.path, { sizeLimit });
  cache.set("first", 1);
  const reader = rawOpen(join(dir.path, "cache.db"));
  try {
    reader.exec("BEGIN");
    reader.prepare("SELECT COUNT(*) FROM Cache").get();
    for (const [key, value] of mixedValues(3_000_000)) cache.set(key, value);
    const held = walBytes(dir.path);
    assert.ok(held > WAL_MOST, `the WAL stays ${held} bytes while the reader holds its snapshot`);
    reader.exec("COMMIT");
  } finally {
    reader.close();
  }
  // The first write after the reader left checkpoints the log whole; the next restarts it and truncates the file.
  for (let i = 0; i < 20; i++) cache.set(`after-${i}`, "x".repeat(100));
  assert.ok(walBytes(dir.path) <= WAL_MOST, `the WAL is ${walBytes(dir.path)} bytes after the reader left`);
  assert.ok(directoryBytes(dir.path) <= bound(sizeLimit, 0));
});
