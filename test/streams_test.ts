import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DiskCache, FanoutCache, Timeout } from "../mod.ts";
import { openDescriptors, tempCache, tempDir, valueFiles } from "./_helpers.ts";
import { holdLock, settled, tickCounter, ticksPass } from "./_lock_holder.ts";

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
  assert.equal(valueFiles(cache.directory).length, 1);
  await cache.setStream("big", new Blob(["small now"]).stream());
  assert.equal(valueFiles(cache.directory).length, 1, "the replaced value's file is removed");
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
  assert.equal(valueFiles(cache.directory).length, 0);
  await assert.rejects(cache.setStream("k", new Blob(["x"]) as never), TypeError);
  const wrong = new ReadableStream({ start: (c) => (c.enqueue("text" as never), c.close()) });
  await assert.rejects(cache.setStream("k", wrong as never), /Uint8Array chunks/);
  assert.equal(valueFiles(cache.directory).length, 0);
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
  // Buffering the value whole would grow RSS by at least its 256 MiB; a lazy
  // collector can leave a good part of the 1 MiB chunks uncollected (128 MiB
  // was reached once on a loaded machine under Deno), so the bound sits between.
  assert.ok(growth < 200, `memory grew by ${growth.toFixed(0)} MiB while moving 256 MiB`);
});

test("DiskCache.setFile() and getFile() copy files in and out: owner-only value file, ttl, tag, misses", async () => {
  using dir = tempDir();
  using cache = tempCache({ minFileSize: 1 << 20 });
  const src = join(dir.path, "in.bin"), out = join(dir.path, "out.bin");
  const bytes = pattern(7, 3 << 20);
  writeFileSync(src, bytes);
  chmodSync(src, 0o644);
  assert.equal(await cache.setFile("artifact", src, { ttl: 60_000, tag: "build" }), true);
  assert.deepEqual(cache.get("artifact"), bytes);
  assert.equal(cache.getEntry("artifact")?.tag, "build");
  const files = valueFiles(cache.directory);
  assert.equal(files.length, 1);
  assert.equal(statSync(join(cache.directory, files[0]!)).mode & 0o777, 0o600, "the copy is owner-only whatever the source's mode");
  assert.equal(await cache.getFile("artifact", out), true);
  assert.deepEqual(new Uint8Array(readFileSync(out)), bytes);
  // Replacing the key's file value removes the old file; getFile replaces the destination.
  writeFileSync(src, "second");
  await cache.setFile("artifact", src);
  assert.equal(valueFiles(cache.directory).length, 1);
  assert.equal(await cache.getFile("artifact", out), true);
  assert.equal(readFileSync(out, "utf8"), "second");
  // Inline values: bytes and strings (UTF-8); structured values are refused.
  cache.set("s", "héllo");
  assert.equal(await cache.getFile("s", out), true);
  assert.equal(readFileSync(out, "utf8"), "héllo");
  cache.set("obj", { a: 1 });
  await assert.rejects(cache.getFile("obj", out), TypeError);
  writeFileSync(out, "untouched");
  assert.equal(await cache.getFile("nope", out), false);
  assert.equal(readFileSync(out, "utf8"), "untouched", "a miss leaves the destination alone");
});

