// Workload 1 of bench/RESULTS.md: python-diskcache's core benchmark
// (bench/peers/_workload.ts has the loop) on this library, on python-diskcache
// itself, on each runtime's raw SQLite binding, and on other caches and stores
// that JS users pick, with 1, 2 and 4 processes sharing one cache or server.
// Each process prints its raw latency samples; they are merged here.
// Section contract: bench/_harness.mjs.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { latencyChart } from "../charts.mjs";
import { setup } from "../setup.mjs";

export const name = "workload1";
export const title = "workload 1: python-diskcache's core benchmark, 1, 2 and 4 processes, against Python and JS caches";

const OPS = ["get", "set", "delete"];

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, spawnError, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (spawnError()) throw spawnError();
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const c = createConnection({ port, host: "127.0.0.1" }, () => (c.end(), resolve(true)));
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error("did not start listening");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts memcached and redis-server on free ports; stop() ends both. */
async function startServers(problems) {
  const servers = {}, children = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  };
  process.once("exit", stop);
  const start = async (name, cmd, args, port) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "", spawnError;
    child.stderr.on("data", (d) => (err += d));
    child.once("error", (e) => (spawnError = e));
    children.push(child);
    try {
      await waitForPort(port, child, () => spawnError);
      servers[name] = `127.0.0.1:${port}`;
      console.log(`workload 1: started ${cmd} on 127.0.0.1:${port}`);
    } catch (e) {
      problems.set(name, `${cmd} did not start: ${e.message} ${err.trim().split("\n")[0] ?? ""}`);
      console.log(`workload 1: ${problems.get(name)}`);
    }
  };
  if (!problems.has("memcached")) {
    const port = await freePort();
    const user = process.getuid?.() === 0 ? ["-u", "root"] : [];
    await start("memcached", "memcached", ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "64", ...user], port);
  }
  if (!problems.has("redis-server")) {
    const port = await freePort();
    await start("redis-server", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], port);
  }
  return {
    servers,
    async stop() {
      stop();
      await Promise.all(
        children.map((c) => (c.pid !== undefined && c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)),
      );
      process.removeListener("exit", stop);
    },
  };
}

