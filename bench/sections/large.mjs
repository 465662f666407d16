// Workload 3, large values: runs bench/stream_bench.ts once per value size
// (its own process, so each size has its own peak RSS) and renders the section.
// Section contract: bench/_harness.mjs.
import { spawnSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { tmpdir } from "node:os";

export const name = "large";
export const title = "workload 3: large values (1 MiB to 1 GiB) against cp";

const TARGET = 0.5;

function plan(quick) {
  return quick ? [{ mib: 1, reps: 10 }, { mib: 100, reps: 3 }] : [{ mib: 1, reps: 50 }, { mib: 100, reps: 5 }, { mib: 1024, reps: 3 }];
}

/**
 * @param {import("../_harness.mjs").SectionContext} ctx
 * @returns {Promise<{ markdown: string, data: object }>}
 */
export function run({ root, quick, command, log }) {
  const started = Date.now();
  const data = { quick, sizes: [] };
  const notes = [];
  for (const { mib, reps } of plan(quick)) {
    // The source, one copy, the cache's file and getStream's output.
    const { bavail, bsize } = statfsSync(tmpdir());
    if (bavail * bsize < 4 * mib * 2 ** 20 + 2 ** 30) {
      notes.push(`${mib} MiB: skipped, only ${((bavail * bsize) / 2 ** 30).toFixed(1)} GiB free in ${tmpdir()}`);
      continue;
    }
    log(`running large values: ${mib} MiB × ${reps}...`);
    const { cmd, args } = command("node24", "bench/stream_bench.ts", ["--mib", String(mib), "--reps", String(reps)]);
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
    if (r.status !== 0) {
      log(`stream_bench.ts --mib ${mib} failed:\n${r.stderr}`);
      notes.push(`${mib} MiB: failed (see the log)`);
      continue;
    }
    data.sizes.push(JSON.parse(r.stdout.trim().split("\n").at(-1)));
  }
  data.seconds = (Date.now() - started) / 1000;
  return { markdown: render(data, notes), data };
}

const isCacheOp = (name) => /^(setStream|getStream|setFile|getFile|set|get) /.test(name);

function render(data, notes) {
  const rows = [];
  for (const s of data.sizes) {
    const R = s.results, cp = R.cp.mibPerSec, kernel = R["fs.copyFileSync"].mibPerSec;
    const size = s.mib >= 1024 ? `${s.mib / 1024} GiB` : `${s.mib} MiB`;
    for (const [name, r] of Object.entries(R)) {
      const ratio = r.mibPerSec / cp;
      const verdict = isCacheOp(name) ? ` ${ratio >= TARGET ? "met" : "missed"}` : "";
      const grew = r.peakRssMiB - r.rssBeforeMiB;
      rows.push(
        `| ${size} | ${name} | ${r.mibPerSec.toFixed(0)} | **${ratio.toFixed(2)}**${verdict} | ${(r.mibPerSec / kernel).toFixed(2)} | ${
          r.rssBeforeMiB.toFixed(0)
        } → ${r.peakRssMiB.toFixed(0)} MiB (+${Math.max(0, grew).toFixed(0)}) |`,
      );
    }
  }
  const runtime = data.sizes[0]?.runtime ?? "node";
  return `## Workload 3: large values vs cp (bench/stream_bench.ts, bench/sections/large.mjs)
${data.quick ? "\n**Quick mode** (`--quick`): values up to 100 MiB; run without `--quick` for 1 GiB.\n" : ""}
${runtime}; source, copies and cache on the same disk, warm page cache, no fsync anywhere.
setStream reads the source file into the cache, getStream pipes the cached value to a new
file, each twice: through Node's stream adapters (\`Readable.toWeb(createReadStream)\` with
1 MiB chunks, \`Writable.toWeb(createWriteStream)\`: what Node code would write, and on this
machine they alone cost about as much as the copy), and through minimal web streams over a
file handle (4 MiB reads; each chunk written as it comes: the cache's own cost). setFile and
getFile copy between a path and the value file with the file system's own copy, as cp does: the
way to cache a value that is a file. For 1 MiB, plain
\`set()\` of a \`Uint8Array\` and \`get()\` are timed too (memory to cache and back). Yardsticks: \`cp\`
(coreutils copies inside the kernel with copy_file_range; for 1 MiB its time is mostly starting
the process), \`dd bs=4M\` (a user-space copy), and \`fs.copyFileSync\` (cp's kernel copy without a
process start). Median of ${data.sizes.map((s) => `${s.reps} (${s.mib} MiB)`).join(", ")} interleaved repetitions. Target: at
least ${TARGET} of cp's throughput. Memory: the peak RSS while the operation ran (VmHWM reset
just before it), against the RSS just before it; a streamed value must not need its size in RSS.

| value | operation | MiB/s | vs cp | vs fs.copyFileSync | RSS before → peak |
|---|---|---|---|---|---|
${rows.join("\n")}
${notes.length ? `\n${notes.map((n) => `- ${n}`).join("\n")}\n` : ""}
Section time: ${data.seconds.toFixed(0)} s.
`;
}
