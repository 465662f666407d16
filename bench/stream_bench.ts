// A large value through setStream/getStream against `cp` of the same bytes on
// the same disk (the disk's own speed). Prints one JSON line: MiB/s of cp,
// setStream (file -> cache) and getStream (cache -> file), and peak RSS.
//   node bench/stream_bench.ts [--mib 1024]
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Readable, Writable } from "node:stream";
import { DiskCache } from "../mod.ts";

const args = process.argv.slice(2);
const MIB = Number(args[args.indexOf("--mib") + 1] || 1024);
const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-"));
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
try {
  const src = join(dir, "source.bin");
  const fd = openSync(src, "w");
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < MIB; i++) {
    block[0] = i & 0xff;
    writeSync(fd, block);
  }
  closeSync(fd);
  const time = async (fn: () => unknown) => {
    const t = performance.now();
    await fn();
    return (performance.now() - t) / 1000;
  };
  const cpSeconds = await time(() => execFileSync("cp", [src, join(dir, "copy.bin")]));
  rmSync(join(dir, "copy.bin"));
  // coreutils cp copies in the kernel (copy_file_range); dd through user space is the other yardstick.
  const ddSeconds = await time(() => execFileSync("dd", [`if=${src}`, `of=${join(dir, "copy.bin")}`, "bs=4M", "status=none"]));
  rmSync(join(dir, "copy.bin"));
  const cache = new DiskCache(join(dir, "cache"), { sizeLimit: 2 ** 40 });
  const setSeconds = await time(() =>
    cache.setStream("big", Readable.toWeb(createReadStream(src, { highWaterMark: 1 << 20 })) as ReadableStream<Uint8Array>)
  );
  const out = join(dir, "out.bin");
  const getSeconds = await time(() => cache.getStream("big")!.pipeTo(Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>));
  if (statSync(out).size !== MIB * 2 ** 20) throw new Error("getStream wrote the wrong number of bytes");
  cache.close();
  const mibs = (s: number) => MIB / s;
  console.log(JSON.stringify({
    runtime: `node ${process.version}`,
    mib: MIB,
    cp: mibs(cpSeconds),
    dd: mibs(ddSeconds),
    setStream: mibs(setSeconds),
    getStream: mibs(getSeconds),
    peakRssMiB: peak / 2 ** 20,
  }));
} finally {
  clearInterval(sample);
  rmSync(dir, { recursive: true, force: true });
}
