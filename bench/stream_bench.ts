// Workload 3, large values: one value of --mib MiB through setFile/getFile
// (copies by the file system, for values that are files), setStream
// (file -> cache) and getStream (cache -> file), each once through Node's
// stream adapters (Readable.toWeb / Writable.toWeb, what Node code would
// write) and once through minimal web streams over a file handle (the
// cache's own cost), against `cp` of the same
// bytes on the same disk (the disk's own speed), with `dd bs=4M` (a copy
// through user space) and fs.copyFileSync (cp's in-kernel copy without
// starting a process, which dominates cp's time for small files) as further
// yardsticks. Below --plain-max MiB (default 16), plain set() of a
// Uint8Array and get() are timed too. Each operation runs --reps times,
// interleaved, and its median time is kept; the peak RSS (VmHWM) of each
// operation is measured by resetting the peak before it. One size per
// process, so sizes do not share a peak. Prints one JSON line.
//   node bench/stream_bench.ts [--mib 1024] [--reps 1] [--dir /tmp]
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Readable, Writable } from "node:stream";
import { DiskCache } from "../mod.ts";
import { numArg, peakRssMiB, resetPeakRss, rssNowMiB, runtimeName, strArg } from "./_common.ts";

const args = process.argv.slice(2);
const MIB = numArg(args, "mib", 1024);
const REPS = numArg(args, "reps", 1);
const PLAIN_MAX = numArg(args, "plain-max", 16);
const dir = mkdtempSync(join(strArg(args, "dir", tmpdir()), "diskcache-bench-"));
const BYTES = MIB * 2 ** 20;

// Minimal web streams over a file, without Node's stream adapters (which
// cost as much as the copy itself): what the cache's own path costs.
function fileSource(path: string, chunk = 4 << 20): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      handle ??= await open(path);
      const buffer = new Uint8Array(chunk);
      const { bytesRead } = await handle.read(buffer, 0, chunk, null);
      if (bytesRead === 0) {
        await handle.close();
        controller.close();
      } else controller.enqueue(bytesRead === chunk ? buffer : buffer.subarray(0, bytesRead));
    },
    async cancel() {
      await handle?.close();
    },
  });
}
function fileSink(path: string): WritableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      handle ??= await open(path, "w");
      for (let off = 0; off < chunk.length;) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
    },
    async close() {
      await (handle ?? await open(path, "w")).close();
    },
  });
}
try {
  const src = join(dir, "source.bin");
  const fd = openSync(src, "w");
  const block = new Uint8Array(Math.min(BYTES, 1 << 20));
  for (let off = 0, i = 0; off < BYTES; off += block.length, i++) {
    block[0] = i & 0xff;
    writeSync(fd, block);
  }
  closeSync(fd);
  const cache = new DiskCache(join(dir, "cache"), { sizeLimit: 2 ** 42 });
  const copy = join(dir, "copy.bin"), out = join(dir, "out.bin");
  const plain = MIB <= PLAIN_MAX;
  const inMemory = plain ? new Uint8Array(BYTES).fill(7) : undefined;
  const baseRss = rssNowMiB().rss;

  const ops: Record<string, () => unknown> = {
    cp: () => execFileSync("cp", [src, copy]),
    "dd bs=4M": () => execFileSync("dd", [`if=${src}`, `of=${copy}`, "bs=4M", "status=none"]),
    "fs.copyFileSync": () => copyFileSync(src, copy),
    "setStream ← Readable.toWeb(createReadStream)": () =>
      cache.setStream("big", Readable.toWeb(createReadStream(src, { highWaterMark: 1 << 20 })) as ReadableStream<Uint8Array>),
    "setStream ← file read in 4 MiB chunks": () => cache.setStream("big", fileSource(src)),
    "getStream → Writable.toWeb(createWriteStream)": () => cache.getStream("big")!.pipeTo(Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>),
    "getStream → file written chunk by chunk": () => cache.getStream("big")!.pipeTo(fileSink(out)),
    "setFile (file -> cache, the file system's copy)": () => cache.setFile("file", src),
    "getFile (cache -> file, the file system's copy)": async () => {
      if (!(await cache.getFile("file", out))) throw new Error("getFile missed");
    },
    ...(plain
      ? {
        "set (Uint8Array -> cache)": () => cache.set("plain", inMemory!),
        "get (cache -> Uint8Array)": () => {
          if ((cache.get("plain") as Uint8Array).length !== BYTES) throw new Error("get returned the wrong number of bytes");
        },
      }
      : {}),
  };
  const checkOut = () => {
    if (statSync(out).size !== BYTES) throw new Error("getStream wrote the wrong number of bytes");
    rmSync(out);
  };
  const cleanup: Record<string, () => void> = {
    cp: () => rmSync(copy),
    "dd bs=4M": () => rmSync(copy),
    "fs.copyFileSync": () => rmSync(copy),
    "getStream → Writable.toWeb(createWriteStream)": checkOut,
    "getStream → file written chunk by chunk": checkOut,
    "getFile (cache -> file, the file system's copy)": checkOut,
  };
  const times: Record<string, number[]> = {};
  const peaks: Record<string, number> = {}, starts: Record<string, number> = {};
  const canReset = resetPeakRss();
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, op] of Object.entries(ops)) {
      resetPeakRss();
      const start = rssNowMiB().rss;
      const t = performance.now();
      await op();
      (times[name] ??= []).push((performance.now() - t) / 1000);
      const peak = peakRssMiB();
      if (peak > (peaks[name] ?? 0)) peaks[name] = peak, starts[name] = start;
      cleanup[name]?.();
    }
  }
  cache.close();
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  // peakRssMiB: the process's peak during the operation (its worst
  // repetition); rssBeforeMiB: the RSS just before that repetition began.
  const results: Record<string, { seconds: number; mibPerSec: number; peakRssMiB: number; rssBeforeMiB: number }> = {};
  for (const [name, xs] of Object.entries(times)) {
    const s = median(xs);
    results[name] = { seconds: s, mibPerSec: MIB / s, peakRssMiB: peaks[name]!, rssBeforeMiB: starts[name]! };
  }
  console.log(JSON.stringify({
    runtime: runtimeName(),
    mib: MIB,
    reps: REPS,
    baseRssMiB: baseRss,
    // Without a resettable peak (not Linux), each figure is the process's peak so far.
    perOpPeak: canReset,
    results,
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
