#!/usr/bin/env node
// Runs the whole suite and ends with one line "N passed, N failed" summing
// its rows. Usage: node scripts/test.mjs [--serial] [row...]
// Rows: deno (node:sqlite), bun (bun:sqlite), node24 (node:sqlite, from
// source), node20 (better-sqlite3, against the built package in dist/) run
// the per-module tests, test/*_test.ts; system runs the system tests,
// test/system/*_test.ts, once, on Node 24 (they start processes of every
// runtime, Python and servers themselves: the cross-runtime, multi-process,
// crash, stress, package, conformance and interoperability tests); it runs
// beside the runtime rows unless --serial.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, missing, ROOT as root, ROWS as RUNTIME_ROWS, runtime, SYSTEM_ROW, testFiles } from "./runtimes.mjs";

const ALL = [...RUNTIME_ROWS, "system"];

function build() {
  const r = spawnSync(bin("tsc"), ["-p", "."], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error("build failed: tsc reported errors");
    process.exit(1);
  }
}

// How each row's test runner is read, and what it runs besides its test files
// (the runtimes, their runners' arguments and the files: scripts/runtimes.mjs).
const ROWS = {
  // Deno also runs the JSDoc examples of mod.ts and src/.
  deno: {
    extra: ["--doc", "mod.ts", "src/"],
    parse: (out) => {
      const m = [...out.matchAll(/(ok|FAILED) \| (\d+) passed(?: \([^)]*\))? \| (\d+) failed/g)].at(-1);
      return m && { passed: +m[2], failed: +m[3] };
    },
  },
  // Bun alone stops a test after 5 s by default (the table gives it 600 s):
  // the multi-process tests take longer on a loaded machine.
  bun: {
    extra: [],
    parse: (out) => {
      const p = out.match(/^\s*(\d+) pass$/m), f = out.match(/^\s*(\d+) fail$/m);
      return p && { passed: +p[1], failed: f ? +f[1] : 0 };
    },
  },
  node24: { extra: ["--test-reporter=spec"], parse: parseNode },
  node20: { extra: ["--test-reporter=spec"], parse: parseNode },
  // The system tests, on Node 24's runner; the tests see DISKCACHE_TEST_ROW=node24.
  system: { runtime: SYSTEM_ROW, scope: "system", extra: ["--test-reporter=spec"], parse: parseNode },
};

function parseNode(out) {
  const p = out.match(/^[ℹ#] pass (\d+)$/m), f = out.match(/^[ℹ#] fail (\d+)$/m);
  return p && { passed: +p[1], failed: f ? +f[1] : 0 };
}

const argv = process.argv.slice(2);
// --serial: one row at a time (by default the system row runs beside the
// others: it spends most of its time waiting on the processes it starts).
const serial = argv.includes("--serial");
const rowArgs = argv.filter((a) => a !== "--serial");
const wanted = rowArgs.length ? rowArgs : ALL;
for (const name of wanted) {
  if (!ROWS[name]) {
    console.error(`unknown row "${name}"; rows are ${ALL.join(", ")}`);
    process.exit(2);
  }
}
build();

/** Runs one row; answers its output, its summary lines and its counts. */
async function runRow(name) {
  const row = ROWS[name], rtRow = row.runtime ?? name, rt = runtime(rtRow);
  if (!rt) return { out: "", summary: [`${name}: not run (${missing(rtRow)})`], passed: 0, failed: 1 };
  const args = [...rt.test, ...row.extra, ...testFiles(rtRow, undefined, row.scope)];
  // The row runs with its own temporary directory (TMPDIR, which os.tmpdir()
  // and child processes read): whatever a test or doc example leaves there
  // is found below and fails the row.
  const rowTmp = mkdtempSync(join(tmpdir(), `diskcache-row-${name}-`));
  const started = Date.now();
  const r = await new Promise((resolve, reject) => {
    const child = spawn(rt.binary, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", DISKCACHE_TEST_ROW: rtRow, TMPDIR: rowTmp, TMP: rowTmp, TEMP: rowTmp },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
  const left = readdirSync(rowTmp).filter((f) => f.startsWith("diskcache-"));
  rmSync(rowTmp, { recursive: true, force: true });
  const out = `\n=== ${name}: ${rt.binary} ${args.join(" ")}\n` + r.stdout + r.stderr;
  const counts = row.parse(r.stdout + r.stderr);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (!counts) return { out, summary: [`${name}: could not read the runner's counts (exit ${r.status}) in ${secs}s`], passed: 0, failed: 1 };
  // A non-zero exit with no failing test (a crash between tests) still fails the row.
  const extra = r.status !== 0 && counts.failed === 0 ? 1 : 0;
  const summary = [`${name}: ${counts.passed} passed, ${counts.failed + extra} failed in ${secs}s${extra ? ` (runner exited ${r.status})` : ""}`];
  let failed = counts.failed + extra;
  if (left.length > 0) {
    failed++;
    summary.push(
      `${name}: left ${left.length} diskcache-* entries in its temporary directory (a test or example did not remove what it created): ${
        left.slice(0, 5).join(", ")
      }`,
    );
  }
  return { out, summary, passed: counts.passed, failed };
}

// The system row starts at once, beside the runtime rows (one after another);
// each row's output is printed whole, in the order of `wanted`.
const aside = !serial && wanted.includes("system") && wanted.length > 1 ? runRow("system") : undefined;
const results = [];
for (const name of wanted) {
  const result = name === "system" && aside ? await aside : await runRow(name);
  process.stdout.write(result.out);
  results.push(result);
}
let passed = 0, failed = 0;
for (const r of results) passed += r.passed, failed += r.failed;
console.log("\n" + results.flatMap((r) => r.summary).join("\n"));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
