// The bench section contract, and the assembly of bench/RESULTS.md.
//
// A section is one module bench/sections/<name>.mjs that exports:
//
//   export const name = "get_set";               // = the file name; used by --section
//   export const title = "get/set against the raw driver";  // one line, for logs and the README
//   export function run(ctx) { ...; return { markdown, data }; }   // or async: the harness awaits it
//
// run() gets a context (below), runs its benchmark processes, and returns
// `markdown`: its whole block of RESULTS.md, starting with its own "## "
// heading (say in it what was measured, how, and the target). `data` is
// optional (the raw figures, for whoever wants them). A section that cannot
// run (a peer missing, a process failed) still returns markdown that says so;
// it throws only on a bug. Sections run in SECTIONS order; add a new section
// to that list (run.mjs refuses a module in bench/sections/ that is not in it).
//
// RESULTS.md keeps each section's block between
//   <!-- section:NAME -->  ...  <!-- /section:NAME -->
// so that `npm run bench -- --section a,b` replaces only those blocks and
// keeps the others as they were measured last time. Each block ends with the
// line the harness adds: when, on which machine, how long, quick or full.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { bin, command, node20Binary, ROOT, ROWS, runtime } from "../scripts/runtimes.mjs";

/** Every section, in the order they run and appear in RESULTS.md. */
export const SECTIONS = [
  "get_set",
  "workload1",
  "memory",
  "policy",
  "transact",
  "growth",
  "large",
  "adapters",
  "http",
  "cold_start",
  "event_loop",
  "fairness",
  "web_cache",
  "next",
];

/**
 * @typedef {object} SectionContext
 * @property {string} root       the repository root
 * @property {boolean} quick     `--quick`: smaller sizes, for a check that the section runs
 * @property {import("../scripts/runtimes.mjs").Runtime[]} runtimes  the rows available here (Node 20 may be missing)
 * @property {(row: string, file: string, args?: string[]) => { cmd: string, args: string[] } | undefined} command
 *           how to run a .ts file (relative to the root) on a row: scripts/runtimes.mjs
 * @property {(row: string, file: string, args?: string[]) => any} runJson
 *           runs a file on a row to completion and parses its last stdout line as JSON;
 *           undefined (and the error logged) when it fails
 * @property {(name: string) => string} bin   a tool in node_modules/.bin
 * @property {(us: number) => string} fmt     microseconds for a table: "12.3µs", "1.20ms"
 * @property {(...args: unknown[]) => void} log  progress on the console, prefixed with the section's name
 */

/** Microseconds for a table. */
export const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)}ms` : `${us.toFixed(1)}µs`);

/** The context a section's run() gets. */
export function context({ name, quick }) {
  const log = (...args) => console.log(`[${name}]`, ...args);
  return {
    root: ROOT,
    quick,
    runtimes: ROWS.map(runtime).filter(Boolean),
    command,
    bin,
    fmt,
    log,
    runJson(row, file, args = []) {
      const c = command(row, file, args);
      if (!c) {
        log(`${file} on ${row}: skipped, ${row} is not on this machine`);
        return undefined;
      }
      log(`running ${file} on ${row}...`);
      const r = spawnSync(c.cmd, c.args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26 });
      if (r.status !== 0) {
        log(`${file} on ${row} failed (exit ${r.status}):\n${r.stderr}`);
        return undefined;
      }
      return JSON.parse(r.stdout.trim().split("\n").at(-1));
    },
  };
}

/** Loads a section module and checks it follows the contract. */
export async function load(name) {
  const mod = await import(`./sections/${name}.mjs`);
  if (mod.name !== name || typeof mod.title !== "string" || typeof mod.run !== "function") {
    throw new Error(`bench/sections/${name}.mjs must export name = "${name}", title (a string) and run(ctx); see bench/_harness.mjs`);
  }
  return mod;
}

/** The Node 20 rows read the tsc build: build dist/ first, so that they run what the sources say. */
export function ensureBuilt() {
  if (node20Binary()) {
    const r = spawnSync(bin("tsc"), ["-p", "."], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error("tsc -p . failed: the Node 20 rows need dist/");
  }
}

const open = (name) => `<!-- section:${name} -->`;
const close = (name) => `<!-- /section:${name} -->`;

/** The blocks of an existing RESULTS.md: Map<name, text between the markers>. */
export function parseResults(text) {
  const blocks = new Map();
  for (const m of text.matchAll(/<!-- section:([\w-]+) -->\n([\s\S]*?)\n<!-- \/section:\1 -->/g)) blocks.set(m[1], m[2]);
  return blocks;
}

/** A section's block: its markdown and the line saying when and how it was measured. */
export function block({ markdown, seconds, quick, date = new Date() }) {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}`;
  return `${markdown.trimEnd()}\n\n_Measured ${date.toISOString().slice(0, 10)} on ${machine} in ${seconds.toFixed(0)} s${quick ? " (**quick mode**)" : ""}._`;
}

/**
 * RESULTS.md from the new blocks (Map<name, block>) and the previous file's:
 * sections in SECTIONS order, a section not run this time keeps its old block.
 */
export function assemble(fresh, previous = new Map()) {
  const parts = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.mjs); each section below says when and on which machine it was measured,",
    "and `npm run bench -- --section NAME` measures one again (bench/README.md).",
  ];
  for (const name of SECTIONS) {
    const text = fresh.get(name) ?? previous.get(name);
    if (text === undefined) continue;
    parts.push("", open(name), text, close(name));
  }
  return parts.join("\n") + "\n";
}

/** Reads RESULTS.md (if any), puts the fresh blocks in, writes it back. */
export function writeResults(fresh, file = join(ROOT, "bench", "RESULTS.md")) {
  const previous = existsSync(file) ? parseResults(readFileSync(file, "utf8")) : new Map();
  writeFileSync(file, assemble(fresh, previous));
}
