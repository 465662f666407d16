// The HTTP front ends' storage layout (src/http/_records.ts) on its own: a
// variant whose body item is gone, a URL left with no variant, and the body
// sink's errors (writes after the end or after a failure, a writer waiting
// for room when the cache stops reading or cannot store).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BodySink, commitVariant, readVariants, TooLarge, type Variant } from "../src/http/_records.ts";
import { tempCache } from "./_helpers.ts";

const variant = (over: Partial<Variant<Record<string, never>>>): Variant<Record<string, never>> => ({
  method: "GET",
  deleteAt: Date.now() + 60_000,
  size: 0,
  meta: {},
  ...over,
});

test("commitVariant(): a variant whose body item is gone is not stored; a URL left with no variant loses its item", () => {
  using shard = tempCache();
  assert.equal(commitVariant(shard, "u", variant({ body: new Uint8Array([1, 2]) }), () => false), true);
  assert.equal(readVariants(shard, "u", Date.now()).length, 1);
  assert.equal(commitVariant(shard, "u", variant({ file: "b:evicted", size: 3 }), () => true), false, "its body is gone");
  assert.equal(shard.has("u"), false, "the variant it replaced is dropped, and nothing is left");
});

test("commitVariant() with inlineBelow keeps the URL item in its row", () => {
  using shard = tempCache({ minFileSize: 16 });
  const body = new Uint8Array(100).fill(7);
  assert.equal(commitVariant(shard, "u", variant({ body }), () => false, 1 << 20), true);
  assert.equal(shard.inspect("u")?.storage, "inline", "though past minFileSize");
  assert.deepEqual(readVariants(shard, "u", Date.now())[0]?.body, body);
});

test("BodySink: a body kept in memory has no file key; a write after the end or after a failure rejects with why", async () => {
  using shard = tempCache();
  const sink = new BodySink(shard, { maxSize: 100, ttl: 60_000, prefix: "b:" });
  assert.equal(sink.write(new Uint8Array(10)), undefined, "in memory: no waiting");
  assert.equal(sink.fileKey, undefined);
  assert.deepEqual(await sink.finish(), { size: 10, body: new Uint8Array(10) });
  await assert.rejects(async () => await sink.write(new Uint8Array(1)), /Cannot write a response body: it has already ended/);
  const big = new BodySink(shard, { maxSize: 100, ttl: 60_000, prefix: "b:" });
  await assert.rejects(async () => await big.write(new Uint8Array(101)), TooLarge);
  await assert.rejects(async () => await big.write(new Uint8Array(1)), /passed maxEntrySize \(100 bytes\)/, "the same failure again");
});

test("BodySink: abort() after finish() removes the finished file", async () => {
  using shard = tempCache({ minFileSize: 16 });
  const sink = new BodySink(shard, { maxSize: 1000, ttl: 60_000, prefix: "b:" });
  await sink.write(new Uint8Array(100).fill(1));
  const key = sink.fileKey!;
  assert.deepEqual(await sink.finish(), { size: 100, file: key });
  assert.equal(shard.inspect(key)?.storage, "file");
  await sink.abort();
  assert.equal(shard.has(key), false);
});

/** Writes chunks without awaiting until one must wait for room in the file's stream; answers that write. */
function fillUntilWaiting(sink: BodySink): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const w = sink.write(new Uint8Array(64));
    if (w !== undefined) {
      // In memory then streaming: the first writes resolve at once, the 9th waits for the reader.
      if (i >= 8) return w;
      w.catch(() => {});
    }
  }
  throw new Error("no write ever waited");
}

test("BodySink: a writer waiting for room is released with an error when the cache is closed, or cannot create the body's file", async () => {
  const closing = tempCache({ minFileSize: 16 });
  try {
    const sink = new BodySink(closing, { maxSize: 1 << 20, ttl: 60_000, prefix: "b:" });
    const waiting = fillUntilWaiting(sink);
    closing.close();
    await assert.rejects(waiting, /Cannot store the response body: the cache stopped reading it/);
  } finally {
    closing[Symbol.dispose]();
  }
  using blocked = tempCache({ minFileSize: 16 });
  // Every possible first-level value directory name is taken by a plain file.
  for (let i = 0; i < 256; i++) writeFileSync(join(blocked.directory, i.toString(16).padStart(2, "0")), "");
  const sink = new BodySink(blocked, { maxSize: 1 << 20, ttl: 60_000, prefix: "b:" });
  await assert.rejects(fillUntilWaiting(sink), (e: NodeJS.ErrnoException) => e.code === "ENOTDIR" || e.code === "EEXIST");
});
