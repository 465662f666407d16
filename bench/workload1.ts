// python-diskcache's core benchmark run on this library (see workload1.py):
// 90% get, 9% set, 1% delete over 100 keys, byte values of 1 to ~500 bytes,
// keys pre-filled, the first 1,000 operations untimed. Prints one JSON line.
//   <runtime> bench/workload1.ts <dir> <ops> [fanout]
import process from "node:process";
import { DiskCache, FanoutCache } from "../mod.ts";

const [dir, opsArg, kind] = process.argv.slice(2) as [string, string, string?];
const OPS = Number(opsArg);
const cache = kind === "fanout" ? new FanoutCache(dir, { shards: 4, timeout: 1000 }) : new DiskCache(dir);
let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
const enc = new TextEncoder();
const keys = Array.from({ length: 100 }, (_, i) => enc.encode(String(i)));
for (const k of keys) cache.set(k, k);
const timings: Record<string, number[]> = { get: [], set: [], delete: [] };
const misses: Record<string, number> = { get: 0, set: 0, delete: 0 };
const now = () => process.hrtime.bigint();
for (let i = 0; i < OPS; i++) {
  const r = random();
  const key = keys[Math.floor(random() * 100)]!;
  let op: string, result: unknown, t0: bigint;
  if (r < 0.9) {
    op = "get";
    t0 = now();
    result = cache.get(key);
  } else if (r < 0.99) {
    op = "set";
    const value = enc.encode(String(i).repeat(1 + Math.floor(random() * 99)));
    t0 = now();
    result = cache.set(key, value);
  } else {
    op = "delete";
    t0 = now();
    result = cache.delete(key);
  }
  const us = Number(now() - t0) / 1000;
  if (i >= 1000) {
    timings[op]!.push(us);
    if (result === undefined || result === false) misses[op]!++;
  }
}
cache.close();
const summary = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  const n = xs.length;
  return { count: n, median: xs[n >> 1]!, p90: xs[Math.floor(n * 0.9)]!, p99: xs[Math.floor(n * 0.99)]!, max: xs[n - 1]!, total: xs.reduce((a, b) => a + b, 0) };
};
const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${process.version}`;
console.log(JSON.stringify({
  runtime,
  results: Object.fromEntries(Object.entries(timings).map(([op, xs]) => [op, { ...summary(xs), misses: misses[op] }])),
}));
