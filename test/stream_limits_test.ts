// setStream stops at the size limit and on close(); getStream's descriptors
// do not outlive streams dropped unread (issue 12).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCacheError } from "../mod.ts";
import { tempCache, tempDir, valueFiles } from "./_helpers.ts";

test("DiskCache.setStream() stops pulling and cancels its source as soon as the value passes sizeLimit", async () => {
  using cache = tempCache({ sizeLimit: 500_000 });
  cache.set("k", "before");
  let pulled = 0, cancelled: unknown = "no";
  const chunk = 64 * 1024, total = 20 << 20;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      pulled += chunk;
      controller.enqueue(new Uint8Array(chunk));
    },
    cancel(reason) {
      cancelled = reason;
    },
  }, { highWaterMark: 0 });
  await assert.rejects(cache.setStream("k", source), (e: Error) => e instanceof RangeError && /sizeLimit of 500000 bytes/.test(e.message));
  assert.ok(pulled <= 500_000 + chunk, `pulled ${pulled} bytes of a 20 MiB stream with a 500 KB limit`);
  assert.ok(cancelled instanceof RangeError, "the source was cancelled with the error");
  assert.equal(cache.get("k"), "before");
  assert.equal(valueFiles(cache.directory).length, 0, "the partial file is removed");
});

test("DiskCache.setFile() refuses a file larger than sizeLimit before copying it", async () => {
  using dir = tempDir();
  using cache = tempCache({ sizeLimit: 100_000 });
  const src = join(dir.path, "big");
  writeFileSync(src, new Uint8Array(200_000));
  await assert.rejects(cache.setFile("k", src), (e: Error) => e instanceof RangeError && /"[^"]*big" held 200000 bytes/.test(e.message));
  assert.equal(valueFiles(cache.directory).length, 0);
});

test("DiskCache.close() during setStream() rejects it with the closed error and leaves no file", async () => {
  const cache = tempCache();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let sent = 0;
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent++ === 0) return controller.enqueue(new Uint8Array(100_000).fill(1));
      await gate;
      controller.close();
    },
  });
  try {
    const storing = cache.setStream("k", source);
    while (valueFiles(cache.directory).length === 0 || sent < 2) await new Promise((r) => setImmediate(r));
    cache.close();
    release();
    await assert.rejects(storing, (e: Error) => e instanceof DiskCacheError && /closed/.test(e.message));
    assert.equal(valueFiles(cache.directory).length, 0, "the unfinished value file is removed");
  } finally {
    cache[Symbol.dispose]();
  }
});
