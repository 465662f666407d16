import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tempCache } from "./_helpers.ts";

function valueFiles(dir: string): number {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".val")).length;
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function pattern(i: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let j = 0; j < size; j += 997) out[j] = (i + j) & 0xff;
  return out;
}

test("DiskCache.setStream() and getStream() round-trip bytes through a value file", async () => {
  using cache = tempCache();
  const chunks = Array.from({ length: 10 }, (_, i) => pattern(i, 300_000));
  assert.equal(await cache.setStream("big", new Blob(chunks).stream(), { tag: "t", ttl: 60_000 }), true);
  const expected = new Uint8Array(await new Blob(chunks).arrayBuffer());
  assert.deepEqual(await bytesOf(cache.getStream("big")!), expected);
  assert.deepEqual(cache.get("big"), expected);
  assert.equal(cache.getEntry("big")?.tag, "t");
  assert.equal(valueFiles(cache.directory), 1);
  await cache.setStream("big", new Blob(["small now"]).stream());
  assert.equal(valueFiles(cache.directory), 1, "the replaced value's file is removed");
  assert.deepEqual(cache.check(), []);
});

test("DiskCache.getStream() streams inline bytes and strings, and misses", async () => {
  using cache = tempCache();
  cache.set("b", new Uint8Array([1, 2]));
  cache.set("s", "héllo");
  cache.set("n", 5);
  assert.deepEqual(await bytesOf(cache.getStream("b")!), new Uint8Array([1, 2]));
  assert.equal(new TextDecoder().decode(await bytesOf(cache.getStream("s")!)), "héllo");
  assert.equal(cache.getStream("missing"), undefined);
  assert.throws(() => cache.getStream("n"), (e: Error) => e instanceof TypeError && /"n".*use get\(\)/.test(e.message));
});

test("DiskCache.getStream() keeps yielding the value it opened when the key is replaced meanwhile", async () => {
  using cache = tempCache({ minFileSize: 10 });
  const old = pattern(7, 3_000_000);
  cache.set("k", old);
  const stream = cache.getStream("k")!;
  cache.set("k", "replaced");
  assert.deepEqual(await bytesOf(stream), old);
  assert.equal(cache.get("k"), "replaced");
});

test("DiskCache.setStream() stores nothing when the stream fails, and leaves no file", async () => {
  using cache = tempCache();
  cache.set("k", "before");
  let n = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (n++ < 3) controller.enqueue(new Uint8Array(100_000));
      else controller.error(new Error("source broke"));
    },
  });
  await assert.rejects(cache.setStream("k", failing), /source broke/);
  assert.equal(cache.get("k"), "before");
  assert.equal(valueFiles(cache.directory), 0);
  await assert.rejects(cache.setStream("k", new Blob(["x"]) as never), TypeError);
  const wrong = new ReadableStream({ start: (c) => (c.enqueue("text" as never), c.close()) });
  await assert.rejects(cache.setStream("k", wrong as never), /Uint8Array chunks/);
  assert.equal(valueFiles(cache.directory), 0);
});

test("DiskCache streams move a 256 MiB value in and out with bounded memory", async () => {
  using cache = tempCache();
  const total = 256, chunk = new Uint8Array(1 << 20).fill(42);
  const before = process.memoryUsage().rss;
  let peak = before, sent = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      peak = Math.max(peak, process.memoryUsage().rss);
      if (sent++ < total) controller.enqueue(chunk.slice());
      else controller.close();
    },
  });
  await cache.setStream("huge", source);
  let received = 0;
  const reader = cache.getStream("huge")!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    if (received % (16 << 20) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  assert.equal(received, total << 20);
  const growth = (peak - before) / 2 ** 20;
  assert.ok(growth < 128, `memory grew by ${growth.toFixed(0)} MiB while moving 256 MiB`);
});
