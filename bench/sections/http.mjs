// HTTP caching (issue 15, part 4). Two benchmarks:
// - Zipf mix: a local server, 1,000 URLs with bodies from 1 KiB to 10 MiB, a
//   Zipf request mix through no cache, undici's MemoryCacheStore and
//   SqliteCacheStore, our DiskCacheStore (under undici's cache interceptor:
//   undici 8 on Node 24, undici 7 on Node 20, where SqliteCacheStore cannot
//   run) and cachedFetch on every runtime. Each cache runs twice in its own
//   processes on the same directory: a first process, then a fresh one (a
//   restart: persistent stores keep their hits, memory does not). RSS while
//   reading a 1 MiB and a 10 MiB body again and again from the cache.
// - Hit path: bench/http_hit_bench.mjs, the three stores side by side in one
//   process, paired rounds, one body size at a time; the targets (hits at
//   least as fast as SqliteCacheStore, within 1.5x of MemoryCacheStore).
// Section contract: bench/_harness.mjs (npm run bench -- --section http [--quick]).
// Also runnable alone: node bench/sections/http.mjs [--quick]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { node20Binary } from "../../scripts/runtimes.mjs";

export const name = "http";
export const title = "HTTP caching: undici's stores, DiskCacheStore and cachedFetch, Zipf mix with a restart, and the hit path";

/** @param {{ root: string, quick: boolean, bin: (name: string) => string }} ctx */
export function run(ctx) {
  return http(ctx);
}

function plan(quick) {
  return quick
    ? { urls: 200, requests: 1000, maxMiB: 1, hit: { sizes: [1024, 102400], rounds: 8, batch: 20 } }
    : { urls: 1000, requests: 4000, maxMiB: 10, hit: { sizes: [1024, 16384, 102400, 1048576, 4194304, 10485760], rounds: 20, batch: 40 } };
}

/**
 * A server whose /u/<id>/<size> answers <size> bytes, cacheable for an hour.
 * The bytes are random, as most bodies on the wire are compressed already
 * (images, video, gzip or br): SqliteCacheStore compresses bodies over 1 MiB
 * with zstd, and a body of one repeated byte would shrink to nothing.
 */
