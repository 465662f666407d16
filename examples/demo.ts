// The library doing its job: a slow lookup memoized on disk with `memoize`.
// Run it twice: the second run is a new process, and every answer comes from
// the cache directory in a fraction of a millisecond instead of a slow call.
//   npm run demo                    (Node 24; also: deno run -A examples/demo.ts, bun examples/demo.ts)
//   npm run demo -- /some/directory (another cache directory; the default is this user's cache
//                                    directory: ~/.cache/diskcache-demo on Linux, ~/Library/Caches
//                                    on macOS, %LOCALAPPDATA% on Windows)
// `using` closes the cache at the end of the scope (Node 24, Deno, Bun); on
// Node 20, write `const cache = ...` and call `cache.close()` yourself.
import { DiskCache, userCacheDirectory } from "../mod.ts"; // in your project: from "@diskcache/diskcache"

// A named cache lives in the user's own cache directory: a fixed path in the
// shared temporary directory would be another user's, or anyone's to fill.
const directory = process.argv[2] ?? userCacheDirectory("diskcache-demo");
using cache = new DiskCache(directory, { sizeLimit: 64 * 2 ** 20 });

let computed = 0;
// Stands for what is worth caching: a remote API, a query, a page render.
// Declared with `function`, so its name keys its results; each result is
// kept for ten minutes, and concurrent calls with the same city share one call.
const forecast = cache.memoize(async function forecast(city: string) {
  computed++;
  await new Promise((resolve) => setTimeout(resolve, 300)); // the slow part
  let seed = 0;
  for (const ch of city) seed = (seed * 31 + ch.charCodeAt(0)) % 997;
  return { city, tempC: 5 + (seed % 20), sky: ["sunny", "cloudy", "rain"][seed % 3] };
}, { ttl: 10 * 60_000 });

const cities = ["Paris", "Lagos", "Lima", "Osaka"];
for (const city of cities) {
  const started = performance.now();
  const before = computed;
  const answer = await forecast(city);
  const ms = performance.now() - started;
  const how = computed > before ? `computed in ${ms.toFixed(0)} ms` : `from the cache in ${ms.toFixed(2)} ms`;
  console.log(`forecast(${JSON.stringify(city)}) = ${JSON.stringify(answer)}  ${how}`);
}

// Three callers asking at once for the same key share one computation.
const before = computed;
await Promise.all([forecast("Oslo"), forecast("Oslo"), forecast("Oslo")]);
console.log(`3 concurrent calls for "Oslo": ${computed - before === 1 ? "computed once" : "from the cache"}`);

const served = cities.length + 1 - computed;
console.log(
  `${cities.length + 1} forecasts: ${computed} computed, ${served} from the cache in ${directory} (SQLite driver ${cache.driverName})`,
);
console.log(
  computed > 0 ? "run the demo again: a new process finds every forecast on disk" : "every forecast came from disk, written by an earlier process",
);
