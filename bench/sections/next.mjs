// Next.js through `next start` (issue 26, part 4): requests per second and p99
// of an ISR page hit and of a 'use cache' hit (inside a dynamic page), with
// our handlers (from one module, and from two: the incremental one as
// next.config's cacheHandler, which Next re-imports on every request), with Next's defaults (the file system for ISR, memory for
// 'use cache') and with @fortedigital/nextjs-cache-handler's in-memory LRU
// handler (it has no 'use cache' handler: Next's memory one serves that);
// then the disk used after rendering ten times a 1 MB sizeLimit of pages.
// Four `next start` on Node 24 side by side, measured in turn in paired rounds, each round starting with another.
// Needs examples/next/node_modules (npm ci --prefix examples/next) and
// bench/next/node_modules (npm ci --prefix bench/next: autocannon and the
// peer handler). Section contract: bench/_harness.mjs.
// Also runnable alone: node bench/sections/next.mjs [--quick]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const name = "next";
export const title = "Next.js: ISR and 'use cache' hits through next start, ours against Next's defaults and a peer handler; disk after the size test";

const HEADING = "## Next.js handlers through next start (bench/sections/next.mjs, issue 26)";
const MODES = [
  ["diskcache", "ours (`@diskcache/diskcache/next`, both caches: `createCacheHandlers`, one `cacheHandlers` module)"],
  ["diskcache-two-modules", "ours from two modules (`createIncrementalCacheHandler` as `cacheHandler`, `createUseCacheHandler`)"],
  ["next", "Next's defaults (file system + memory LRU for ISR, memory for 'use cache')"],
  ["forte", "@fortedigital/nextjs-cache-handler local-lru (ISR); Next's memory for 'use cache'"],
];

function bytesUnder(dir) {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

function freePort() {
  const s = createServer();
  return new Promise((r) =>
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    })
  );
}

