#!/usr/bin/env node
// Runs the whole suite on the four runtime rows and ends with one line
// "N passed, N failed" summing them. Usage: node scripts/test.mjs [row...]
// Rows: deno (node:sqlite), bun (bun:sqlite), node24 (node:sqlite, from
// source), node20 (better-sqlite3, against the built package in dist/).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { node20Binary } from "./runtimes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const tests = (dir, ext) => readdirSync(join(root, dir)).filter((f) => f.endsWith(`_test.${ext}`)).sort().map((f) => join(dir, f));

function build() {
  const r = spawnSync(bin("tsc"), ["-p", "."], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error("build failed: tsc reported errors");
    process.exit(1);
  }
}

const ROWS = {
  deno: () => ({
    cmd: bin("deno"),
    args: ["test", "-A", "--no-check", "--doc", "mod.ts", "src/", ...tests("test", "ts")],
    parse: (out) => {
      const m = [...out.matchAll(/(ok|FAILED) \| (\d+) passed(?: \([^)]*\))? \| (\d+) failed/g)].at(-1);
      return m && { passed: +m[2], failed: +m[3] };
    },
  }),
  bun: () => ({
    cmd: bin("bun"),
    // Bun alone stops a test after 5 s by default; the multi-process tests
    // take longer on a loaded machine. Node and Deno set no limit.
    args: ["test", "--timeout", "600000", ...tests("test", "ts").map((f) => `./${f}`)],
    parse: (out) => {
      const p = out.match(/^\s*(\d+) pass$/m), f = out.match(/^\s*(\d+) fail$/m);
      return p && { passed: +p[1], failed: f ? +f[1] : 0 };
    },
  }),
  node24: () => ({
    cmd: bin("node"),
    args: ["--test", "--test-reporter=spec", "--no-warnings=ExperimentalWarning", ...tests("test", "ts")],
    parse: parseNode,
  }),
  node20: () => {
    const node20 = node20Binary();
    if (!node20) return { missing: "no Node 20 binary found outside node_modules (set DISKCACHE_NODE20)" };
    return { cmd: node20, args: ["--test", "--test-reporter=spec", ...tests("dist/test", "js")], parse: parseNode };
  },
};

function parseNode(out) {
  const p = out.match(/^[ℹ#] pass (\d+)$/m), f = out.match(/^[ℹ#] fail (\d+)$/m);
  return p && { passed: +p[1], failed: f ? +f[1] : 0 };
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(ROWS);
build();
let passed = 0, failed = 0;
const summary = [];
for (const name of wanted) {
  const row = ROWS[name]?.();
  if (!row) {
    console.error(`unknown row "${name}"; rows are ${Object.keys(ROWS).join(", ")}`);
    process.exit(2);
  }
  if (row.missing) {
    summary.push(`${name}: not run (${row.missing})`);
    failed++;
    continue;
  }
  console.log(`\n=== ${name}: ${row.cmd} ${row.args.join(" ")}`);
  // The row runs with its own temporary directory (TMPDIR, which os.tmpdir()
  // and child processes read): whatever a test or doc example leaves there
  // is found below and fails the row.
  const rowTmp = mkdtempSync(join(tmpdir(), `diskcache-row-${name}-`));
  const started = Date.now();
  const r = spawnSync(row.cmd, row.args, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
    env: { ...process.env, NO_COLOR: "1", DISKCACHE_TEST_ROW: name, TMPDIR: rowTmp, TMP: rowTmp, TEMP: rowTmp },
  });
  const left = readdirSync(rowTmp).filter((f) => f.startsWith("diskcache-"));
  rmSync(rowTmp, { recursive: true, force: true });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  process.stdout.write(out);
  const counts = row.parse(out);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (!counts) {
    summary.push(`${name}: could not read the runner's counts (exit ${r.status}) in ${secs}s`);
    failed++;
    continue;
  }
  // A non-zero exit with no failing test (a crash between tests) still fails the row.
  const extra = r.status !== 0 && counts.failed === 0 ? 1 : 0;
  passed += counts.passed;
  failed += counts.failed + extra;
  summary.push(`${name}: ${counts.passed} passed, ${counts.failed + extra} failed in ${secs}s${extra ? ` (runner exited ${r.status})` : ""}`);
  if (left.length > 0) {
    failed++;
    summary.push(`${name}: left ${left.length} diskcache-* entries in its temporary directory (a test or example did not remove what it created): ${left.slice(0, 5).join(", ")}`);
  }
}
console.log("\n" + summary.join("\n"));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
