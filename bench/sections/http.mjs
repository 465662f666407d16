// HTTP caching: a local server, a Zipf request mix over many URLs with
// bodies from 1 KiB up to 10 MiB, through no cache, undici's MemoryCacheStore
// and SqliteCacheStore, our DiskCacheStore (all under undici's cache
// interceptor, Node 24), and cachedFetch on Deno, Bun and Node 24. Each cache
// runs twice in its own processes on the same directory: a first process,
// then a restart (persistent stores keep their hits, memory does not).
// Section contract: bench/_harness.mjs (npm run bench -- --section http [--quick]).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "http";
export const title = "HTTP caching: undici's stores, DiskCacheStore and cachedFetch, with a restart";

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run(ctx) {
  return http(ctx);
}

function plan(quick) {
  return quick ? { urls: 200, requests: 1000, maxMiB: 1 } : { urls: 1000, requests: 4000, maxMiB: 10 };
}

/** A server whose /u/<id>/<size> answers <size> bytes, cacheable for an hour. */
function startServer() {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let count = 0;
  const server = createServer((req, res) => {
    if (req.url === "/__count") return void res.writeHead(200, { "cache-control": "no-store" }).end(String(count));
    count++;
    const size = Number(req.url.split("/").at(-1));
    res.writeHead(200, { "cache-control": "max-age=3600", etag: `"${req.url}"`, "content-length": String(size) });
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done({ base: `http://127.0.0.1:${server.address().port}`, server })));
}

/**
 * @param {{ root: string, quick: boolean, bin: (name: string) => string }} ctx
 * @returns {Promise<{ markdown: string, data: object }>}
 */
export async function http({ root, quick, bin }) {
  const { urls, requests, maxMiB } = plan(quick);
  const worker = join(root, "bench", "http_bench.mjs");
  const src = join(root, "http.ts");
  const node = [bin("node"), "--no-warnings"];
  const rows = [
    { label: "no cache", runtime: "Node 24", cmd: node, cache: "none" },
    { label: "undici MemoryCacheStore", runtime: "Node 24", cmd: node, cache: "memory" },
    { label: "undici SqliteCacheStore", runtime: "Node 24", cmd: node, cache: "sqlite" },
    { label: "DiskCacheStore", runtime: "Node 24", cmd: node, cache: "ours" },
    { label: "cachedFetch", runtime: "Node 24", cmd: node, cache: "cached-fetch" },
    { label: "cachedFetch", runtime: "Deno", cmd: [bin("deno"), "run", "-A", "--no-check"], cache: "cached-fetch" },
    { label: "cachedFetch", runtime: "Bun", cmd: [bin("bun")], cache: "cached-fetch" },
  ];
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
        const r = await runAsync(cmd, [
          ...pre,
          worker,
          row.cache,
          base,
          dir,
          src,
          String(urls),
          String(requests),
          String(maxMiB),
        ], root);
        runs.push(
          r.code === 0 ? { phase, ...JSON.parse(r.stdout.trim().split("\n").at(-1)) } : { phase, error: r.stderr.slice(-500) },
        );
      }
      rmSync(dir, { recursive: true, force: true });
      data.rows.push({ ...row, cmd: undefined, runs });
    }
  } finally {
    server.close();
  }
  return { markdown: render(data), data };
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

function render(data) {
  const memory = data.rows.find((r) => r.cache === "memory")?.runs[0];
  const lines = [
    "| cache | runtime | process | req/s | p50 | p99 | hit ratio | vs MemoryCacheStore | RSS growth, 20 × 10 MiB hits |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of data.rows) {
    for (const r of row.runs) {
      if (r.error) {
        lines.push(`| ${row.label} | ${row.runtime} | ${r.phase} | failed | | | | | |`);
        continue;
      }
      const ratio = memory && !memory.error && r.phase === "first process" ? `${(r.reqPerSec / memory.reqPerSec).toFixed(2)}x` : "";
      lines.push(
        `| ${row.label} | ${row.runtime} | ${r.phase} | ${r.reqPerSec.toFixed(0)} | ${r.p50ms.toFixed(2)} ms | ${r.p99ms.toFixed(2)} ms | ${
          (r.hitRatio * 100).toFixed(1)
        }% | ${ratio} | +${Math.max(0, r.rssGrowthMiB).toFixed(0)} MiB |`,
      );
    }
  }
  return `## HTTP caching (bench/http_bench.mjs, bench/sections/http.mjs)
${data.quick ? "\n**Quick mode** (`--quick`): 200 URLs up to 1 MiB, 1,000 requests; run without `--quick` for 1,000 URLs up to 10 MiB.\n" : ""}
A local node:http server; ${data.urls} URLs with bodies from 1 KiB to ${data.maxMiB} MiB (log-uniform, independent of
popularity), ${data.requests} requests in a Zipf (s = 1) mix, one at a time, each body read to the end as a stream.
undici's stores and ours run under undici 8's \`interceptors.cache\` through undici's \`fetch\`; MemoryCacheStore is
given room for everything (8 GiB, 64 MiB entries), DiskCacheStore and cachedFetch an 8 GiB \`sizeLimit\`. Each cache
runs in a first process, then in a second one on the same directory (a restart). RSS: growth while reading one 10 MiB
body 20 times from the cache (streamed bodies keep it flat; buffered ones cost their size).

${lines.join("\n")}
`;
}
