#!/usr/bin/env node
// Line and branch coverage of src/ and runtimes/, measured on every runtime
// that runs them, merged, and checked against a minimum (98% by default).
//
//   node scripts/coverage.mjs [--min 98] [--min-branches 98] [--rows node24,node20,deno,bun] [--uncovered] [--no-run]
//
// Each row runs the per-module tests (test/*_test.ts) once with its own
// coverage tool and writes an lcov file to .coverage/; Node 24 runs the
// system tests (test/system/) too, as npm test does (their test process
// drives the library as well as the processes they start):
//   node24  node --test --experimental-test-coverage on the .ts sources
//   node20  c8 around node --test on a build with source maps
//           (build/dist, removed after), mapped back to the .ts sources
//   deno    deno test --coverage, then deno coverage --lcov (V8)
//   bun     bun test --coverage (JavaScriptCore; lines only, no branches)
// Lines are merged: a line is covered when any row executed it, so code that
// only one runtime runs (the Bun glue, the better-sqlite3 driver, Deno's
// entry) counts. Branches are Node 24's alone: every tool draws them its own
// way (V8 reports a block only where its count differs from the enclosing
// one, so two runs' branch lists do not line up), and only a file Node 24
// never loads takes its branches from another row. The arms Node 24 cannot
// run (Bun's and Deno's in runtimes/, an older Node's, Deno's permissions
// and timers) carry node:coverage comments, which Node leaves out of its
// count and so does this script (see parseLcov). Prints a per-file table,
// each row's own figures and the totals; exits 1 when lines or branches are
// under the minimum or a row's suite fails.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bin, missing, ROOT as root, runtime, testFiles } from "./runtimes.mjs";

const out = join(root, ".coverage");
const INCLUDE = /^(src|runtimes)\/.*\.ts$/;
const BRANCH_ROWS = ["node24"];

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const MIN = Number(opt("--min", "98"));
// Branches: 98% too (Node 24's figure; see parseLcov for the node:coverage
// comments that take other runtimes' arms out of it).
const MIN_BRANCHES = Number(opt("--min-branches", "98"));
const wanted = opt("--rows", "node24,node20,deno,bun").split(",");
const showUncovered = args.includes("--uncovered");
const noRun = args.includes("--no-run"); // merge the lcov files a previous run left in .coverage/

function sh(cmd, argv, env = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? ""), secs: ((Date.now() - started) / 1000).toFixed(0) };
}

function must(step, r) {
  if (r.status !== 0) {
    process.stdout.write(r.out);
    console.error(`coverage: ${step} failed (exit ${r.status})`);
    process.exit(1);
  }
}

// Test files the Node 24 coverage run leaves out, each with its reason.
// memory_realm_test imports src/ops/memory_tier.ts a second time under a
// ?query (a second copy of the module in one realm); Node's coverage then
// reports that file from the copy alone, hiding every other test's coverage
// of it (53% of lines instead of 100%). It runs in every npm test row.
const NOT_COVERED = ["memory_realm_test.ts"];

