// The Web Cache API's match() hit and put(), by body size, in one process:
// DiskCacheStorage (ours), an in-memory Map of Responses (put reads the body
// into memory, a hit answers a clone: the floor), and on Deno its built-in
// `caches`. Paired timing: each round times a batch of every store on the
// same URLs, in an order rotated every round; a store's figure is the median
// over rounds of its per-operation mean in the round, and the ratio to the
// floor is the median of the per-round ratios. A hit reads the body to its
// end. Prints one JSON line.
//
//   <runtime> bench/web_cache_bench.ts <dir> <rounds> <sizes comma-separated>
import process from "node:process";
import { DiskCacheStorage } from "../web-cache.ts";

interface Store {
  name: string;
  put(url: string, res: Response): Promise<void>;
  match(url: string): Promise<Response | undefined>;
}

const [dir, roundsArg, sizesArg] = process.argv.slice(2) as [string, string, string];
const rounds = Number(roundsArg), sizes = sizesArg.split(",").map(Number);
const runtime = (globalThis as { Deno?: { version: { deno: string } } }).Deno
  ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : process.versions.bun
  ? `Bun ${process.versions.bun}`
  : `Node ${process.versions.node}`;

const storage = new DiskCacheStorage(dir, { sizeLimit: 2 ** 33 });
const ours = await storage.open("bench");
const map = new Map<string, Response>();
const stores: Store[] = [
  { name: "ours", put: (u, r) => ours.put(u, r), match: (u) => ours.match(u) },
  {
    name: "memory",
    put: async (u, r) => void map.set(u, new Response(await r.arrayBuffer(), { status: r.status, statusText: r.statusText, headers: r.headers })),
    match: (u) => Promise.resolve(map.get(u)?.clone()),
  },
];
interface NativeCaches {
  open(n: string): Promise<{ put(u: string, r: Response): Promise<void>; match(u: string): Promise<Response | undefined> }>;
  delete(n: string): Promise<boolean>;
}
const native = (globalThis as { caches?: NativeCaches }).caches;
const nativeName = `diskcache-bench-${Date.now()}`;
if (native) {
  const c = await native.open(nativeName);
  stores.push({ name: "deno", put: (u, r) => c.put(u, r), match: (u) => c.match(u) });
}

function median(xs: number[]): number {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const results: { size: number; store: string; put: number; hit: number; putVsMemory: number; hitVsMemory: number }[] = [];
for (const size of sizes) {
  const body = new Uint8Array(size).map((_, i) => (i * 31) & 255);
  const batch = size >= 1 << 20 ? 3 : size >= 1 << 16 ? 20 : 100;
  const urls = Array.from({ length: batch }, (_, i) => `https://bench.example/${size}/${i}`);
  const times = new Map(stores.map((s) => [s.name, { put: [] as number[], hit: [] as number[] }]));
  for (let round = -1; round < rounds; round++) { // round -1 warms up, untimed
    const order = stores.map((_, i) => stores[(i + Math.max(round, 0)) % stores.length]!);
    for (const s of order) {
      let t = performance.now();
      for (const u of urls) await s.put(u, new Response(body, { headers: { "content-type": "application/octet-stream" } }));
      const put = (performance.now() - t) * 1000 / batch;
      t = performance.now();
      for (const u of urls) {
        const res = await s.match(u);
        if (res === undefined || (await res.arrayBuffer()).byteLength !== size) throw new Error(`${s.name}: a miss for ${u}`);
      }
      const hit = (performance.now() - t) * 1000 / batch;
      if (round >= 0) {
        times.get(s.name)!.put.push(put);
        times.get(s.name)!.hit.push(hit);
      }
    }
  }
  const floor = times.get("memory")!;
  for (const s of stores) {
    const t = times.get(s.name)!;
    results.push({
      size,
      store: s.name,
      put: median(t.put),
      hit: median(t.hit),
      putVsMemory: median(t.put.map((x, i) => x / floor.put[i]!)),
      hitVsMemory: median(t.hit.map((x, i) => x / floor.hit[i]!)),
    });
  }
}
storage.close();
await native?.delete(nativeName);
console.log(JSON.stringify({ runtime, rounds, results }));