async function startNext(node, app, env) {
  const port = await freePort();
  // NEXT_BENCH_CPU_PROF=dir: each server writes a V8 CPU profile there when it stops (compare them by self time per function).
  const profile = process.env.NEXT_BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${join(process.env.NEXT_BENCH_CPU_PROF, env.NEXT_CACHE_MODE ?? "")}`] : [];
  const child = spawn(node, [...profile, join(app, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: app,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}:\n${out}`);
    try {
      await fetch(url + "/");
      return { url, child, stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGTERM"))) };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`next start did not answer:\n${out}`);
}

function renders(dir, name) {
  const f = join(dir, name);
  return existsSync(f) ? statSync(f).size : 0;
}

/** @param {import("../_harness.mjs").SectionContext} ctx */
export async function run({ root, quick, log }) {
  const app = join(root, "examples", "next"), benchDir = join(root, "bench", "next");
  const missing = [
    [join(app, "node_modules", "next"), "npm ci --prefix examples/next"],
    [join(benchDir, "node_modules", "autocannon"), "npm ci --prefix bench/next"],
    [join(root, "dist", "next.js"), "npm run build"],
  ].filter(([p]) => !existsSync(p)).map(([, fix]) => fix);
  if (missing.length) return { markdown: `${HEADING}\n\nNot measured: run ${missing.join(", ")} first.\n` };
  // The peer handler imports next/constants: let it find the app's Next.
  if (!existsSync(join(benchDir, "node_modules", "next"))) symlinkSync(join(app, "node_modules", "next"), join(benchDir, "node_modules", "next"), "dir");
  const autocannon = createRequire(join(benchDir, "package.json"))("autocannon");
  const node = join(root, "node_modules", ".bin", "node");
  // Paired rounds: the servers run side by side and each round measures each of them in turn,
  // so that load from elsewhere on the machine falls on all three alike; medians over the rounds.
  const plan = quick ? { rounds: 2, duration: 1, connections: 8 } : { rounds: 7, duration: 3, connections: 16 };
  const work = mkdtempSync(join(tmpdir(), "diskcache-next-bench-"));
  const rows = [], sizes = [], servers = [], envs = {};
  const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
  try {
    for (const [mode] of MODES) {
      const env = envs[mode] = {
        NEXT_CACHE_MODE: mode,
        NEXT_DIST_DIR: `.next-bench-${mode}`,
        NEXT_DISKCACHE_DIR: join(work, mode, "cache"),
        RENDER_COUNTER_DIR: join(work, mode, "counters"),
        DATA_URL: "http://127.0.0.1:9",
      };
      mkdirSync(env.RENDER_COUNTER_DIR, { recursive: true });
      log(`next build (${mode})...`);
      const build = spawnSync(node, [join(app, "node_modules/next/dist/bin/next"), "build"], {
        cwd: app,
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env, NEXT_DISKCACHE_DIR: join(work, mode, "build-cache") },
        encoding: "utf8",
      });
      if (build.status !== 0) throw new Error(`next build (${mode}) failed:\n${build.stdout}\n${build.stderr}`);
    }
    for (const [mode] of MODES) servers.push({ mode, server: await startNext(node, app, envs[mode]) });
    const samples = {};
    for (const { mode, server } of servers) {
      for (const path of ["/isr/1", "/cached/1"]) for (let i = 0; i < 3; i++) await (await fetch(server.url + path)).text();
      samples[mode] = {
        isr: [],
        useCache: [],
        renders: { isr: renders(envs[mode].RENDER_COUNTER_DIR, "isr-1"), useCache: renders(envs[mode].RENDER_COUNTER_DIR, "uc-1") },
      };
    }
    for (let round = 0; round < plan.rounds; round++) {
      log(`round ${round + 1} of ${plan.rounds}: ${plan.connections} connections, ${plan.duration} s per server and page`);
      // Each round starts with the next server: a server measured right after another one's load shares the CPU
      // with that one's after-work (garbage collection, compilation), so no server always follows the same other.
      const order = [...servers.slice(round % servers.length), ...servers.slice(0, round % servers.length)];
      for (const [what, path] of [["isr", "/isr/1"], ["useCache", "/cached/1"]]) {
        for (const { mode, server } of order) {
          const r = await autocannon({ url: server.url + path, connections: plan.connections, duration: plan.duration });
          samples[mode][what].push({ rps: r.requests.average, p99: r.latency.p99, bad: r.non2xx + r.errors });
        }
      }
    }
    for (const { mode } of servers) {
      const s = samples[mode], row = { mode };
      for (const [what, counter] of [["isr", "isr-1"], ["useCache", "uc-1"]]) {
        row[what] = {
          rps: median(s[what].map((x) => x.rps)),
          p99: median(s[what].map((x) => x.p99)),
          bad: s[what].reduce((n, x) => n + x.bad, 0),
          renders: renders(envs[mode].RENDER_COUNTER_DIR, counter) - s.renders[what],
        };
      }
      rows.push(row);
    }
    await Promise.all(servers.splice(0).map(({ server }) => server.stop()));
    for (const mode of ["diskcache", "next"]) {
      // The size test: 120 pages of about 80 kB (HTML and RSC payload), ten times a 1 MB budget.
      const sizeEnv = { ...envs[mode], NEXT_DISKCACHE_DIR: join(work, mode, "small"), NEXT_DISKCACHE_SIZE_LIMIT: "1000000" };
      const distBefore = bytesUnder(join(app, sizeEnv.NEXT_DIST_DIR));
      const s = await startNext(node, app, sizeEnv);
      try {
        for (let i = 0; i < 120; i++) await (await fetch(`${s.url}/isr/big${i}`)).text();
      } finally {
        await s.stop();
      }
      sizes.push({ mode, bytes: mode === "diskcache" ? bytesUnder(sizeEnv.NEXT_DISKCACHE_DIR) : bytesUnder(join(app, sizeEnv.NEXT_DIST_DIR)) - distBefore });
    }
  } finally {
    await Promise.all(servers.map(({ server }) => server.stop()));
    for (const [mode] of MODES) rmSync(join(app, `.next-bench-${mode}`), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  const base = rows.find((r) => r.mode === "next");
  const label = Object.fromEntries(MODES);
  const cell = (x, b) =>
    `${Math.round(x.rps)} req/s, p99 ${x.p99} ms${b ? ` (${(x.rps / b.rps).toFixed(2)}x)` : ""}${x.renders ? `, ${x.renders} renders` : ""}${
      x.bad ? `, ${x.bad} errors or non-2xx` : ""
    }`;
  const markdown = `${HEADING}

\`next start\` of examples/next on Node 24, the four servers side by side; ${plan.rounds} rounds, each measuring every server
for ${plan.duration} s with ${plan.connections} connections (autocannon, same machine), medians of the rounds, after three warming requests. ISR hit: \`/isr/1\` (\`revalidate = 3600\`). 'use cache' hit: \`/cached/1\`, a dynamic
page whose one \`'use cache'\` function (cacheTag, cacheLife) is a hit. Ratios against Next's defaults (higher is better).
Targets: ISR hits at least as fast as Next's own file-system cache; 'use cache' hits within 1.2x of Next's memory default.
"N renders": the page's counter moved during the load, so those requests rendered instead of hitting the cache.

| handlers | ISR page hit | 'use cache' hit |
|---|---|---|
${
    rows.map((r) =>
      `| ${label[r.mode]} | ${cell(r.isr, r.mode === "next" ? undefined : base?.isr)} | ${cell(r.useCache, r.mode === "next" ? undefined : base?.useCache)} |`
    ).join("\n")
  }

Disk used after rendering 120 pages of about 80 kB each (ten times a 1 MB budget):
${
    sizes.map((s) =>
      `${s.mode === "diskcache" ? "ours with `sizeLimit: 1e6`" : "Next's defaults (growth of the build directory)"}: ${(s.bytes / 1e6).toFixed(2)} MB`
    ).join("; ")
  }
(ours includes SQLite's write-ahead log, about 4 MB at most with the default auto-checkpoint).
`;
  return { markdown, data: { rows, sizes } };
}

if (resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
  const { markdown } = await run({ root, quick: process.argv.includes("--quick"), log: (...a) => console.log("[next]", ...a) });
  console.log(markdown);
}
