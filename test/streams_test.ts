import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

function valueFile(dir: string): string {
  const f = (readdirSync(dir, { recursive: true }) as string[]).find((f) => f.endsWith(".val"));
  assert.ok(f, "a value file exists");
  return join(dir, f);
}

test("DiskCache.setStream() refuses a stream larger than the whole sizeLimit under an evicting policy, and keeps it under policy none", async () => {
  using cache = tempCache({ sizeLimit: 100_000 });
  cache.set("k", "before");
  await assert.rejects(
    cache.setStream("k", new Blob([new Uint8Array(150_000)]).stream()),
    (e: Error) => e instanceof RangeError && /the stream held 150000 bytes, more than the whole sizeLimit of 100000 bytes/.test(e.message),
  );
  assert.equal(cache.get("k"), "before");
  assert.equal(valueFiles(cache.directory), 0, "the streamed file is removed");
  using none = tempCache({ sizeLimit: 100_000, evictionPolicy: "none" });
  assert.equal(await none.setStream("k", new Blob([new Uint8Array(150_000).fill(3)]).stream()), true);
  assert.deepEqual(none.get("k"), new Uint8Array(150_000).fill(3));
});

test("DiskCache.setStream() passes on a file-system error creating the value file, storing nothing", async () => {
  using cache = tempCache();
  cache.set("k", "before");
  // Every possible first-level value directory name is taken by a plain file.
  for (let i = 0; i < 256; i++) writeFileSync(join(cache.directory, i.toString(16).padStart(2, "0")), "");
  await assert.rejects(cache.setStream("k", new Blob(["data"]).stream()), (e: NodeJS.ErrnoException) => e.code === "ENOTDIR" || e.code === "EEXIST");
  assert.equal(cache.get("k"), "before");
  assert.equal(valueFiles(cache.directory), 0);
});

test("DiskCache.getStream() refuses a structured value kept in a file, and misses on a value file of the wrong size", async () => {
  using cache = tempCache({ minFileSize: 100 });
  cache.set("obj", { list: Array.from({ length: 200 }, (_, i) => i) });
  assert.equal(valueFiles(cache.directory), 1, "the structured value lives in a file");
  assert.throws(() => cache.getStream("obj"), (e: Error) => e instanceof TypeError && /"obj".*not bytes or a string; use get\(\)/.test(e.message));
  cache.clear();
  cache.set("bytes", new Uint8Array(1000).fill(1));
  truncateSync(valueFile(cache.directory), 10);
  assert.equal(cache.getStream("bytes"), undefined, "a truncated file reads as a miss, like get()");
  assert.equal(cache.get("bytes"), undefined);
});

test("DiskCache.getStream() yields what is left and then errors when the value file shrinks while being read", async () => {
  using cache = tempCache({ minFileSize: 100 });
  const bytes = new Uint8Array(100_000).map((_, i) => i & 0xff);
  cache.set("k", bytes);
  const stream = cache.getStream("k")!;
  truncateSync(valueFile(cache.directory), 40_000);
  const reader = stream.getReader();
  const first = await reader.read();
  assert.deepEqual(first.value, bytes.subarray(0, 40_000), "the part still there, as a short chunk");
  await assert.rejects(reader.read(), /Cannot getStream: value file .* shrank while being read/);
});

test("DiskCache.getStream() closes its value file when the consumer cancels", async (t) => {
  if (!existsSync("/proc/self/fd")) return t.skip("needs /proc");
  using cache = tempCache({ minFileSize: 100 });
  cache.set("k", new Uint8Array(9 << 20));
  const openFds = () => readdirSync("/proc/self/fd").length;
  const before = openFds();
  const stream = cache.getStream("k")!;
  assert.equal(openFds(), before + 1, "the stream holds the value file open");
  const reader = stream.getReader();
  assert.equal((await reader.read()).value?.length, 4 << 20);
  await reader.cancel();
  assert.equal(openFds(), before, "cancel closed it");
});