test("DiskCache.setFile() refuses what it cannot store and leaves the cache unchanged; getFile() never follows a swapped-in symlink", async () => {
  using dir = tempDir();
  using cache = tempCache({ minFileSize: 16, sizeLimit: 1 << 20 });
  cache.set("k", "old");
  await assert.rejects(cache.setFile("k", join(dir.path, "missing")), (e: Error) => e instanceof TypeError && /missing/.test(e.message));
  await assert.rejects(cache.setFile("k", dir.path), (e: Error) => e instanceof TypeError && /not a regular file/.test(e.message));
  const big = join(dir.path, "big");
  writeFileSync(big, new Uint8Array(2 << 20));
  await assert.rejects(cache.setFile("k", big), RangeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(cache.setFile("k", 42 as any), TypeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(cache.getFile("k", "" as any), (e: Error) => e instanceof TypeError && /destination/.test(e.message));
  assert.equal(cache.get("k"), "old");
  assert.equal(valueFiles(cache.directory).length, 0, "no file left behind");
  cache.set("structured", { list: Array.from({ length: 50 }, (_, i) => i) });
  await assert.rejects(cache.getFile("structured", join(dir.path, "never")), TypeError, "a structured value in a file is not bytes");
  cache.delete("structured");
  // A value file replaced by a symlink to a file outside the cache: a miss, not its bytes.
  const secret = join(dir.path, "secret");
  writeFileSync(secret, "secret bytes, same length as the value!");
  const value = "the cached value, same length as secret";
  cache.set("v", new TextEncoder().encode(value));
  const file = valueFiles(cache.directory)[0]!;
  unlinkSync(join(cache.directory, file));
  symlinkSync(secret, join(cache.directory, file));
  const out = join(dir.path, "out");
  assert.equal(await cache.getFile("v", out), false);
  assert.equal(existsSync(out), false);
  // Truncated behind the cache's back: a miss.
  unlinkSync(join(cache.directory, file));
  writeFileSync(join(cache.directory, file), "short");
  assert.equal(await cache.getFile("v", out), false);
});

test("FanoutCache.setFile() and getFile() route to the key's shard", async () => {
  using dir = tempDir();
  using cache = new FanoutCache(join(dir.path, "cache"), { shards: 3, minFileSize: 1 });
  const src = join(dir.path, "in");
  writeFileSync(src, "fanned out");
  assert.equal(await cache.setFile(["k", 1], src), true);
  assert.equal(await cache.getFile(["k", 1], join(dir.path, "out")), true);
  assert.equal(readFileSync(join(dir.path, "out"), "utf8"), "fanned out");
  assert.equal(new TextDecoder().decode(cache.shardOf(["k", 1]).get<Uint8Array>(["k", 1])), "fanned out");
});

test("setStream(), setFile() and set() survive another process pruning empty value directories meanwhile", async () => {
  using dir = tempDir();
  using cache = tempCache({ minFileSize: 1 });
  const src = join(dir.path, "src");
  writeFileSync(src, "file value");
  // Another process removing every empty value directory, over and over, as
  // a concurrent delete does: a new value file's directory can vanish
  // between its mkdir and the file's creation (ENOENT), which is retried.
  const pruner = spawn("sh", ["-c", `while :; do find '${cache.directory}' -mindepth 1 -maxdepth 2 -type d -empty -delete 2>/dev/null; done`], {
    stdio: "ignore",
  });
  try {
    for (let i = 0; i < 200; i++) {
      assert.equal(await cache.setStream(`s${i}`, new Blob([`stream value ${i}`]).stream()), true);
      assert.equal(await cache.setFile(`f${i}`, src), true);
      assert.equal(cache.set(`v${i}`, new Uint8Array([i & 0xff])), true);
      // Deleting leaves empty directories behind for the pruner.
      if (i % 2) cache.deleteMany([`s${i - 1}`, `f${i - 1}`, `v${i - 1}`]);
    }
  } finally {
    pruner.kill("SIGKILL");
  }
  assert.equal(new TextDecoder().decode(cache.get<Uint8Array>("s199")), "stream value 199");
  assert.equal(new TextDecoder().decode(cache.get<Uint8Array>("f199")), "file value");
  assert.deepEqual(cache.check().filter((w) => w.kind !== "empty-directory"), []);
});

function valueFile(dir: string): string {
  const f = valueFiles(dir)[0];
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
  assert.equal(valueFiles(cache.directory).length, 0, "the streamed file is removed");
  using none = tempCache({ sizeLimit: 100_000, evictionPolicy: "none" });
  assert.equal(await none.setStream("k", new Blob([new Uint8Array(150_000).fill(3)]).stream()), true);
  assert.deepEqual(none.get("k"), new Uint8Array(150_000).fill(3));
});

test("DiskCache.setStream(): a sizeLimit lowered while the stream was read refuses the whole value at its end, and removes its file", async () => {
  using cache = tempCache({ sizeLimit: 100_000 });
  cache.set("k", "before");
  let pulls = 0;
  // Pulled only when read (highWaterMark 0): the second pull comes after the chunk passed the check and was written.
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) return controller.enqueue(new Uint8Array(5000));
      // Another writer of the Settings lowers the limit before the stream ends.
      cache.updateSettings({ sizeLimit: 1000 });
      controller.close();
    },
  }, { highWaterMark: 0 });
  await assert.rejects(
    cache.setStream("k", stream),
    (e: Error) => e instanceof RangeError && /the stream held 5000 bytes, more than the whole sizeLimit of 1000 bytes/.test(e.message),
  );
  assert.equal(cache.get("k"), "before");
  assert.equal(valueFiles(cache.directory).length, 0, "the streamed file is removed");
});

