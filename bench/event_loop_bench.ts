// Event-loop delay of an HTTP server that reads and writes the cache while
// three other processes write in tight loops (bench/_writer.ts) and one holds
// 200 ms transactions (bench/_lock_holder.ts). Modes: "none" (the server
// answers without touching the cache: the floor the machine's load sets),
// "sync" (get() and set()), "async" (get() and setAsync()). Prints one JSON
// line: p50/p99/max delay (ms) from perf_hooks.monitorEventLoopDelay where
// the runtime has it, else from a 1 ms timer's lateness, and requests served.
//
//   event_loop_bench.ts <dir> <mode> <seconds> <writerCmdJson> <holderCmdJson>
import process from "node:process";
import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { DiskCache } from "../mod.ts";

const [dir, mode, secondsArg, writerJson, holderJson] = process.argv.slice(2) as [string, "none" | "sync" | "async", string, string, string];
const seconds = Number(secondsArg);
const writer = JSON.parse(writerJson) as { cmd: string; args: string[] };
const holder = JSON.parse(holderJson) as { cmd: string; args: string[] };

const cache = new DiskCache(dir, { timeout: 60_000 });
for (let i = 0; i < 1000; i++) cache.set(`k-${i}`, `value ${i}`.repeat(10));

const value = "v".repeat(200);
const server = createServer((req, res) => {
  const i = Math.floor(Math.random() * 1000);
  if (mode === "none") return void res.end("ok");
  if (req.method === "GET") return void res.end(String(cache.get(`k-${i}`) ?? ""));
  if (mode === "sync") {
    cache.set(`k-${i}`, value);
    return void res.end("stored");
  }
  cache.setAsync(`k-${i}`, value).then(() => res.end("stored"), (e) => {
    res.statusCode = 500;
    res.end(String(e));
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as { port: number }).port;

// The load: started after the server listens, stopped by their own clocks.
const loadSeconds = String(seconds + 2);
const children = [
  ...[0, 1, 2].map(() => spawn(writer.cmd, [...writer.args, dir, loadSeconds], { stdio: "ignore" })),
  spawn(holder.cmd, [...holder.args, dir, loadSeconds, "200", "50"], { stdio: "ignore" }),
];
// Warm up the client (fetch loads its HTTP stack on first use) while they start.
for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${port}/x`, { method: i % 2 ? "POST" : "GET" })).text();
await new Promise((r) => setTimeout(r, 500));

// Event-loop delay: the runtime's histogram where it has one, else a 1 ms timer's lateness.
type Monitor = { enable(): void; disable(): void; percentile(p: number): number; max: number };
let monitor: Monitor | undefined;
let source = "monitorEventLoopDelay";
// Deno's node:perf_hooks has the function, but its histogram stays near empty: its timers are read instead.
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
try {
  if (isDeno) throw new Error("timer lateness");
  const perf = await import("node:perf_hooks");
  monitor = perf.monitorEventLoopDelay({ resolution: 1 }) as unknown as Monitor;
  monitor.enable();
} catch {
  monitor = undefined;
}
const late: number[] = [];
let last = performance.now();
const sampler = setInterval(() => {
  const now = performance.now();
  late.push(Math.max(0, now - last - 1));
  last = now;
}, 1);
if (monitor === undefined) source = "1 ms timer lateness";

// The client: 4 requests in flight, alternating reads and writes, from this
// process (fetch's own work is small next to the stalls measured).
let served = 0, failed = 0;
const until = performance.now() + seconds * 1000;
async function client(id: number): Promise<void> {
  for (let n = 0; performance.now() < until; n++) {
    const write = (n + id) % 2 === 0;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/x`, { method: write ? "POST" : "GET" });
      await r.text();
      if (r.ok) served++;
      else failed++;
    } catch {
      failed++;
    }
  }
}
await Promise.all([0, 1, 2, 3].map(client));
clearInterval(sampler);
monitor?.disable();
for (const c of children) c.kill();
server.close();
cache.close();

const sorted = late.slice().sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const ms = (ns: number) => ns / 1e6;
const useMonitor = monitor !== undefined && Number.isFinite(monitor.max) && monitor.max > 0;
console.log(JSON.stringify({
  runtime: typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
    ? "bun"
    : typeof (globalThis as { Deno?: unknown }).Deno !== "undefined"
    ? "deno"
    : `node ${process.versions.node}`,
  mode,
  seconds,
  source: useMonitor ? source : "1 ms timer lateness",
  p50: useMonitor ? ms(monitor!.percentile(50)) : pct(50),
  p99: useMonitor ? ms(monitor!.percentile(99)) : pct(99),
  max: useMonitor ? ms(monitor!.max) : sorted.at(-1) ?? 0,
  timerP99: pct(99),
  served,
  failed,
}));
process.exit(0);