/** Runs n copies of one system at once; resolves to the merged result or throws. */
export async function runProcs(sys, n, ops, root, servers) {
  const dir = mkdtempSync(join(tmpdir(), "diskcache-w1-"));
  const go = join(dir, "go");
  const target = sys.server ? servers[sys.server] : join(dir, "c");
  const children = [];
  try {
    const outs = [];
    const ready = [], done = [];
    for (let w = 0; w < n; w++) {
      const args = [...sys.args, target, String(ops), ...(sys.variant ? [sys.variant] : []), "--worker", String(w), "--go", go];
      const child = spawn(sys.cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      const out = { stdout: "", stderr: "" };
      outs.push(out);
      let onReady;
      ready.push(new Promise((r) => (onReady = r)));
      child.stdout.on("data", (d) => {
        out.stdout += d;
        if (out.stdout.includes("READY\n")) onReady();
      });
      child.stderr.on("data", (d) => (out.stderr += d));
      done.push(
        new Promise((resolve) => {
          child.once("error", (e) => ((out.stderr += String(e)), resolve(-1)));
          child.once("close", (code) => resolve(code));
        }),
      );
    }
    const failed = Promise.race(done.map((p, i) => p.then((code) => ({ code, i }))));
    const first = await Promise.race([Promise.all(ready).then(() => "ready"), failed, new Promise((r) => setTimeout(() => r("timeout"), 120_000).unref())]);
    if (first !== "ready") {
      const i = typeof first === "object" ? first.i : 0;
      throw new Error(
        `worker ${i} ${first === "timeout" ? "never got ready" : `exited with ${first.code}`}: ${outs[i].stderr.trim().split("\n").slice(-3).join(" ")}`,
      );
    }
    writeFileSync(go, "");
    const codes = await Promise.all(done);
    const bad = codes.findIndex((c) => c !== 0);
    if (bad >= 0) throw new Error(`worker ${bad} exited with ${codes[bad]}: ${outs[bad].stderr.trim().split("\n").slice(-3).join(" ")}`);
    const results = outs.map((o) => JSON.parse(o.stdout.trim().split("\n").at(-1)));
    const merged = {
      runtime: results[0].runtime,
      driver: results[0].driver,
      procs: n,
      results: {},
      errors: 0,
      firstError: results.find((r) => r.firstError)?.firstError,
    };
    let timedOps = 0;
    for (const op of OPS) {
      const xs = Float64Array.from(results.flatMap((r) => r.samples[op]));
      xs.sort();
      const count = xs.length;
      timedOps += count;
      let total = 0;
      for (const v of xs) total += v;
      const at = (p) => (count ? xs[Math.min(count - 1, Math.floor(count * p))] : NaN);
      merged.results[op] = {
        count,
        misses: results.reduce((a, r) => a + r.misses[op], 0),
        median: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: count ? xs[count - 1] : NaN,
        total,
      };
      merged.errors += results.reduce((a, r) => a + (r.errors?.[op] ?? 0), 0);
    }
    // Throughput: timed operations of all processes over the longest wall
    // time of a process's timed operations (they start together).
    merged.opsPerSec = timedOps / (Math.max(...results.map((r) => r.wallUs)) / 1e6);
    return merged;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @param {import("../_harness.mjs").SectionContext} ctx
 * @returns {Promise<{ markdown: string, charts: string[] }>}
 */
export async function run({ root, quick, bin, runtimes: available, command, fmt }) {
  const { problems: setupProblems } = setup({ root, bin });
  const problems = new Map(setupProblems);
  const ops = quick ? 5000 : 100_000;
  // Stores slower than ~10,000 ops/s get fewer operations in a full run, so
  // that the whole section stays within ~10 minutes on 2 cores.
  const slowOps = quick ? 2000 : 20_000;
  const SLOW_GROUPS = ["keyv", "lmdb", "cacache", "flat", "persist", "fsc"];
  const counts = [1, 2, 4];
  const py = ["/usr/bin/python3", "python3"].find((c) => spawnSync(c, ["-c", "import diskcache"]).status === 0);
  if (!py && !problems.has("python3-diskcache")) problems.set("python3-diskcache", "no python3 with the diskcache module found");
  const w1 = "bench/workload1.ts";
  const peer = (name) => `bench/peers/${name}.ts`;
  // runtime rows from scripts/runtimes.mjs: on.deno(file) = { cmd, args }
  const on = Object.fromEntries(["deno", "bun", "node24", "node20"].map((row) => [row, (file) => command(row, file)]));
  const runtimes = available.map((rt) => rt.row);
  if (!runtimes.includes("node20")) problems.set("node20", "no Node 20 binary found (set DISKCACHE_NODE20)");
  const ALL = counts, ONE = [1];
  const notes = {
    memcached:
      "memcached (memjs): memjs (binary protocol) on Node 24, one connection per process; memcached started by the harness on 127.0.0.1 with 64 MiB and defaults otherwise.",
    redis:
      "Redis (redis): node-redis (`redis` v5) on Node 24, one connection per process; `redis-server --save '' --appendonly no` started by the harness on 127.0.0.1.",
    keyv:
      "keyv + @keyv/sqlite: keyv 5 over @keyv/sqlite (the `sqlite3` package, asynchronous) with its defaults (SQLite's rollback journal and synchronous=FULL: an fsync per write) and a 60 s busy timeout; values as strings through keyv's JSON serializer.",
    lmdb:
      "lmdb: lmdb-js, synchronous `get`; `put` and `remove` are its asynchronous writes, awaited one by one (each resolves when its write transaction has committed, and lmdb syncs each commit to disk by default, which SQLite in WAL mode with synchronous=1 does not); `remove` resolves true for an absent key too, so delete misses are not known; binary values.",
    cacache:
      "cacache: npm's content-addressed cache: `get` throws on a miss (caught, counted as a miss), delete is `rm.entry` (index entry only; content stays until `verify`), which reports no miss. Safe for several processes (append-only index, atomic content writes).",
    flat:
      "flat-cache: version 6, one JSON file kept in memory; `set` and `delete` call `save()` after every change so each write reaches the disk (otherwise they would be memory-only); reports no delete miss. One process only: each process rewrites the whole file from its own memory, so concurrent writers lose each other's changes.",
    persist:
      "node-persist: version 4, one file per key, every `getItem` reads its file. One process only: it keeps no lock and writes files in place, so several processes can read a half-written file.",
    fsc: "file-system-cache: version 2, one file per key (JSON); `remove` reports no miss. One process only: no locking, and writes are not atomic.",
    raw:
      "raw SQLite binding: the runtime's SQLite binding itself: one prepared statement per operation on a key/value table (`key BLOB PRIMARY KEY, value BLOB`), with DiskCache's default pragmas (WAL, synchronous=1, cache_size, mmap_size, auto_vacuum) and a 60 s busy timeout; one implicit transaction per write; rows as arrays on node:sqlite and better-sqlite3 (as DiskCache reads them), as objects on bun:sqlite (its array mode collects all rows).",
  };
  // [group, label, runtime spec, counts, needs, extra]
  const systems = [];
  const add = (group, label, spec, procs, needs = [], extra = {}) => systems.push({ group, label, ...spec, procs, needs, ...extra });
  if (py) {
    add("python", "python-diskcache Cache", { cmd: py, args: [join(root, "bench", "workload1.py")] }, ALL);
    add("python", "python-diskcache FanoutCache(4)", { cmd: py, args: [join(root, "bench", "workload1.py")] }, ALL, [], { variant: "fanout" });
  }
  for (const rt of runtimes) add("diskcache", `DiskCache (${rt})`, on[rt](w1), rt === "node24" || rt === "bun" ? ALL : ONE, [rt], { runtime: rt });
  for (const rt of runtimes) add("fanout", `FanoutCache(4) (${rt})`, on[rt](w1), rt === "node24" ? ALL : ONE, [rt], { variant: "fanout", runtime: rt });
  for (const rt of runtimes) add("raw", `raw SQLite binding (${rt})`, on[rt](peer("raw")), rt === "node24" ? ALL : ONE, [rt], { runtime: rt });
  add("memcached", "memcached (memjs)", on.node24(peer("memcached")), ALL, ["memcached", "memjs"], { server: "memcached" });
  add("redis", "Redis (redis)", on.node24(peer("redis")), ALL, ["redis-server", "redis"], { server: "redis-server" });
  // The slow stores run 1 process only in a quick run, to keep it short.
  const SLOW = quick ? ONE : ALL;
  add("keyv", "keyv + @keyv/sqlite", on.node24(peer("keyv_sqlite")), SLOW, ["keyv", "@keyv/sqlite", "sqlite3"]);
  add("lmdb", "lmdb", on.node24(peer("lmdb")), ALL, ["lmdb"]);
  add("cacache", "cacache", on.node24(peer("cacache")), SLOW, ["cacache"]);
  add("flat", "flat-cache", on.node24(peer("flat_cache")), ONE, ["flat-cache"]);
  add("persist", "node-persist", on.node24(peer("node_persist")), ONE, ["node-persist"]);
  add("fsc", "file-system-cache", on.node24(peer("file_system_cache")), ONE, ["file-system-cache"]);

  const skipped = [];
  const runnable = systems.filter((s) => {
    const why = s.needs.map((n) => problems.get(n)).find(Boolean);
    if (why) {
      skipped.push(`${s.label}: ${why}`);
      console.log(`workload 1: ${s.label} skipped: ${why}`);
    }
    return !why;
  });
  if (!py) skipped.push(`python-diskcache rows: ${problems.get("python3-diskcache")}`);

  const { servers, stop } = await startServers(problems);
  const runs = []; // { sys, procs, r }
  try {
    for (const n of counts) {
      for (const sys of runnable) {
        if (!sys.procs.includes(n)) continue;
        if (sys.server && !servers[sys.server]) {
          if (n === 1) skipped.push(`${sys.label}: ${problems.get(sys.server)}`);
          continue;
        }
        const t0 = Date.now();
        try {
          const r = await runProcs(sys, n, SLOW_GROUPS.includes(sys.group) ? slowOps : ops, root, servers);
          console.log(
            `workload 1: ${sys.label}, ${n} process${n > 1 ? "es" : ""}: ${Math.round(r.opsPerSec)} ops/s (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
          );
          if (r.errors) console.log(`  ${r.errors} operations threw; first: ${r.firstError}`);
          runs.push({ sys, procs: n, r });
        } catch (e) {
          console.log(`workload 1: ${sys.label}, ${n} process${n > 1 ? "es" : ""}: failed: ${e.message}`);
          skipped.push(`${sys.label}, ${n} process${n > 1 ? "es" : ""}: failed: ${e.message}`);
        }
      }
    }
  } finally {
    await stop();
  }

  const find = (label, n) => runs.find((x) => x.sys.label === label && x.procs === n)?.r;
  // Targets, one process, every DiskCache runtime, ratios from this run.
  const base = find("python-diskcache Cache", 1), mc = find("memcached (memjs)", 1), rd = find("Redis (redis)", 1), kv = find("keyv + @keyv/sqlite", 1);
  const cell = (ratio, ok) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x ${ok(ratio) ? "**met**" : "**missed**"}` : "n/a");
  const dcRuntimes = runtimes.filter((rt) => find(`DiskCache (${rt})`, 1));
  const targetRow = (name, ref, f, ok) =>
    `| ${name} | ${ref ? "" : "(not measured) "}${dcRuntimes.map((rt) => (ref ? cell(f(find(`DiskCache (${rt})`, 1), ref), ok) : "n/a")).join(" | ")} |`;
  const targets = [
    `| target (1 process, ratio DiskCache / other) | ${dcRuntimes.join(" | ")} |`,
    `|---|${dcRuntimes.map(() => "---|").join("")}`,
    targetRow("median get ≤ 0.5x python-diskcache Cache", base, (d, b) => d.results.get.median / b.results.get.median, (x) => x <= 0.5),
    targetRow("median set ≤ 0.5x python-diskcache Cache", base, (d, b) => d.results.set.median / b.results.set.median, (x) => x <= 0.5),
    targetRow("median get < memcached (memjs), ratio < 1", mc, (d, b) => d.results.get.median / b.results.get.median, (x) => x < 1),
    targetRow("median get < Redis (redis), ratio < 1", rd, (d, b) => d.results.get.median / b.results.get.median, (x) => x < 1),
    targetRow("throughput ≥ 3x keyv + @keyv/sqlite (ratio of ops/s)", kv, (d, b) => d.opsPerSec / b.opsPerSec, (x) => x >= 3),
  ].join("\n");

  const table = (n) => {
    const rows = runs.filter((x) => x.procs === n);
    const ref = find("python-diskcache Cache", n);
    return [
      "| system | runtime | op | count | misses | median | p90 | p99 | max | total | median vs python Cache |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      ...rows.flatMap(({ sys, r }) =>
        OPS.map((op) => {
          const x = r.results[op];
          const missKnown = !(op === "delete" && ["cacache", "flat", "fsc", "lmdb"].includes(sys.group));
          const vs = ref ? `${(x.median / ref.results[op].median).toFixed(2)}x` : "";
          return `| ${op === "get" ? sys.label : ""} | ${op === "get" ? `${r.runtime}${r.driver ? ` (${r.driver})` : ""}` : ""} | ${op} | ${x.count} | ${
            missKnown ? x.misses : "n/a"
          } | ${fmt(x.median)} | ${fmt(x.p90)} | ${fmt(x.p99)} | ${fmt(x.max)} | ${(x.total / 1e6).toFixed(3)}s | ${vs} |`;
        })
      ),
    ].join("\n");
  };
  const labels = [...new Set(runs.map((x) => x.sys.label))];
  const throughput = [
    `| system | ${counts.map((n) => `${n} process${n > 1 ? "es" : ""}`).join(" | ")} |`,
    `|---|${counts.map(() => "---|").join("")}`,
    ...labels.map((l) =>
      `| ${l} | ${
        counts.map((n) => {
          const r = find(l, n);
          return r ? `${Math.round(r.opsPerSec).toLocaleString("en-US")}${r.errors ? ` (${r.errors} errors)` : ""}` : "–";
        }).join(" | ")
      } |`
    ),
  ].join("\n");

  // Charts: get and set latency per system, one per process count.
  const chartDir = join(root, "bench", "charts");
  mkdirSync(chartDir, { recursive: true });
  const charts = [];
  for (const n of counts) {
    for (const op of ["get", "set"]) {
      const rows = runs.filter((x) => x.procs === n).map(({ sys, r }) => ({
        label: sys.label,
        highlight: sys.group === "diskcache" || sys.group === "fanout",
        ...r.results[op],
      }));
      if (rows.length === 0) continue;
      const file = `workload1-${op}-${n}p.svg`;
      writeFileSync(join(chartDir, file), latencyChart({ title: `Workload 1, ${op}: ${n} process${n > 1 ? "es" : ""} (median, p90, p99)`, rows }));
      charts.push(file);
    }
  }
  const usedNotes = [...new Set(runs.map((x) => x.sys.group))].filter((g) => notes[g]).map((g) => `- ${notes[g]}`);
  const errorNotes = runs.filter((x) => x.r.errors).map((x) =>
    `- ${x.sys.label}, ${x.procs} process${x.procs > 1 ? "es" : ""}: ${x.r.errors} operations threw (counted as misses); first: \`${
      String(x.r.firstError).slice(0, 200)
    }\``
  );

  const markdown = `## Workload 1: python-diskcache's core benchmark, 1, 2 and 4 processes (bench/sections/workload1.mjs)

${ops.toLocaleString("en-US")} operations per process${
    slowOps < ops ? ` (${slowOps.toLocaleString("en-US")} for keyv, lmdb, cacache, flat-cache, node-persist and file-system-cache, which are slower)` : ""
  } (the first 1,000 untimed): 90% get, 9% set, 1% delete over 100 keys,
values of 1 to ~500 bytes, every key set before the loop (bench/peers/_workload.ts, bench/workload1.py).
Each operation is timed on its own; asynchronous stores are awaited inside the timed span. With 2 and 4
processes, the copies run at once on one cache directory or server (they wait for each other after
opening, then start together) and their samples are merged; this machine has ${"" + (await import("node:os")).cpus().length} cores.
Throughput is the timed operations of all processes divided by the longest wall time of one process's
timed loop (so it includes the loop's own work between operations, the same for every system).
python-diskcache 5.4 (Debian's python3-diskcache) runs the same workload in the same run.

### Targets

${targets}

### Throughput (operations per second, all processes together)

${throughput}

${
    counts.map((n) =>
      `### ${n} process${n > 1 ? "es" : ""}

${charts.filter((c) => c.endsWith(`-${n}p.svg`)).map((c) => `![${c.replace(".svg", "")}](charts/${c})`).join("\n")}

${table(n)}
`
    ).join("\n")
  }
### Notes

- DiskCache and FanoutCache(4) (timeout 1 s, like python-diskcache's \`FanoutCache(shards=4, timeout=1.0)\`) use their defaults; keys and values are bytes, as in python-diskcache's benchmark.
- bench/workload1.py draws operations with Python's \`random\`, the JS scripts with one LCG (both seeded by the worker index), so counts and misses differ slightly between Python and JS rows; all JS rows see the same sequence.
${usedNotes.join("\n")}
- Multi-process rows exist only for stores that are safe with several processes; the others say why above.${
    quick ? "\n- Quick run (`--quick`): keyv + @keyv/sqlite and cacache ran with 1 process only, and every run is short, so these numbers are rough." : ""
  }
${errorNotes.join("\n")}
${skipped.length ? `\n### Skipped\n\n${skipped.map((s) => `- ${s}`).join("\n")}\n` : ""}`;
  return { markdown, charts };
}