test("DiskCache.setStream() passes on a file-system error creating the value file, storing nothing", async () => {
  using cache = tempCache();
  cache.set("k", "before");
  // Every possible first-level value directory name is taken by a plain file.
  for (let i = 0; i < 256; i++) writeFileSync(join(cache.directory, i.toString(16).padStart(2, "0")), "");
  await assert.rejects(cache.setStream("k", new Blob(["data"]).stream()), (e: NodeJS.ErrnoException) => e.code === "ENOTDIR" || e.code === "EEXIST");
  assert.equal(cache.get("k"), "before");
  assert.equal(valueFiles(cache.directory).length, 0);
});

test("DiskCache.getStream() refuses a structured value kept in a file, and misses on a value file of the wrong size", () => {
  using cache = tempCache({ minFileSize: 100 });
  cache.set("obj", { list: Array.from({ length: 200 }, (_, i) => i) });
  assert.equal(valueFiles(cache.directory).length, 1, "the structured value lives in a file");
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
  // Descriptors of the value file only: the runtime may open or close others
  // of its own meanwhile (Bun does).
  const file = valueFile(cache.directory);
  const openFds = () => openDescriptors((target) => target === file);
  const before = openFds();
  assert.equal(before, 0);
  const stream = cache.getStream("k")!;
  assert.equal(openFds(), before + 1, "the stream holds the value file open");
  const reader = stream.getReader();
  assert.equal((await reader.read()).value?.length, 4 << 20);
  await reader.cancel();
  assert.equal(openFds(), before, "cancel closed it");
});

test("getStream(): cancelling a stream already read to its end is harmless; FanoutCache.setFile passes errors other than a busy shard", async () => {
  using cache = tempCache({ minFileSize: 1 });
  cache.set("k", new Uint8Array(10).fill(1));
  const stream = cache.getStream("k")!;
  const reader = stream.getReader();
  let total = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
  assert.equal(total, 10);
  await reader.cancel();
  using dir = tempDir();
  using fanout = new FanoutCache(join(dir.path, "f"), { shards: 2 });
  await assert.rejects(fanout.setFile("k", join(dir.path, "missing")), TypeError);
});

test("DiskCache.getStream() of an inline string and of bytes written with a tag and ttl", async () => {
  using cache = tempCache();
  cache.set("t", "inline text", { ttl: 60_000, tag: "x" });
  assert.equal(await new Response(cache.getStream("t")).text(), "inline text");
  const reader = cache.getStream("t")!.getReader();
  await reader.cancel();
  assert.equal(cache.getEntry("t")?.tag, "x");
  const d = new DiskCache(cache.directory);
  d.close();
  assert.throws(() => d.getStream("t"), /closed/);
});

test("DiskCache: an ArrayBuffer key is the same raw key as its bytes; streams take raw keys", async () => {
  using cache = tempCache();
  cache.set(new Uint8Array([1, 2, 3]).buffer, "from a buffer");
  assert.equal(cache.get(new Uint8Array([1, 2, 3])), "from a buffer");
  await cache.setStream(7, new Blob(["streamed under a number key"]).stream());
  assert.equal(await new Response(cache.getStream(7n)).text(), "streamed under a number key");
  assert.deepEqual([...cache.keys()].sort(), [7, new Uint8Array([1, 2, 3])].sort());
});

