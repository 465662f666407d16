// The memory tier (issue 16): bench/memory_bench.ts on every runtime, alone
// and with another process writing constantly, and python-diskcache's
// workload 1 (bench/workload1.ts) with and without the tier. Ratios are
// taken within one process's run (memory_bench interleaves its cases), so
// they compare like with like on a loaded machine. Section contract:
// bench/_harness.mjs.
import { spawnSync } from "node:child_process";
import { runProcs } from "./workload1.mjs";

export const name = "memory";
const V8_FLAG = "--external-memory-accounted-in-global-limit";
export const title = "the memory tier: hot gets against the raw SELECT, lmdb-js and lru-cache, another process writing, workload 1";

/** @param {import("../_harness.mjs").SectionContext} ctx */
export async function run({ root, quick, runtimes: available, command, fmt, log }) {
  const runtimes = available.map((rt) => rt.row);
  const size = quick ? ["--ops", "5000", "--rounds", "7"] : ["--ops", "20000", "--rounds", "15"];
  const writer = command("node24", "bench/_writer.ts");
  const problems = [];
  const micro = { alone: {}, writing: {} };
  for (const rt of runtimes) {
    const runs = [["alone", rt, []], ["writing", rt, writer ? ["--writer", writer.cmd, ...writer.args] : undefined]];
    // Node 24 once more with V8's external memory counted in its global
    // limit: without it about every 64 MB of ArrayBuffers (100 KB copies) costs a
    // full GC of the heap, which is what its 100 KB rows measure.
    if (rt === "node24") runs.splice(1, 0, ["alone", `${rt} ${V8_FLAG}`, [], [V8_FLAG]]);
    for (const [mode, label, extra, flags = []] of runs) {
      if (extra === undefined) continue;
      const c = command(rt, "bench/memory_bench.ts", [...size, ...extra]);
      log(`memory_bench on ${label} (${mode})...`);
      const r = spawnSync(c.cmd, [...flags, ...c.args], { cwd: root, encoding: "utf8", timeout: 600_000 });
      const line = r.stdout?.trim().split("\n").at(-1);
      try {
        micro[mode][label] = JSON.parse(line);
      } catch {
        problems.push(`memory_bench on ${label} (${mode}) failed: ${(r.stderr || r.error || "").toString().trim().split("\n").slice(-2).join(" ")}`);
      }
    }
  }
  const ops = quick ? 5000 : 100_000;
  const w1 = {};
  for (const rt of runtimes) {
    for (const variant of [undefined, "memory", "memory1"]) {
      try {
        const sys = { ...command(rt, "bench/workload1.ts"), variant };
        (w1[rt] ??= {})[variant ?? "none"] = await runProcs(sys, 1, ops, root, {});
      } catch (error) {
        problems.push(`workload 1 on ${rt} (${variant ?? "no tier"}) failed: ${error.message}`);
      }
    }
  }
  if (!runtimes.includes("node20")) problems.push("node20: no Node 20 binary found (set DISKCACHE_NODE20)");

  const ns = (x) => (x === undefined ? "n/a" : x >= 10_000 ? `${(x / 1000).toFixed(1)} µs` : `${Math.round(x)} ns`);
  const ratio = (a, b) => (a === undefined || b === undefined ? "n/a" : `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}x`);
  const table = (mode) =>
    Object.entries(micro[mode]).map(([rt, m]) => {
      const r = m.results;
      const base = mode === "alone" ? "raw SELECT" : "get, no tier";
      return `| ${rt} (${m.driver}) | ${ns(r["raw SELECT"])} | ${ns(r["PRAGMA data_version"])} | ${ns(r["-shm header pread"])} | ${ns(r["get, no tier"])} | ${
        ns(r["get, staleness 0"])
      } (${ratio(r["get, staleness 0"], r[base])}) | ${ns(r["get, staleness 1"])} (${ratio(r["get, staleness 1"], r[base])}) | ${ns(r["lmdb-js get"])} | ${
        ns(r["lru-cache get"])
      } | ${ns(r["file get (100 KB), no tier"])} → ${ns(r["file get (100 KB), staleness 0"])} (${
        ratio(r["file get (100 KB), staleness 0"], r["file get (100 KB), no tier"])
      }); the copy alone ${ns(r["file copy (100 KB slice)"])} |`;
    }).join("\n");
  const head = (vs) =>
    `| runtime | raw SELECT | data_version | -shm pread | get, no tier | get, staleness 0 (vs ${vs}) | get, staleness 1 (vs ${vs}) | lmdb-js get | lru-cache get | file get 100 KB: no tier → staleness 0 |\n|---|---|---|---|---|---|---|---|---|---|`;
  const w1rows = Object.entries(w1).map(([rt, v]) => {
    const base = v.none?.opsPerSec;
    const cell = (
      x,
    ) => (x === undefined
      ? "n/a"
      : `${Math.round(x.opsPerSec).toLocaleString("en")} ops/s (${ratio(x.opsPerSec, base)}), get median ${fmt(x.results.get.median)}, set ${
        fmt(x.results.set.median)
      }`);
    return `| ${rt} | ${cell(v.none)} | ${cell(v.memory)} | ${cell(v.memory1)} |`;
  }).join("\n");
  const markdown = `## The memory tier: hot reads at memory speed, coherent across processes (bench/memory_bench.ts, issue 16)

One process per runtime; 1,000 keys of 100-character strings read round-robin (all hot), ${size[1]} reads per case and round,
cases interleaved, median of ${size[3]} rounds, in CPU time of the reading process (user + system; this shared machine's wall time
also counts other processes). "raw SELECT" is the runtime's own binding on the same \`cache.db\`; "data_version"
and "-shm pread" are the two signals a tier can use to learn that another connection committed (the tier uses data_version; see
the README). Targets: staleness 0 at most 0.8x a raw SELECT; staleness 1 at most 0.05x, and no slower than lmdb-js and lru-cache;
a file-backed hot get at most 0.1x today's. Its floor is the fresh 100 KB copy every get returns ("the copy alone",
\`Uint8Array.prototype.slice\`, the tier's copy). On Node 24 that copy is mostly garbage collection: V8 13 starts a full
(mark-compact) GC of the whole heap after about every 64 MB of ArrayBuffers allocated, so each 100 KB value, with the tier or without,
carries 1/640 of a full GC; the "node24 ${V8_FLAG}" row is the same run with V8's flag that counts that memory in its
global limit instead (Node 20, Bun and Deno need no flag). The 100 KB cases run ${Number(size[1]) / 5} reads per sample, so those GCs
spread evenly over them.

${head("SELECT")}
${table("alone")}

### The same while another process (Node 24, bench/_writer.ts) sets keys in a loop

Every commit of the writer empties the tier with staleness 0; target: no slower than without the tier.

${head("no tier")}
${table("writing")}

### python-diskcache's workload 1 (90% get, 9% set, 1% delete, 100 keys), one process, ${ops.toLocaleString("en")} operations

Throughput in wall time (one run each, so it carries this machine's noise); the medians are steadier.

| runtime | no tier | staleness 0 | staleness 1 |
|---|---|---|---|
${w1rows}
${problems.length ? `\nNot measured: ${problems.join("; ")}.\n` : ""}`;
  return { markdown, data: { micro, w1 } };
}
