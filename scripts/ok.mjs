#!/usr/bin/env node
// The checks to run before a commit, and that CI runs (.ci/run): formatting,
// lint, the API docs of every entry point, types (tsc, and Deno's check with
// the JSDoc examples), the manifests, and what `deno publish` would upload. One line per check, ok or FAILED (the
// failing tool's output follows it); exit 1 when any failed.
//   npm run ok            (or: deno task ok)
//   npm run ok -- lint    only the checks whose name contains "lint"
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bin, ROOT } from "./runtimes.mjs";

const deno = bin("deno");
/** deno.json's exports: every entry point JSR publishes, and what `deno doc --lint` checks. */
const entries = Object.values(JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports);

const CHECKS = [
  ["deno fmt --check", deno, ["fmt", "--check"]],
  ["deno lint", deno, ["lint"]],
  [`deno doc --lint (${entries.length} entry points)`, deno, ["doc", "--lint", ...entries]],
  ["tsc --noEmit", bin("tsc"), ["-p", ".", "--noEmit"]],
  // Deno's own type check of the library, JSDoc examples included (the deno
  // test row runs the examples with --no-check).
  ["deno check --doc", deno, ["check", "--doc", ...entries, "src/", "runtimes/"]],
  ["manifests agree with deno.json", bin("node"), [join(ROOT, "scripts", "manifests.mjs"), "--check"]],
  ["deno publish --dry-run", deno, ["publish", "--dry-run", "--allow-dirty"]],
];

const only = process.argv.slice(2);
const chosen = CHECKS.filter(([name]) => only.length === 0 || only.some((o) => name.includes(o)));
if (chosen.length === 0) {
  console.error(`ok: no check matches ${only.join(" ")}; checks: ${CHECKS.map(([n]) => n).join("; ")}`);
  process.exit(2);
}
let failed = 0;
for (const [name, cmd, args] of chosen) {
  const started = Date.now();
  // RUST_BACKTRACE=1 (set in some shells and CI images) makes deno print a
  // backtrace on any failure, which reads like a crash of deno itself.
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, RUST_BACKTRACE: "0", NO_COLOR: "1" },
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status === 0) {
    console.log(`ok      ${name} (${secs} s)`);
    continue;
  }
  failed++;
  console.log(`FAILED  ${name} (${secs} s): ${cmd} ${args.join(" ")} exited ${r.status ?? r.signal ?? r.error?.message}`);
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trimEnd();
  if (out) console.log(out.split("\n").map((l) => `        ${l}`).join("\n"));
}
console.log(failed === 0 ? `ok: ${chosen.length} checks passed` : `ok: ${failed} of ${chosen.length} checks FAILED`);
process.exit(failed === 0 ? 0 : 1);
