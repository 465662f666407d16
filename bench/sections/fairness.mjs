// Fair turns at the write lock: 8 writer processes of mixed runtimes on one
// cache (bench/fairness_writer.ts), through set() with the turns switched off
// (SQLite's busy handler alone: the throughput to keep), set() and setAsync()
// in turns, and python-diskcache with 8 processes (bench/fairness_writer.py).
// Section contract: bench/_harness.mjs.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "fairness";
export const title = "8 writer processes on one cache: share per second, longest write, throughput";

const MIX = ["node24", "node24", "node24", "bun", "bun", "bun", "deno", "deno"];

function runAll(commands, root) {
  return Promise.all(commands.map(({ cmd, args }) =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
      child.stderr.setEncoding("utf8").on("data", (d) => (err += d));
      child.on("close", (code) => {
        try {
          resolve(code === 0 ? { ...JSON.parse(out.trim().split("\n").at(-1)), cmd } : { error: err, cmd });
        } catch {
          resolve({ error: out + err, cmd });
        }
      });
    })
  ));
}

/** Per writer and window: its writes against an eighth of the window's total; the worst of them. */
function summarize(results, seconds) {
  const ok = results.filter((r) => r.counts);
  const totals = new Array(seconds).fill(0);
  for (const r of ok) r.counts.forEach((n, w) => (totals[w] += n));
  let worst = Infinity;
  let starved = 0;
  for (const r of ok) {
    r.counts.forEach((n, w) => {
      if (totals[w] === 0) return;
      const share = n / (totals[w] / ok.length);
      worst = Math.min(worst, share);
      if (share < 1 / 3) starved++;
    });
  }
  return {
    writers: ok.length,
    failed: results.length - ok.length,
    perSecond: totals.reduce((a, b) => a + b, 0) / seconds,
    worstShare: worst,
    starvedWindows: starved,
    windows: ok.length * seconds,
    maxWait: Math.max(...ok.map((r) => r.maxWait)),
  };
}

/** @param {import("../_harness.mjs").SectionContext} ctx */
export async function run({ root, quick, command, log }) {
  const seconds = quick ? 2 : 6;
  const rows = [];
  const data = {};
  const python = "/usr/bin/python3";
  const runs = [
    ["set(), turns off (SQLite's busy handler alone)", "plain"],
    ["set() (fair turns)", "sync"],
    ["setAsync() (fair turns, timer retries)", "async"],
    ["python-diskcache 5.x, 8 processes", "python"],
  ];
  for (const [label, mode] of runs) {
    const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-fairness-"));
    try {
      const startAt = String(Date.now() + 3000); // every process started and opened by then
      const commands = mode === "python"
        ? MIX.map((_, i) => ({ cmd: python, args: ["bench/fairness_writer.py", join(dir, "c"), String(seconds), startAt, `p${i}`] }))
        : MIX.map((row, i) => command(row, "bench/fairness_writer.ts", [join(dir, "c"), mode, String(seconds), startAt, `${row}-${i}`]))
          .filter(Boolean);
      log(`${label}: ${commands.length} writers for ${seconds} s...`);
      const results = await runAll(commands, root);
      for (const r of results) if (r.error) log(`a writer failed: ${r.error.split("\n").slice(-3).join(" ")}`);
      const s = summarize(results, seconds);
      data[mode] = { ...s, results };
      rows.push(
        `| ${label} | ${s.writers} | ${Math.round(s.perSecond).toLocaleString("en")} | ${
          s.worstShare.toFixed(2)
        } | ${s.starvedWindows} of ${s.windows} | ${s.maxWait} ms |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const markdown = `## Fair turns at the write lock (bench/fairness_writer.ts, bench/fairness_writer.py)

8 writer processes on one cache (3 Node 24, 3 Bun, 2 Deno; for python-diskcache 8 Python processes on
another), each setting 200-byte values in a tight loop for ${seconds} s from one instant. Per writer and
one-second window, its share is its writes over an eighth of the window's total: the table gives the
smallest share seen, and how many windows fell under a third of a fair share (the target: none), the
longest single write (target: at most 1 s), and the writes per second of all eight (target: at least
those of the first row, the same processes with SQLite's busy handler alone).

| writers use | writers | writes/s (all) | smallest share | windows under 1/3 share | longest write |
|---|---|---|---|---|---|
${rows.join("\n")}
`;
  return { markdown, data };
}