const ROWS = {
  node24: () => {
    const lcov = LCOV.node24;
    const r = sh(runtime("node24").binary, [
      "--test",
      "--no-warnings",
      "--experimental-test-coverage",
      "--test-coverage-include=src/**",
      "--test-coverage-include=runtimes/**",
      "--test-reporter=lcov",
      `--test-reporter-destination=${lcov}`,
      "--test-reporter=dot",
      "--test-reporter-destination=stdout",
      ...testFiles("node24").filter((f) => !NOT_COVERED.some((n) => f.endsWith(n))),
      ...testFiles("node24", undefined, "system"),
    ], { DISKCACHE_TEST_ROW: "node24" });
    return { ...r, lcov };
  },
  node20: () => {
    const node20 = runtime("node20")?.binary;
    if (!node20) return { status: 1, out: `${missing("node20")}\n` };
    // A build with source maps of its own: the published dist/ has none. It
    // lives at build/dist/, not under .coverage/: memoize() names a module by
    // its path in the package without leading src/, dist/, build/... folders,
    // and the tests expect "test/memoize_test" as from dist/test/.
    const dist = join(root, "build", "dist");
    rmSync(join(root, "build"), { recursive: true, force: true });
    must("tsc --sourceMap", sh(bin("tsc"), ["-p", ".", "--sourceMap", "--outDir", dist]));
    // Node 20's own --experimental-test-coverage fails on source-mapped files
    // ("Cannot read properties of undefined (reading 'line')"), so c8 reads
    // the V8 profiles and maps them back to the .ts sources.
    const reports = join(out, "node20");
    const r = sh(node20, [
      bin("c8"),
      "--temp-directory",
      join(out, "node20-raw"),
      "--report-dir",
      reports,
      "--reporter=lcovonly",
      "--include",
      `${relative(root, dist)}/src/**`,
      "--include",
      `${relative(root, dist)}/runtimes/**`,
      node20,
      "--test",
      "--test-reporter=dot",
      ...testFiles("node20", dist),
    ], { DISKCACHE_TEST_ROW: "node20" });
    rmSync(join(root, "build"), { recursive: true, force: true });
    return { ...r, lcov: LCOV.node20 };
  },
  deno: () => {
    const raw = join(out, "deno-raw");
    const r = sh(runtime("deno").binary, [...runtime("deno").test, `--coverage=${raw}`, ...testFiles("deno")], { DISKCACHE_TEST_ROW: "deno" });
    const lcov = LCOV.deno;
    const c = sh(runtime("deno").binary, ["coverage", raw, "--lcov", `--output=${lcov}`, "--include=/(src|runtimes)/"]);
    return { status: r.status || c.status, out: r.out + c.out, secs: r.secs, lcov };
  },
  bun: () => {
    const dir = join(out, "bun");
    const r = sh(runtime("bun").binary, [
      // Bun stops a test after 5 s by default; coverage slows the processes down.
      "test",
      "--timeout=120000",
      "--coverage",
      "--coverage-reporter=lcov",
      `--coverage-dir=${dir}`,
      ...testFiles("bun"),
    ], { DISKCACHE_TEST_ROW: "bun" });
    return { ...r, lcov: LCOV.bun };
  },
};

/** Where each row leaves its lcov file. */
const LCOV = {
  node24: join(out, "node24.lcov"),
  node20: join(out, "node20", "lcov.info"),
  deno: join(out, "deno.lcov"),
  bun: join(out, "bun", "lcov.info"),
};

/**
 * Parses lcov text into Map<file, { lines: Map<line, hits>, branches: Map<line, boolean[]> }>.
 *
 * `nodeIgnores`: the text is Node's, which honours `node:coverage ignore
 * next` and `disable`/`enable` comments by leaving the lines they cover out
 * of its DA records and counting their branches as covered (its own BRH),
 * while its BRDA records still say 0. A branch on a line Node left out is
 * counted as covered here too. The comments are kept for paths no test can
 * run on Node 24: another runtime's arm (runtimes/), or an older Node's.
 */
export function parseLcov(text, base = root, { nodeIgnores = false } = {}) {
  const files = new Map();
  let cur;
  const settle = () => {
    if (!nodeIgnores || !cur) return;
    for (const [n, list] of cur.branches) if (!cur.lines.has(n)) cur.branches.set(n, list.map(() => true));
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("SF:")) {
      settle();
      let path = line.slice(3);
      if (path.startsWith("file://")) path = fileURLToPath(path);
      path = relative(root, isAbsolute(path) ? path : join(base, path)).split("\\").join("/");
      cur = INCLUDE.test(path) ? { lines: new Map(), branches: new Map() } : undefined;
      if (cur) files.set(path, cur);
    } else if (!cur) {
      continue;
    } else if (line.startsWith("DA:")) {
      const [n, hits] = line.slice(3).split(",");
      cur.lines.set(+n, Math.max(cur.lines.get(+n) ?? 0, Number(hits) || 0));
    } else if (line.startsWith("BRDA:")) {
      const [n, , , taken] = line.slice(5).split(",");
      const list = cur.branches.get(+n) ?? [];
      list.push(taken !== "-" && Number(taken) > 0);
      cur.branches.set(+n, list);
    }
  }
  settle();
  return files;
}

/**
 * Merges per-row coverage (rows in --rows order). Lines: a line counts when
 * any row reports it, and is covered when any row executed it. Branches: those
 * of the rows in BRANCH_ROWS; a file none of them reports takes the branches
 * of the first row that has any for it.
 */
export function merge(rows) {
  const merged = new Map();
  for (const { name, files } of rows) {
    for (const [path, f] of files) {
      let m = merged.get(path);
      if (!m) merged.set(path, m = { lines: new Map(), branches: new Map(), fromBranchRow: false });
      for (const [n, hits] of f.lines) m.lines.set(n, (m.lines.get(n) ?? 0) + hits);
      const primary = BRANCH_ROWS.includes(name);
      if (primary && !m.fromBranchRow) {
        m.branches = new Map([...f.branches].map(([n, list]) => [n, [...list]]));
        m.fromBranchRow = true;
      } else if (!m.fromBranchRow && m.branches.size === 0) {
        m.branches = new Map([...f.branches].map(([n, list]) => [n, [...list]]));
      }
    }
  }
  return merged;
}

