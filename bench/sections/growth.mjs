// Workload 2, growth: runs bench/growth_bench.ts per cache size (fill, time
// and RSS phases in separate processes) and renders the section.
// Section contract: bench/_harness.mjs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "growth";
export const title = "workload 2: get/set as the cache grows to 1,000,000 keys and 2 GiB of files";

const TARGET = { get: 1.3, set: 1.5 };

// ops/fileOps: gets and sets per variant over all rounds of the paired
// timing (each round times gets/rounds and sets/rounds of every variant);
// rss: what the peak-RSS processes do, once.
function plan(quick) {
  return quick
    ? {
      small: [1_000, 100_000],
      files: { keys: 2_000, kib: 100 }, // 200 MiB of value files
      ops: { gets: 10_000, sets: 2_000, rounds: 20, rss: { gets: 3_000, sets: 600 } },
      fileOps: { gets: 900, sets: 300, rounds: 10, rss: { gets: 300, sets: 100 } },
      runtimes: ["node24"],
    }
    : {
      small: [1_000, 100_000, 1_000_000],
      files: { keys: 20_000, kib: 100 }, // 2 GiB of value files
      ops: { gets: 100_000, sets: 25_000, rounds: 25, rss: { gets: 20_000, sets: 5_000 } },
      fileOps: { gets: 10_000, sets: 2_500, rounds: 25, rss: { gets: 2_000, sets: 500 } },
      runtimes: ["node24", "bun"],
    };
}

/**
 * @param {import("../_harness.mjs").SectionContext} ctx
 * @returns {Promise<{ markdown: string, data: object }>}
 */
