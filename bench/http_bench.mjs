// One HTTP caching benchmark run, in its own process, against the server of
// bench/sections/http.mjs: a Zipf mix of requests over `urls` URLs (bodies
// from 1 KiB to `maxMiB`, log-uniform, sizes independent of popularity), then
// 20 reads of a 1 MiB body and 20 of a 10 MiB body, each stored by its first
// read, while sampling RSS: a streamed body keeps RSS flat with body size, a
// buffered one costs its size. Prints one JSON line.
//
//   <runtime> bench/http_bench.mjs <cache> <base> <dir> <entry> <urls> <requests> <maxMiB> [undici-package]
//
// cache: none | memory | sqlite | ours (undici's fetch, with interceptors.cache
// over that store for the last three) | cached-fetch (our cachedFetch over
// the runtime's fetch). The same <dir> in a second process measures a restart.
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [cache, base, dir, entry, urlsArg, requestsArg, maxMiBArg, undiciName = "undici"] = process.argv.slice(2);
const urls = Number(urlsArg), requests = Number(requestsArg), maxBytes = Number(maxMiBArg) * 2 ** 20;

let fetchFn, close = () => {};
if (cache === "cached-fetch") {
  const http = await import(pathToFileURL(resolve(entry)).href);
  const mod = await import(pathToFileURL(join(resolve(entry), "..", entry.endsWith(".js") ? "mod.js" : "mod.ts")).href);
  const disk = new mod.DiskCache(join(dir, "cache"), { sizeLimit: 8 * 2 ** 30 });
  fetchFn = http.cachedFetch(disk, { shared: true });
  close = () => disk.close();
} else {
  const undici = await import(undiciName);
  let dispatcher = new undici.Agent();
  if (cache !== "none") {
    const http = await import(pathToFileURL(resolve(entry)).href);
    const store = cache === "memory"
      ? new undici.cacheStores.MemoryCacheStore({ maxSize: 8 * 2 ** 30, maxCount: 1e6, maxEntrySize: 64 * 2 ** 20 })
      : cache === "sqlite"
      ? new undici.cacheStores.SqliteCacheStore({ location: join(dir, "sqlite.db") })
      : new http.DiskCacheStore(join(dir, "cache"), { sizeLimit: 8 * 2 ** 30 });
    dispatcher = dispatcher.compose(undici.interceptors.cache({ store }));
    close = () => store.close?.();
  }
  fetchFn = (url) => undici.fetch(url, { dispatcher });
}

/** Deterministic PRNG (mulberry32). */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const cdf = [];
let sum = 0;
for (let r = 1; r <= urls; r++) cdf.push(sum += 1 / r);
const random = rng(42);
const pick = () => {
  const x = random() * sum;
  let lo = 0, hi = urls - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
const sizeOf = (i) => Math.round(1024 * (maxBytes / 1024) ** (((i * 7919) % urls) / urls));

async function get(url, onChunk = () => {}) {
  const res = await fetchFn(url);
  const reader = res.body.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    onChunk();
  }
  return n;
}

const served = async () => Number(await (await fetch(`${base}/__count`)).text());
const before = await served();
const times = [];
let bytes = 0;
const started = performance.now();
for (let i = 0; i < requests; i++) {
  const u = pick();
  const t = performance.now();
  bytes += await get(`${base}/u/${u}/${sizeOf(u)}`);
  times.push(performance.now() - t);
}
const elapsed = performance.now() - started;
const misses = (await served()) - before;
times.sort((a, b) => a - b);

// RSS while reading one body again and again (its first read stores it),
// garbage collected before each read where the runtime lets us (node
// --expose-gc, deno --v8-flags=--expose-gc, Bun.gc): the growth is then what
// a read holds, not garbage waiting for a collection.
const gc = globalThis.Bun ? () => globalThis.Bun.gc(true) : globalThis.gc ?? (() => {});
async function rssWhileReading(bytes) {
  const url = `${base}/u/big/${bytes}`;
  await get(url);
  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  // Sampled at every chunk the reader gets (while the body is in flight) and
  // every 2 ms.
  const sample = () => peak = Math.max(peak, process.memoryUsage().rss);
  const timer = setInterval(sample, 2);
  for (let i = 0; i < 20; i++) {
    gc();
    await get(url, sample);
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { beforeMiB: before / 2 ** 20, growthMiB: Math.max(0, peak - before) / 2 ** 20 };
}
const rss = { "1": await rssWhileReading(2 ** 20), "10": await rssWhileReading(10 * 2 ** 20) };
close();
console.log(JSON.stringify({
  cache,
  requests,
  reqPerSec: requests / (elapsed / 1000),
  p50ms: times[Math.floor(times.length * 0.5)],
  p99ms: times[Math.floor(times.length * 0.99)],
  hitRatio: 1 - misses / requests,
  mibPerSec: bytes / 2 ** 20 / (elapsed / 1000),
  rss,
}));
process.exit(0);
