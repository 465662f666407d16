// The multi-process stress run: processes of every runtime, each with worker
// threads, hammer one cache directory; then the cache must check clean (ours
// and Python's), incr-driven counters must be exact, and the single-writer
// process must have read back every value it set.
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { python, run, runJson, runners, tempDir } from "../_helpers.ts";

export interface StressOptions {
  seconds: number;
  processes: number;
  threads: number;
  ops: number;
}

export interface StressReport {
  ops: number;
  processes: string[];
  counters: Record<string, { expected: number; stored: unknown }>;
  mismatches: number;
  check: unknown[];
  pythonCheck: string[] | "skipped";
}

export async function runStress(options: StressOptions): Promise<StressReport> {
  using dir = tempDir();
  const cacheDir = join(dir.path, "cache");
  new DiskCache(cacheDir, { minFileSize: 2048 }).close();
  const base = runners("../stress/worker"); // test/stress/worker.ts, dist/test/stress/worker.js
  const until = String(Date.now() + options.seconds * 1000);
  const mixed = Array.from({ length: options.processes }, (_, i) => base[i % base.length]!);
  const jobs = [
    ...mixed.map((r, i) =>
      runJson<{ ops: number; incr: Record<string, number>; mismatches: number }>(r, [
        cacheDir,
        `p${i}`,
        until,
        String(options.ops),
        String(options.threads),
        "mixed",
      ])
    ),
    runJson<{ ops: number; incr: Record<string, number>; mismatches: number }>(base[0]!, [cacheDir, "single", until, String(options.ops), "0", "single"]),
  ];
  const results = await Promise.all(jobs);
  const expected: Record<string, number> = {};
  for (const r of results) for (const [k, n] of Object.entries(r.incr)) expected[k] = (expected[k] ?? 0) + n;
  using cache = new DiskCache(cacheDir);
  const counters: StressReport["counters"] = {};
  for (const [k, n] of Object.entries(expected)) counters[k] = { expected: n, stored: cache.get(k) };
  const check = cache.check();
  let pythonCheck: StressReport["pythonCheck"] = "skipped";
  if (python() !== undefined) {
    const res = await run(python()!, [
      "-c",
      `
import sys, json, warnings, diskcache
c = diskcache.Cache(sys.argv[1])
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    res = c.check()
print(json.dumps([str(x.message) for x in w] + [str(x) for x in res]))`,
      cacheDir,
    ]);
    pythonCheck = res.code === 0 ? JSON.parse(res.stdout) : [`python failed: ${res.stderr}`];
  }
  return {
    ops: results.reduce((n, r) => n + r.ops, 0),
    processes: [...mixed.map((r) => r.name), `${base[0]!.name} (single writer)`],
    counters,
    mismatches: results.reduce((n, r) => n + r.mismatches, 0),
    check,
    pythonCheck,
  };
}
