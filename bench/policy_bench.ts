// A cache hit under each eviction policy while another process writes to the
// same directory. python-diskcache takes the write lock on every LRU/LFU hit,
// so its hits wait for writers; ours record the access in memory. Prints one
// JSON line: median and p99 of a hit per policy, and LRU/LFU relative to LRS.
//   node bench/policy_bench.ts [--gets 20000]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DiskCache, type EvictionPolicy } from "../mod.ts";

const args = process.argv.slice(2);
const GETS = Number(args[args.indexOf("--gets") + 1] || 20_000);
const now = () => process.hrtime.bigint();
const stats = (s: Float64Array) => {
  s.sort();
  return { median: s[Math.floor(s.length / 2)]!, p99: s[Math.floor(s.length * 0.99)]! };
};
const results: Record<string, { median: number; p99: number }> = {};
for (const policy of ["least-recently-stored", "least-recently-used", "least-frequently-used"] as EvictionPolicy[]) {
  const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-"));
  const cache = new DiskCache(dir, { evictionPolicy: policy });
  for (let i = 0; i < 1000; i++) cache.set(`k-${i}`, new Uint8Array(200));
  const writer = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname ?? ".", "_writer.ts"), dir, "60"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300));
  const out = new Float64Array(GETS);
  for (let i = 0; i < GETS; i++) {
    const t0 = now();
    cache.get(`k-${(i * 7919) % 1000}`);
    out[i] = Number(now() - t0) / 1000;
  }
  writer.kill();
  results[policy] = stats(out);
  cache.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ runtime: `node ${process.version}`, gets: GETS, results }));