test("DiskCache streams take structured keys like every other method", async () => {
  using cache = tempCache();
  await cache.setStream(["user", 1], new Blob(["streamed"]).stream(), { tag: "t" });
  assert.equal(await new Response(cache.getStream(["user", 1])).text(), "streamed");
  assert.deepEqual(cache.get(["user", 1]), new TextEncoder().encode("streamed"));
  assert.equal(cache.getStream(["user", 2]), undefined);
});

test("DiskCache.getFile() onto an existing file keeps its permissions, for a value in a file as for one inline (as cp does)", async () => {
  using dir = tempDir();
  using cache = tempCache({ minFileSize: 1000 });
  const out = join(dir.path, "tool");
  cache.set("big", "x".repeat(5000));
  cache.set("small", "y");
  for (const [key, mode] of [["big", 0o755], ["small", 0o755], ["big", 0o640], ["small", 0o604]] as const) {
    writeFileSync(out, "old");
    chmodSync(out, mode);
    assert.equal(await cache.getFile(key, out), true);
    assert.equal(readFileSync(out, "utf8"), key === "big" ? "x".repeat(5000) : "y");
    assert.equal(statSync(out).mode & 0o777, mode, `${key}: a restored ${mode.toString(8)} file keeps its mode`);
  }
  // A new destination gets the value file's owner-only mode, as cp gives a new copy its source's.
  unlinkSync(out);
  assert.equal(await cache.getFile("big", out), true);
  assert.equal(statSync(out).mode & 0o077, 0);
});

test("DiskCache.getFile() onto a directory refuses it, naming the destination, for a value in a file as for one inline", async () => {
  using dir = tempDir();
  using cache = tempCache({ minFileSize: 1000 });
  cache.set("big", "x".repeat(5000));
  cache.set("small", "y");
  for (const key of ["big", "small"]) {
    await assert.rejects(
      cache.getFile(key, dir.path),
      (e: Error) => e instanceof TypeError && e.message === `Cannot getFile: "${dir.path}" is a directory; pass the path of a file to write`,
    );
  }
  assert.equal(await cache.getFile("missing", dir.path), false, "a miss writes nothing, and checks nothing");
});

test("DiskCache.setStream() and setFile() wait for another process's write lock on timers; past timeout they reject with Timeout and leave no value file", async () => {
  using dir = tempDir();
  using cache = new DiskCache(join(dir.path, "c"), { minFileSize: 1024, timeout: 60_000 });
  const source = join(dir.path, "source.bin");
  writeFileSync(source, pattern(2, 5000));
  const counter = tickCounter();
  try {
    let holder = await holdLock(cache.directory);
    const streaming = cache.setStream("s", new Blob([pattern(1, 5000)]).stream());
    const copying = cache.setFile("f", source);
    await ticksPass(counter, 20);
    assert.equal(await settled(streaming), false, "the stream's row waits for the lock, on timers");
    assert.equal(await settled(copying), false);
    await holder.commit();
    assert.deepEqual([await streaming, await copying], [true, true]);
    assert.deepEqual(cache.get("s"), pattern(1, 5000));
    assert.deepEqual(cache.get("f"), pattern(2, 5000));
    const kept = valueFiles(cache.directory);
    assert.equal(kept.length, 2);
    using impatient = new DiskCache(cache.directory, { timeout: 50 });
    holder = await holdLock(cache.directory);
    try {
      await assert.rejects(impatient.setStream("late", new Blob([pattern(3, 5000)]).stream()), Timeout);
      await assert.rejects(impatient.setFile("late", source), Timeout);
    } finally {
      await holder.commit();
    }
    assert.deepEqual(valueFiles(cache.directory), kept, "no orphan value file");
    assert.equal(cache.has("late"), false);
  } finally {
    counter.stop();
  }
});
