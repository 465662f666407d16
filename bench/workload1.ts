// python-diskcache's core benchmark run on this library (see workload1.py and
// bench/peers/_workload.ts for the loop): DiskCache, or FanoutCache with 4
// shards and a 1 s timeout like python-diskcache's FanoutCache(4, 1.0);
// "memory" and "memory1": DiskCache with the memory tier (64 MiB) at
// staleness 0 and 1 ms (bench/sections/memory.mjs).
//   <runtime> bench/workload1.ts <dir> <ops> [fanout|memory|memory1] [--worker N] [--go FILE]
import { DiskCache, FanoutCache } from "../mod.ts";
import { runWorkload } from "./peers/_workload.ts";

await runWorkload({
  keys: "bytes",
  values: "bytes",
  open: (dir, variant) =>
    variant === "fanout"
      ? new FanoutCache(dir, { shards: 4, timeout: 1000 })
      : variant?.startsWith("memory")
      ? new DiskCache(dir, { memory: { maxBytes: 2 ** 26, staleness: variant === "memory1" ? 1 : 0 } })
      : new DiskCache(dir),
});
