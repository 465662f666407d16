// The hit path of undici's cache interceptor over MemoryCacheStore,
// SqliteCacheStore and DiskCacheStore, side by side in one process: a body
// already stored is fetched again through undici's fetch and read to the end.
// Paired timing: each round times a batch of hits of every store on the same
// URLs, in an order rotated every round; the ratio held to the targets is the
// median over rounds of our median / theirs in the same round. The process's
// CPU time per hit (all threads: the thread pool's reads and GC count) is
// paired the same way: on a shared machine it moves less than wall time.
// Prints one JSON line.
//
//   <node> bench/http_hit_bench.mjs [--entry http.ts] [--undici undici] [--stores memory,sqlite,ours]
//     [--sizes 1024,102400] [--rounds 20] [--batch 40] [--urls 20]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { arg, bodyOrigin } from "./_http_origin.mjs";

const entry = arg("entry", new URL("../http.ts", import.meta.url).pathname);
const undici = await import(arg("undici", "undici"));
const { DiskCacheStore } = await import(pathToFileURL(resolve(entry)).href);
const sizes = arg("sizes", "1024,16384,102400,1048576").split(",").map(Number);
const rounds = Number(arg("rounds", "20")), batch = Number(arg("batch", "40")), urls = Number(arg("urls", "20"));

const origin = await bodyOrigin(Math.max(...sizes));
const base = origin.base;
const dir = mkdtempSync(join(tmpdir(), "diskcache-http-hit-"));
const open = {
  memory: () => new undici.cacheStores.MemoryCacheStore({ maxSize: 2 ** 30, maxEntrySize: 64 * 2 ** 20 }),
  sqlite: () => new undici.cacheStores.SqliteCacheStore({ location: join(dir, "sqlite.db") }),
  ours: () => new DiskCacheStore(join(dir, "cache")),
};
// Node 20 has no node:sqlite, so no SqliteCacheStore: --stores memory,ours.
const names = arg("stores", "memory,sqlite,ours").split(",");
const stores = Object.fromEntries(names.map((n) => [n, open[n]()]));
const agents = Object.fromEntries(names.map((n) => [n, new undici.Agent().compose(undici.interceptors.cache({ store: stores[n] }))]));

async function get(dispatcher, url) {
  const res = await undici.fetch(url, { dispatcher });
  let n = 0;
  for await (const c of res.body) n += c.length;
  return n;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quartiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], q1: s[Math.floor(s.length / 4)], q3: s[Math.floor((s.length * 3) / 4)] };
};

const results = {};
for (const size of sizes) {
  const url = (i) => `${base}/s/${size}/${i}`;
  for (const n of names) for (let i = 0; i < urls; i++) await get(agents[n], url(i)); // store
  for (const n of names) for (let i = 0; i < urls; i++) await get(agents[n], url(i)); // warm up
  const all = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const vsMemory = [], vsSqlite = [], cpuVsMemory = [], cpuVsSqlite = [];
  for (let r = 0; r < rounds; r++) {
    const medians = {};
    for (let j = 0; j < names.length; j++) {
      const n = names[(r + j) % names.length];
      const times = [];
      const cpuBefore = process.cpuUsage();
      for (let i = 0; i < batch; i++) {
        const t = performance.now();
        const got = await get(agents[n], url(i % urls));
        times.push(performance.now() - t);
        if (got !== size) throw new Error(`${n}: read ${got} bytes of ${size}`);
      }
      const used = process.cpuUsage(cpuBefore);
      cpu[n].push((used.user + used.system) / batch);
      all[n].push(...times);
      medians[n] = median(times);
    }
    const last = (n) => cpu[n]?.at(-1);
    if (medians.memory && medians.ours) vsMemory.push(medians.ours / medians.memory), cpuVsMemory.push(last("ours") / last("memory"));
    if (medians.sqlite && medians.ours) vsSqlite.push(medians.ours / medians.sqlite), cpuVsSqlite.push(last("ours") / last("sqlite"));
  }
  results[size] = {
    stores: Object.fromEntries(names.map((n) => {
      const s = all[n].sort((a, b) => a - b);
      return [n, { p50ms: s[Math.floor(s.length / 2)], p99ms: s[Math.floor(s.length * 0.99)], cpuUs: median(cpu[n]) }];
    })),
    oursVsMemory: vsMemory.length ? quartiles(vsMemory) : undefined,
    oursVsSqlite: vsSqlite.length ? quartiles(vsSqlite) : undefined,
    cpuVsMemory: cpuVsMemory.length ? quartiles(cpuVsMemory) : undefined,
    cpuVsSqlite: cpuVsSqlite.length ? quartiles(cpuVsSqlite) : undefined,
  };
}
for (const s of Object.values(stores)) s.close?.();
origin.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ runtime: `node ${process.versions.node}`, undici: arg("undici", "undici"), rounds, batch, urls, results }));
process.exit(0);