export function run({ root, quick, command, fmt }) {
  const started = Date.now();
  const p = plan(quick);
  const phaseSeconds = {};
  const runPhase = (runtime, args) => {
    const c = command(runtime, "bench/growth_bench.ts", args);
    const t = Date.now();
    const r = spawnSync(c.cmd, c.args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 24 });
    const phase = `${args[0]} ${args.includes("--who") ? args[args.indexOf("--who") + 1] + " " : ""}${runtime} ${args[args.indexOf("--keys") + 1]}`;
    phaseSeconds[phase] = (Date.now() - t) / 1000;
    if (r.status !== 0) {
      console.log(`growth ${runtime} ${args[0]} failed:\n${r.stderr}`);
      return undefined;
    }
    return JSON.parse(r.stdout.trim().split("\n").at(-1));
  };
  const sizes = [
    ...p.small.map((keys) => ({ keys, fileKiB: 0, ops: p.ops })),
    { keys: p.files.keys, fileKiB: p.files.kib, ops: p.fileOps },
  ];
  const notes = [];
  const data = { quick, sizes: [] };
  for (const size of sizes) {
    const label = size.fileKiB ? `${size.keys.toLocaleString("en")} × ${size.fileKiB} KiB files` : `${size.keys.toLocaleString("en")} keys`;
    const base = ["--keys", String(size.keys), "--file-kib", String(size.fileKiB)];
    const tmp = tmpdir();
    // Two copies (cache and raw) of the data, plus what the sets add.
    const need = 2.5 * size.keys * (size.fileKiB ? size.fileKiB * 1024 : 600);
    const { bavail, bsize } = statfsSync(tmp);
    if (bavail * bsize < need + 2 ** 30) {
      notes.push(`${label}: skipped, ${((bavail * bsize) / 2 ** 30).toFixed(1)} GiB free in ${tmp}, ${(need / 2 ** 30).toFixed(1)} GiB needed`);
      continue;
    }
    const dir = mkdtempSync(join(tmp, "diskcache-growth-"));
    const entry = { label, keys: size.keys, fileKiB: size.fileKiB, time: {}, rss: {} };
    try {
      console.log(`running growth ${label}: fill...`);
      entry.fill = runPhase("node24", ["fill", "--dir", dir, ...base]);
      if (!entry.fill) {
        notes.push(`${label}: the fill failed (see the log)`);
        continue;
      }
      const ops = (o) => ["--gets", String(o.gets), "--sets", String(o.sets)];
      for (const rt of p.runtimes) {
        console.log(`running growth ${label}: time on ${rt}...`);
        entry.time[rt] = runPhase(rt, ["time", "--dir", dir, ...base, ...ops(size.ops), "--rounds", String(size.ops.rounds)]);
      }
      for (const who of ["cache", "raw"]) {
        console.log(`running growth ${label}: peak RSS of ${who} on node24...`);
        entry.rss[who] = runPhase("node24", ["rss", "--dir", dir, ...base, ...ops(size.ops.rss), "--who", who]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    data.sizes.push(entry);
  }
  data.seconds = (Date.now() - started) / 1000;
  data.phaseSeconds = phaseSeconds;
  return { markdown: render(data, p, fmt, notes), data };
}

function render(data, p, fmt, notes) {
  /** A paired ratio (median of the per-round ratios) with its interquartile range. */
  const paired = (r) => `**${r.median.toFixed(2)}x** (${r.q1.toFixed(2)}-${r.q3.toFixed(2)})`;
  const latency = [];
  for (const s of data.sizes) {
    for (const [rt, t] of Object.entries(s.time)) {
      if (!t) {
        latency.push(`| ${s.label} | ${rt} | failed | | | | | | |`);
        continue;
      }
      const R = t.results, Q = t.ratios;
      const layout = R["raw set (file layout)"];
      latency.push(
        `| ${s.label} | ${t.runtime} (${t.driver}) | ${fmt(R["raw get"].median)} | ${fmt(R["cache get"].median)} | ${paired(Q.get)} ${
          Q.get.median <= TARGET.get ? "met" : "missed"
        } | ${fmt(R["raw set"].median)} | ${fmt(R["cache set"].median)} | ${paired(Q.set)} ${Q.set.median <= TARGET.set ? "met" : "missed"} | ${
          layout ? `${fmt(layout.median)} (cache ${Q["set (file layout)"].median.toFixed(2)}x)` : ""
        } |`,
      );
    }
  }
  // Growth of each median from the smallest to the largest inline size, per runtime.
  const growthLines = [];
  const small = data.sizes.filter((s) => !s.fileKiB);
  if (small.length >= 2) {
    const first = small[0], last = small.at(-1);
    for (const rt of Object.keys(first.time)) {
      const a = first.time[rt]?.results, b = last.time[rt]?.results;
      if (!a || !b) continue;
      const gr = (k) => (b[k].median / a[k].median).toFixed(2);
      growthLines.push(
        `- ${first.time[rt].runtime}, ${first.label} → ${last.label}: raw get ${gr("raw get")}x, cache get ${gr("cache get")}x; raw set ${
          gr("raw set")
        }x, cache set ${gr("cache set")}x.`,
      );
    }
  }
  const mib = (v) => (v === undefined ? "" : `${v.toFixed(0)} MiB`);
  const rss = data.sizes.map((s) => {
    const c = s.rss.cache, r = s.rss.raw;
    return `| ${s.label} | ${mib(s.fill?.dbMiB)} / ${mib(s.fill?.totalMiB)} | **${mib(c?.peakRssMiB)}** | ${
      c ? `${mib(c.rssEnd.anon)} / ${mib(c.rssEnd.file)}` : ""
    } | ${mib(r?.peakRssMiB)} | ${mib(c?.rssOpenedMiB)} | ${mib(s.fill?.peakRssMiB)} | ${s.fill ? `${s.fill.fillSeconds.toFixed(1)} s` : ""} |`;
  });
  const o = p.ops, f = p.fileOps;
  return `## Workload 2: growth, get/set as the cache grows (bench/growth_bench.ts, bench/sections/growth.mjs)
${data.quick ? "\n**Quick mode** (`--quick`): smaller sizes, fewer operations; run without `--quick` for 1e6 keys and 2 GiB of files.\n" : ""}
Each size is filled untimed (DiskCache: \`transact\` in chunks; values of 1 to 500 bytes inline, or
of ${p.files.kib} KiB, which go to value files), then the directory is copied, so the raw driver
works on exactly the same rows and files. A fresh process then opens both and times
${o.gets.toLocaleString("en")} gets and ${o.sets.toLocaleString("en")} sets per variant (${f.gets.toLocaleString("en")} and ${
    f.sets.toLocaleString("en")
  } with files) of uniformly random existing keys,
paired: ${o.rounds} rounds (${f.rounds} with files), each timing a batch of ${(o.gets / o.rounds).toLocaleString("en")} gets and ${
    (o.sets / o.rounds).toLocaleString("en")
  } sets (${(f.gets / f.rounds).toLocaleString("en")} and ${(f.sets / f.rounds).toLocaleString("en")})
of every variant on the same keys, in an order rotated every round; a ratio is the median over rounds
of DiskCache's median / the raw median in the same round (interquartile range in brackets), the
latencies are over all rounds merged. Raw get: one prepared SELECT (plus reading the named file);
raw set: one upsert in \`BEGIN IMMEDIATE\`/\`COMMIT\` (with files: write a new flat file first,
read the old name in the transaction, unlink it after). "raw set, file layout" does the same
in python-diskcache's \`xx/yy/\` directories, creating and removing them as DiskCache does: the
floor of the on-disk format. Targets: get ≤ ${TARGET.get}x, set ≤ ${TARGET.set}x raw.

| data | runtime (driver) | raw get | cache get | get ratio | raw set | cache set | set ratio | raw set, file layout |
|---|---|---|---|---|---|---|---|---|
${latency.join("\n")}

With value files, a set is mostly file-system metadata work: create the file (and its \`xx/yy/\`
directory), unlink the old file and remove its emptied directory. Those calls wait on the
file system's journal, so on a shared machine that row varies several-fold between runs; the
file-layout raw row, which makes the same calls, is the fair floor for it.

${growthLines.length ? `Growth of the medians (SQLite's own cost grows with the B-tree's depth and cache misses):\n\n${growthLines.join("\n")}\n` : ""}
Peak RSS, Node 24: a fresh process opens the filled cache (or, for comparison, only the raw
connection) and does ${o.rss.gets.toLocaleString("en")} gets and ${o.rss.sets.toLocaleString("en")} sets (${f.rss.gets.toLocaleString("en")} and ${
    f.rss.sets.toLocaleString("en")
  } with files); VmHWM of the whole process. Node 24 itself
takes about 90 MiB. SQLite's share is bounded by \`cache_size\` (8192 pages, 32 MiB, anonymous)
and \`mmap_size\` (64 MiB of the database mapped, file-backed), whichever is used.

| data | cache.db / all files | cache process peak | cache at end: anon / file-backed | raw-driver process peak | cache right after open | fill process peak | fill time |
|---|---|---|---|---|---|---|---|
${rss.join("\n")}
${notes.length ? `\n${notes.map((n) => `- ${n}`).join("\n")}\n` : ""}
Section time: ${data.seconds.toFixed(0)} s.
`;
}
