// Cold start: whole processes (import, open a cache in a fresh directory, set,
// get, close), ours against the raw driver, the empty runtime and python-diskcache,
// from the source entry and from the packed npm build; and the `diskcache get`
// command against the raw driver reading one row. Section contract: bench/_harness.mjs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "cold_start";
export const title = "cold start of a whole process against the raw driver's, every runtime";

/** Target: ours at most this many times the raw driver's script. */
const TARGET = 1.3;
const PYTHON = "/usr/bin/python3";

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run({ root, quick, runtimes, log }) {
  const rounds = quick ? 3 : 10;
  const dir = (f) => join(root, "bench", "cold_start", f);
  const has = (row) => runtimes.find((rt) => rt.row === row);
  // The packed build: what `npm pack` ships (scripts/build_package.mjs), built into bench/out/.
  const packed = join(root, "bench", "out", "cold_start_package");
  log("building the npm package into bench/out/cold_start_package...");
  const b = spawnSync(process.execPath, [join(root, "scripts", "build_package.mjs"), "--out", packed], { cwd: root, encoding: "utf8" });
  const packedOk = b.status === 0;
  if (!packedOk) log(`scripts/build_package.mjs --out failed:\n${b.stdout}${b.stderr}`);
  // One existing cache with one row, for the `get` commands.
  const existing = mkdtempSync(join(tmpdir(), "cold-start-get-"));
  const source = join(root, "mod.ts"), sourceCli = join(root, "cli.ts");
  const node24 = has("node24");
  if (node24) spawnSync(node24.binary, [...node24.run, sourceCli, "set", existing, "key", "value"], { cwd: root });

  /** How a row starts a plain script (.mjs or .ts): its runtime's flags, not the built-row mapping. */
  const argv = (rt, file, args = []) => [rt.binary, [...rt.run, file, ...args]];
  /** The variants: [group, row, label, cmd, args]. */
  const variants = [];
  const add = (group, row, label, [cmd, args]) => variants.push({ group, row, label, cmd, args, times: [] });
  for (const rt of runtimes) {
    add("start", rt.row, "empty script", argv(rt, dir("empty.mjs")));
    add("start", rt.row, `raw driver (${rt.driver})`, argv(rt, dir("raw.mjs")));
    add("start", rt.row, "raw driver creating the format's schema", argv(rt, dir("raw_schema.mjs")));
    if (rt.row !== "node20") add("start", rt.row, "ours, source entry (mod.ts)", argv(rt, dir("ours.mjs"), [source]));
    if (packedOk && rt.row !== "deno") add("start", rt.row, "ours, packed npm build", argv(rt, dir("ours.mjs"), [join(packed, "mod.js")]));
    // The tsc output as it is, one file per module (what the npm package shipped before the bundle).
    if (rt.row.startsWith("node") && existsSync(join(root, "dist", "mod.js"))) {
      add("start", rt.row, "ours, tsc output unbundled (dist/mod.js)", argv(rt, dir("ours.mjs"), [join(root, "dist", "mod.js")]));
    }
    add("get", rt.row, `raw driver reads one row (${rt.driver})`, argv(rt, dir("raw_get.mjs"), [existing, "key"]));
    if (rt.row !== "node20") add("get", rt.row, "`diskcache get`, source entry (cli.ts)", argv(rt, sourceCli, ["get", existing, "key"]));
    if (packedOk && rt.row !== "deno") add("get", rt.row, "`diskcache get`, packed npm build", argv(rt, join(packed, "cli.js"), ["get", existing, "key"]));
  }
  const python = spawnSync(PYTHON, ["-c", "import diskcache"]).status === 0;
  if (python) {
    add("start", "python", "empty script", [PYTHON, ["-c", "pass"]]);
    add("start", "python", "python-diskcache 5", [PYTHON, [dir("ours.py")]]);
  } else log(`${PYTHON} cannot import diskcache: its rows are left out (bench/setup.mjs installs python3-diskcache)`);

  // One untimed run of each (runtimes keep caches of compiled code: the rows
  // measure a process start on a machine that ran the program before), then
  // rounds that each run every variant once. Within a round the variants of
  // one runtime and group run back to back, in alternating order, and each
  // ratio is the median of the per-round ratios (paired, as get_set does): on
  // a shared machine, load that comes and goes then falls on both sides of a ratio.
  for (const v of variants) {
    const r = spawnSync(v.cmd, v.args, { cwd: root, encoding: "utf8" });
    if (r.status !== 0) {
      log(`${v.row} ${v.label} failed (exit ${r.status}):\n${r.stderr}`);
      v.failed = true;
    }
  }
  const groups = [];
  for (const v of variants) {
    const g = groups.find((g) => g[0].group === v.group && g[0].row === v.row);
    if (g) g.push(v);
    else groups.push([v]);
  }
  log(`${variants.length} variants, ${rounds} rounds...`);
  const order = [];
  for (let i = 0; i < rounds; i++) {
    for (const g of groups) for (const v of i % 2 ? [...g].reverse() : g) order.push(variants.indexOf(v));
  }
  for (const v of variants) v.cpu = [];
  // Python's os.wait4 gives each child's CPU time as well (bench/cold_start/spawn_many.py);
  // without Python, Node times the wall clock alone.
  const timed = python
    ? spawnSync(PYTHON, [dir("spawn_many.py")], {
      input: JSON.stringify({ commands: variants.map((v) => [v.cmd, ...v.args]), order, cwd: root }),
      encoding: "utf8",
      maxBuffer: 1 << 24,
    })
    : undefined;
  if (timed?.status === 0) {
    for (const [index, wall, cpu, code] of JSON.parse(timed.stdout)) {
      const v = variants[index];
      v.times.push(code === 0 && !v.failed ? wall : NaN);
      v.cpu.push(code === 0 && !v.failed ? cpu : NaN);
    }
  } else {
    if (timed) log(`bench/cold_start/spawn_many.py failed:\n${timed.stderr}`);
    for (const index of order) {
      const v = variants[index];
      const t0 = process.hrtime.bigint();
      const r = v.failed ? undefined : spawnSync(v.cmd, v.args, { cwd: root, stdio: "ignore" });
      v.times.push(r && r.status === 0 ? Number(process.hrtime.bigint() - t0) / 1e6 : NaN);
    }
  }
  rmSync(existing, { recursive: true, force: true });
  const median = (xs) => {
    if (xs.length === 0 || xs.some(Number.isNaN)) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const paired = (a, b, what = "times") => median(a[what].map((t, i) => t / b[what][i]));
  for (const v of variants) [v.median, v.cpuMedian] = [median(v.times), v.cpu.length ? median(v.cpu) : NaN];
  const ms = (x) => (Number.isNaN(x) ? "failed" : `${x.toFixed(1)} ms`);
  const labelOf = (row) => (row === "python" ? "Python 3" : has(row).label);

  const lines = [];
  for (const group of ["start", "get"]) {
    for (const row of [...runtimes.map((rt) => rt.row), "python"]) {
      const vs = variants.filter((v) => v.group === group && v.row === row);
      if (vs.length === 0) continue;
      const base = vs.find((v) => v.label.startsWith("raw driver (") || v.label.startsWith("raw driver reads"));
      const schema = vs.find((v) => v.label.startsWith("raw driver creating"));
      for (const v of vs) {
        const ours = v.label.includes("ours") || v.label.includes("diskcache get");
        const x = (r) => (r === undefined ? "" : Number.isNaN(r) ? "-" : `${r.toFixed(2)}x`);
        const ratio = base && ours ? paired(v, base) : undefined;
        const cell = ratio === undefined || Number.isNaN(ratio) ? x(ratio) : `**${ratio.toFixed(2)}x**${ratio <= TARGET ? " met" : " missed"}`;
        const cpuRatio = base && ours ? paired(v, base, "cpu") : undefined;
        const formatRatio = schema && (ours || v === base) ? paired(v, schema, "cpu") : undefined;
        lines.push(
          `| ${labelOf(row)} | ${v.label} | ${ms(v.median)} | ${ms(Math.min(...v.times))} | ${ms(v.cpuMedian)} | ${cell} | ${x(cpuRatio)} | ${
            x(formatRatio)
          } |`,
        );
      }
    }
  }
  const markdown = `## Cold start (bench/cold_start/, bench/sections/cold_start.mjs)

Whole processes, timed from the parent's \`spawn\` to the child's exit; median (and fastest) of
${rounds} rounds, each round running every variant once (after one untimed run of each, so that the
runtimes' code caches are warm: a tool run again, not a first run after install). Ratios are paired:
the median over rounds of ours / baseline timed back to back in the same round. "CPU" is the
child's user + system time, all threads (os.wait4, through bench/cold_start/spawn_many.py): on
this shared 2-core machine the wall time also measures the other work running at the time,
while the CPU time is what a start costs.
"Ours": import the package, open a cache in a fresh temporary directory, \`set\`, \`get\`, close,
remove the directory (bench/cold_start/ours.mjs). "Raw driver": the same work with the SQLite
binding the library uses there, creating one table (raw.mjs). The source entry (\`mod.ts\`) is
what Deno (JSR) and Bun users of the sources run; the packed npm build is what
\`scripts/build_package.mjs\` puts in the npm package (one bundle per entry point, made by rolldown).
\`diskcache get DIR key\` on an existing cache is compared with the raw driver opening the database
read-only and printing one row (raw_get.mjs). Target: ours at most ${TARGET}x the raw driver's script
on every runtime; the ratio column is ours / raw driver on the same runtime. A new cache must be
created in python-diskcache's format (WAL, two tables, three indexes, five triggers, 15 settings
rows): "raw driver creating the format's schema" does exactly that with the raw binding
(raw_schema.mjs, the SQL copied, no library module loaded), and the last column divides by it:
above it is what the library's own code costs at start, below it what the format costs.

| runtime | what | wall, median | wall, fastest | CPU, median | ours / raw (wall) | ours / raw (CPU) | / raw with the format's schema (CPU) |
|---|---|---|---|---|---|---|---|
${lines.join("\n")}
`;
  return { markdown, data: variants.map(({ group, row, label, times, median }) => ({ group, row, label, times, median })) };
}