function startServer() {
  const pool = randomBytes(16 * 2 ** 20);
  let count = 0;
  const server = createServer((req, res) => {
    if (req.url === "/__count") return void res.writeHead(200, { "cache-control": "no-store" }).end(String(count));
    count++;
    const size = Number(req.url.split("/").at(-1));
    const start = (size * 7919) % (pool.length - size + 1);
    res.writeHead(200, { "cache-control": "max-age=3600", etag: `"${req.url}"`, "content-length": String(size) });
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(64 * 1024, size - sent);
        const part = pool.subarray(start + sent, start + sent + n);
        sent += n;
        if (!res.write(part)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  server.keepAliveTimeout = 0; // a client's idle connection stays open: no reset racing its next request
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done({ base: `http://127.0.0.1:${server.address().port}`, server })));
}

/**
 * @param {{ root: string, quick: boolean, bin: (name: string) => string }} ctx
 * @returns {Promise<{ markdown: string, data: object }>}
 */
export async function http({ root, quick, bin }) {
  const started = Date.now();
  const { urls, requests, maxMiB, hit } = plan(quick);
  const worker = join(root, "bench", "http_bench.mjs");
  const node = [bin("node"), "--no-warnings", "--expose-gc"];
  const ts = join(root, "http.ts");
  const rows = [
    { label: "no cache", runtime: "Node 24", cmd: node, cache: "none", entry: ts },
    { label: "undici MemoryCacheStore", runtime: "Node 24", cmd: node, cache: "memory", entry: ts },
    { label: "undici SqliteCacheStore", runtime: "Node 24", cmd: node, cache: "sqlite", entry: ts },
    { label: "DiskCacheStore", runtime: "Node 24", cmd: node, cache: "ours", entry: ts },
    { label: "cachedFetch", runtime: "Node 24", cmd: node, cache: "cached-fetch", entry: ts },
    { label: "cachedFetch", runtime: "Deno", cmd: [bin("deno"), "run", "-A", "--no-check", "--v8-flags=--expose-gc"], cache: "cached-fetch", entry: ts },
    { label: "cachedFetch", runtime: "Bun", cmd: [bin("bun")], cache: "cached-fetch", entry: ts },
  ];
  const n20 = node20Binary();
  const notes = [];
  if (n20) {
    const js = join(root, "dist", "http.js");
    if (!existsSync(js)) execFileSync(bin("tsc"), ["-p", "."], { cwd: root, stdio: "inherit" });
    for (const [label, cache] of [["undici MemoryCacheStore", "memory"], ["DiskCacheStore", "ours"], ["cachedFetch", "cached-fetch"]]) {
      rows.push({ label, runtime: "Node 20", cmd: [n20, "--expose-gc"], cache, entry: js, undici: "undici7" });
    }
  } else notes.push("Node 20: skipped, no Node 20 binary found (set DISKCACHE_NODE20).");
  // The server runs here, and each cache in a child process: the children
  // run asynchronously so that this event loop stays free to serve them.
  const { base, server } = await startServer();
  const data = { quick, urls, requests, maxMiB, rows: [] };
  try {
    for (const row of rows) {
      const dir = mkdtempSync(join(tmpdir(), "diskcache-http-bench-"));
      const runs = [];
      for (const phase of ["first process", "restart"]) {
        console.log(`running http: ${row.label} (${row.runtime}), ${phase}...`);
        const [cmd, ...pre] = row.cmd;
        const args = [...pre, worker, row.cache, base, dir, row.entry, String(urls), String(requests), String(maxMiB)];
        if (row.undici) args.push(row.undici);
        const r = await runAsync(cmd, args, root);
        if (r.code !== 0) console.log(`http: ${row.label} (${row.runtime}) failed:\n${r.stderr.slice(-2000)}`);
        runs.push(r.code === 0 ? { phase, ...JSON.parse(r.stdout.trim().split("\n").at(-1)) } : { phase, error: r.stderr.slice(-500) });
      }
      rmSync(dir, { recursive: true, force: true });
      data.rows.push({ label: row.label, runtime: row.runtime, cache: row.cache, runs });
    }
  } finally {
    server.close();
  }
  // The hit path, with nothing else running (the server above is closed).
  data.hit = [];
  const hitArgs = ["--sizes", hit.sizes.join(","), "--rounds", String(hit.rounds), "--batch", String(hit.batch)];
  const hitRows = [{ runtime: "Node 24", cmd: node, args: ["--entry", ts] }];
  if (n20) hitRows.push({ runtime: "Node 20", cmd: [n20], args: ["--entry", join(root, "dist", "http.js"), "--undici", "undici7", "--stores", "memory,ours"] });
  for (const row of hitRows) {
    console.log(`running http: hit path (${row.runtime})...`);
    const [cmd, ...pre] = row.cmd;
    const r = spawnSync(cmd, [...pre, join(root, "bench", "http_hit_bench.mjs"), ...row.args, ...hitArgs], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) {
      console.log(`http: hit path (${row.runtime}) failed:\n${r.stderr.slice(-2000)}`);
      notes.push(`Hit path on ${row.runtime}: failed (see the log).`);
      continue;
    }
    data.hit.push({ runtime: row.runtime, ...JSON.parse(r.stdout.trim().split("\n").at(-1)) });
  }
  data.seconds = (Date.now() - started) / 1000;
  return { markdown: render(data, notes), data };
}

/** Runs a command without blocking this process's event loop (the server lives here). */
function runAsync(cmd, args, cwd) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => stdout += d);
    child.stderr.setEncoding("utf8").on("data", (d) => stderr += d);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const ms = (x) => `${x < 1 ? x.toFixed(3) : x.toFixed(1)} ms`;
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const size = (b) => b >= 2 ** 20 ? `${b / 2 ** 20} MiB` : `${b / 1024} KiB`;
const ratio = (r) => `${r.median.toFixed(2)}x (${r.q1.toFixed(2)}-${r.q3.toFixed(2)})`;

/** The Zipf table: one row per cache and runtime, the restart beside the first process. */
export function zipfTable(data) {
  const lines = [
    "| cache | runtime | req/s | p50 | p99 | hit ratio | restart: req/s | restart: hit ratio | RSS growth, 1 MiB hits | RSS growth, 10 MiB hits |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of data.rows) {
    const [first, again] = row.runs;
    if (first.error) {
      lines.push(`| ${row.label} | ${row.runtime} | failed | | | | | | | |`);
      continue;
    }
    // RSS from the restart: persistent stores only read there (the first
    // process also wrote the body); MemoryCacheStore stores it again.
    const rss = (mib) => again.error ? "" : `+${again.rss[mib].growthMiB.toFixed(0)} MiB`;
    const restart = again.error ? ["failed", ""] : [again.reqPerSec.toFixed(0), pct(again.hitRatio)];
    lines.push(
      `| ${row.label} | ${row.runtime} | ${first.reqPerSec.toFixed(0)} | ${ms(first.p50ms)} | ${ms(first.p99ms)} | ${pct(first.hitRatio)} | ${
        restart.join(" | ")
      } | ${rss("1")} | ${rss("10")} |`,
    );
  }
  return lines.join("\n");
}