function summarize(files) {
  const rows = [];
  let lf = 0, lh = 0, bf = 0, bh = 0;
  for (const path of [...files.keys()].sort()) {
    const f = files.get(path);
    const lines = [...f.lines.values()];
    const branches = [...f.branches.values()].flat();
    const r = {
      path,
      lf: lines.length,
      lh: lines.filter((h) => h > 0).length,
      bf: branches.length,
      bh: branches.filter(Boolean).length,
      uncoveredLines: [...f.lines].filter(([, h]) => h === 0).map(([n]) => n).sort((a, b) => a - b),
      uncoveredBranches: [...f.branches].filter(([, l]) => l.some((t) => !t)).map(([n]) => n).sort((a, b) => a - b),
    };
    rows.push(r);
    lf += r.lf, lh += r.lh, bf += r.bf, bh += r.bh;
  }
  return { rows, lf, lh, bf, bh };
}

const pct = (hit, found) => (found === 0 ? 100 : (100 * hit) / found);
const fmt = (hit, found) => pct(hit, found).toFixed(2).padStart(7);
const ranges = (ns) => {
  const parts = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    parts.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
    i = j;
  }
  return parts.join(" ");
};

function main() {
  for (const name of wanted) {
    if (!ROWS[name]) {
      console.error(`unknown row "${name}"; rows are ${Object.keys(ROWS).join(", ")}`);
      process.exit(2);
    }
  }
  if (!noRun) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    // dist/ is what the tests spawn as Node 20 fixtures.
    must("tsc", sh(bin("tsc"), ["-p", "."]));
  }
  const parsed = [];
  const perRow = [];
  for (const name of wanted) {
    if (!noRun) console.log(`coverage: running the suite on ${name}...`);
    const r = noRun ? { status: 0, lcov: LCOV[name], secs: "-" } : ROWS[name]();
    if (r.status !== 0 || !r.lcov || !existsSync(r.lcov)) {
      process.stdout.write(r.out);
      console.error(`coverage: the ${name} row failed (exit ${r.status}); no figure without a passing suite`);
      process.exit(1);
    }
    const files = parseLcov(readFileSync(r.lcov, "utf8"), root, { nodeIgnores: name === "node24" });
    parsed.push({ name, files });
    const s = summarize(files);
    perRow.push(
      `${name.padEnd(7)} ${fmt(s.lh, s.lf)}% lines, ${fmt(s.bh, s.bf)}% branches${s.bf === 0 ? " (reports no branches)" : ""}, ${files.size} files, ${r.secs}s`,
    );
  }
  const total = summarize(merge(parsed));
  const width = Math.max(...total.rows.map((r) => r.path.length), 4);
  console.log(`\n${"file".padEnd(width)}   line %  branch %  uncovered lines`);
  for (const r of total.rows) {
    const un = ranges(r.uncoveredLines);
    const ub = showUncovered && r.uncoveredBranches.length ? `  [branches: ${ranges(r.uncoveredBranches)}]` : "";
    console.log(`${r.path.padEnd(width)}  ${fmt(r.lh, r.lf)}   ${fmt(r.bh, r.bf)}   ${un}${ub}`);
  }
  console.log(
    `${"all files".padEnd(width)}  ${fmt(total.lh, total.lf)}   ${fmt(total.bh, total.bf)}   (${total.lh}/${total.lf} lines, ${total.bh}/${total.bf} branches)`,
  );
  console.log(`\nper row (before merging):\n  ${perRow.join("\n  ")}`);
  const lines = pct(total.lh, total.lf), branches = pct(total.bh, total.bf);
  if (lines < MIN || branches < MIN_BRANCHES) {
    console.error(
      `\ncoverage: FAIL: ${lines.toFixed(2)}% lines, ${branches.toFixed(2)}% branches; the minimum is ${MIN}% of lines, ${MIN_BRANCHES}% of branches`,
    );
    process.exit(1);
  }
  console.log(`\ncoverage: ok: ${lines.toFixed(2)}% lines, ${branches.toFixed(2)}% branches (minimum ${MIN}% of lines, ${MIN_BRANCHES}% of branches)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
