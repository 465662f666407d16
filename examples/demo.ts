// The library doing its job: a slow function memoized on disk. Run it twice:
// the second run is served from the cache directory, across processes.
//   npm run demo        (Node 24; also: deno run -A examples/demo.ts, bun examples/demo.ts)
import { join } from "node:path";
import { tmpdir } from "node:os";
import { DiskCache } from "../mod.ts";

const directory = join(tmpdir(), "diskcache-demo");
using cache = new DiskCache(directory, { sizeLimit: 64 * 2 ** 20 });

function slowSquare(n: number): number {
  const until = Date.now() + 200; // pretend this is an expensive computation
  while (Date.now() < until) { /* busy */ }
  return n * n;
}

let hits = 0, misses = 0;
function cachedSquare(n: number): number {
  const key = ["slowSquare", n];
  const found = cache.get<number>(key);
  if (found !== undefined) {
    hits++;
    return found;
  }
  misses++;
  const value = slowSquare(n);
  cache.set(key, value, { ttl: 10 * 60_000 });
  return value;
}

const started = performance.now();
const results = [1, 2, 3, 4, 5].map(cachedSquare);
const ms = performance.now() - started;
console.log(`results ${results.join(", ")} in ${ms.toFixed(1)} ms: ${hits} hits, ${misses} misses (driver ${cache.driverName})`);
console.log(misses > 0
  ? `cache stored in ${directory}: run "npm run demo" again and every call is a hit`
  : `all served from ${directory}`);
