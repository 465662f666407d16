// One stress process: `threads` worker threads (plus the main thread) run
// random operations on one cache directory until `until` (epoch ms) or `ops`
// operations each. Prints a JSON summary: operations done, incr calls
// acknowledged per counter, errors.
//   <runtime> test/stress/worker.ts <dir> <id> <until> <ops> <threads> <mode>
// mode "mixed": every operation type; "single": this process is the only
// writer of its own keys and checks that every get returns the last set.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { DiskCache } from "../../mod.ts";

interface Job {
  dir: string;
  id: string;
  until: number;
  ops: number;
  mode: string;
}

function runJob(job: Job): { ops: number; incr: Record<string, number>; mismatches: number } {
  const cache = new DiskCache(job.dir, { timeout: 120_000, minFileSize: 2048 });
  let seed = [...job.id].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0;
  const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000) * n);
  const incr: Record<string, number> = {};
  const last = new Map<string, unknown>();
  let ops = 0, mismatches = 0;
  const value = () => rand(3) === 0 ? "v".repeat(rand(10_000)) : rand(2) ? { n: rand(1e6) } : new Uint8Array(rand(4000)).fill(rand(256));
  while (ops < job.ops && Date.now() < job.until) {
    ops++;
    if (job.mode === "single") {
      const key = `${job.id}:${rand(30)}`;
      if (rand(3) === 0) {
        const v = value();
        cache.set(key, v);
        last.set(key, v);
      } else {
        const got = cache.get(key);
        const want = last.get(key);
        if (JSON.stringify(got, (_, x) => x instanceof Uint8Array ? [...x] : x) !== JSON.stringify(want, (_, x) => x instanceof Uint8Array ? [...x] : x)) {
          mismatches++;
        }
      }
      continue;
    }
    const key = `k${rand(200)}`;
    switch (rand(12)) {
      case 0:
      case 1:
        cache.set(key, value(), rand(4) ? {} : { ttl: rand(500), tag: `t${rand(3)}` });
        break;
      case 2:
      case 3:
        cache.get(key);
        break;
      case 4:
        cache.delete(key);
        break;
      case 5:
        cache.add(key, value());
        break;
      case 6: {
        const counter = `counter${rand(3)}`;
        cache.incr(counter);
        incr[counter] = (incr[counter] ?? 0) + 1;
        break;
      }
      case 7:
        cache.pop(key);
        break;
      case 8:
        cache.push(value(), { prefix: "q" });
        break;
      case 9:
        cache.pull({ prefix: "q" });
        break;
      case 10:
        cache.touch(key, rand(1000));
        break;
      default:
        if (rand(50) === 0) cache.evict(`t${rand(3)}`);
        else cache.has(key);
    }
  }
  cache.close();
  return { ops, incr, mismatches };
}

if (isMainThread) {
  const [dir, id, until, ops, threads, mode] = process.argv.slice(2) as [string, string, string, string, string, string];
  const jobs: Job[] = Array.from({ length: Number(threads) + 1 }, (_, i) => ({ dir, id: `${id}.${i}`, until: Number(until), ops: Number(ops), mode }));
  const workers = jobs.slice(1).map((job) =>
    new Promise<ReturnType<typeof runJob>>((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: job });
      w.on("message", resolve);
      w.on("error", reject);
    })
  );
  const results = [runJob(jobs[0]!), ...(await Promise.all(workers))];
  const total = { ops: 0, incr: {} as Record<string, number>, mismatches: 0 };
  for (const r of results) {
    total.ops += r.ops;
    total.mismatches += r.mismatches;
    for (const [k, n] of Object.entries(r.incr)) total.incr[k] = (total.incr[k] ?? 0) + n;
  }
  console.log(JSON.stringify(total));
} else {
  parentPort!.postMessage(runJob(workerData as Job));
}