/** The hit-path table: per body size, each store's p50/p99 and our paired ratios against the targets. */
export function hitTable(data) {
  const lines = [
    "| runtime | body | MemoryCacheStore p50 / p99 | SqliteCacheStore p50 / p99 | DiskCacheStore p50 / p99 | ours / Memory (target ≤ 1.5x) | ours / Sqlite (target ≤ 1x) | CPU per hit: ours / Memory, ours / Sqlite |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const h of data.hit) {
    for (const [bytes, r] of Object.entries(h.results)) {
      const cell = (s) => s ? `${ms(s.p50ms)} / ${ms(s.p99ms)}` : "n/a";
      const met = (q, target) => q.median <= target ? "met" : "missed";
      const vsSqlite = r.oursVsSqlite ? `${ratio(r.oursVsSqlite)} ${met(r.oursVsSqlite, 1)}` : "n/a";
      const cpu = [r.cpuVsMemory, r.cpuVsSqlite].map((q) => q ? `${q.median.toFixed(2)}x` : "n/a").join(", ");
      lines.push(
        `| ${h.runtime} | ${size(Number(bytes))} | ${cell(r.stores.memory)} | ${cell(r.stores.sqlite)} | ${cell(r.stores.ours)} | ${ratio(r.oursVsMemory)} ${
          met(r.oursVsMemory, 1.5)
        } | ${vsSqlite} | ${cpu} |`,
      );
    }
  }
  return lines.join("\n");
}

function render(data, notes) {
  return `## HTTP caching (bench/http_bench.mjs, bench/http_hit_bench.mjs, bench/sections/http.mjs)
${data.quick ? "\n**Quick mode** (`--quick`): 200 URLs up to 1 MiB, 1,000 requests; run without `--quick` for 1,000 URLs up to 10 MiB.\n" : ""}
### A Zipf mix, then a restart

A local node:http server; ${data.urls.toLocaleString("en")} URLs with bodies from 1 KiB to ${data.maxMiB} MiB (log-uniform, independent of
popularity), ${data.requests.toLocaleString("en")} requests in a Zipf (s = 1) mix, one at a time, each body read to the end as a stream.
undici's stores and ours run under \`interceptors.cache\` through undici's \`fetch\` (undici 8 on Node 24, undici 7 on
Node 20, where SqliteCacheStore needs a \`node:sqlite\` it does not have); cachedFetch wraps the runtime's own \`fetch\`.
MemoryCacheStore is given room for everything (8 GiB, 64 MiB entries), DiskCacheStore and cachedFetch an 8 GiB
\`sizeLimit\`. Each cache runs in a first process, then in a fresh one on the same directory (the same requests again):
the hit ratio of the restart is what a persistent store keeps. p50/p99 are over all requests, misses included. RSS:
the peak growth in the restart while reading one body 20 times from the cache (the first read stores it for
MemoryCacheStore), garbage collected before each read and sampled at every chunk: streamed bodies keep it flat with
body size, buffered ones cost their size.

${zipfTable(data)}

### The hit path

A stored body fetched again through undici's \`fetch\` and \`interceptors.cache\`, read to the end: the three stores side
by side in one process, ${data.hit[0]?.rounds ?? "?"} rounds of ${data.hit[0]?.batch ?? "?"} hits each on ${
    data.hit[0]?.urls ?? "?"
  } URLs, in an order rotated every round. The ratio
is the median over rounds of our median / theirs in the same round (interquartile range in brackets); the CPU column
pairs the process's CPU time per hit the same way (all threads, so the thread pool's reads and GC count), which a
shared machine disturbs less than wall time. DiskCacheStore
keeps bodies up to its \`maxInlineBody\` (1 MiB) in the URL's SQLite row (one row read per hit), larger ones in value
files, read whole up to 4 MiB and streamed beyond.

${hitTable(data)}
${notes.length ? `\n${notes.map((n) => `- ${n}`).join("\n")}\n` : ""}
Section time: ${data.seconds.toFixed(0)} s.
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
  const { markdown } = await http({ root, quick: process.argv.includes("--quick"), bin: (n) => join(root, "node_modules", ".bin", n) });
  console.log(markdown);
}
