// Background load for bench/event_loop_bench.ts: holds the cache's write lock
// in transactions of `holdMs` (a set, then a synchronous sleep inside
// transact()), with `gapMs` between them, until `seconds` pass.
import process from "node:process";
import { DiskCache } from "../mod.ts";

const [dir, seconds = "30", holdMs = "200", gapMs = "50"] = process.argv.slice(2) as [string, string?, string?, string?];
const cache = new DiskCache(dir);
const pause = new Int32Array(new SharedArrayBuffer(4));
const until = Date.now() + Number(seconds) * 1000;
let i = 0;
while (Date.now() < until) {
  cache.transact(() => {
    cache.set(`held-${i++ % 100}`, i);
    Atomics.wait(pause, 0, 0, Number(holdMs));
  });
  Atomics.wait(pause, 0, 0, Number(gapMs));
}
cache.close();
