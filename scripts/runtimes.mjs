// The runtime table: the one place that says how this repository runs a file
// on each of its four rows, and where each runtime's binary is. The tests
// (scripts/test.mjs, scripts/coverage.mjs, test/_helpers.ts), the benchmarks
// (bench/) and the other scripts ask it instead of spelling commands out.
//
//   row     binary                        a .ts file runs as
//   deno    node_modules/.bin/deno        deno run -A --no-check --config deno.json <file.ts>
//   bun     node_modules/.bin/bun         bun <file.ts>
//   node24  node_modules/.bin/node        node --no-warnings <file.ts>   (type stripping)
//   node20  the machine's Node 20         node dist/<file>.js            (the tsc build: no type stripping)
//
// Node 20 is looked for in $DISKCACHE_NODE20, then on PATH outside
// node_modules, then in /usr/bin and /usr/local/bin. Plain .mjs so that it runs
// on Node 20 too.
//
//   import { command, runtime } from "../scripts/runtimes.mjs";
//   const { cmd, args } = command("node20", "bench/workload1.ts", ["--ops", "100"]);
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The rows, in the order the test matrix runs them. */
export const ROWS = ["deno", "bun", "node24", "node20"];

/** A tool installed in node_modules/.bin (deno, bun, node, tsc, c8, ...). */
export const bin = (name) => join(ROOT, "node_modules", ".bin", name);

let node20Cache;
/** Absolute path of a Node 20 binary, or undefined. */
export function node20Binary() {
  if (node20Cache !== undefined) return node20Cache || undefined;
  const candidates = [
    process.env.DISKCACHE_NODE20,
    ...(process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.includes("node_modules")).map((d) => join(d, "node")),
    "/usr/bin/node",
    "/usr/local/bin/node",
  ];
  node20Cache = "";
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    try {
      const v = execFileSync(c, ["--version"], { encoding: "utf8" }).trim();
      if (v.startsWith("v20.")) {
        node20Cache = c;
        break;
      }
    } catch { /* not runnable */ }
  }
  return node20Cache || undefined;
}

/**
 * @typedef {object} Runtime
 * @property {string} row       deno, bun, node24 or node20
 * @property {string} label     for people: "Deno", "Bun", "Node 24", "Node 20"
 * @property {string} driver    the SQLite binding the library picks there
 * @property {string} binary    absolute path of the executable
 * @property {string[]} run     arguments before a script file
 * @property {string[]} test    arguments before test files (the runtime's test runner)
 * @property {boolean} built    true when the row runs the tsc build in dist/ instead of the .ts sources
 */

const TABLE = {
  deno: {
    label: "Deno",
    driver: "node:sqlite",
    binary: () => bin("deno"),
    run: ["run", "-A", "--no-check", "--config", join(ROOT, "deno.json")],
    test: ["test", "-A", "--no-check"],
    built: false,
  },
  bun: { label: "Bun", driver: "bun:sqlite", binary: () => bin("bun"), run: [], test: ["test", "--timeout", "600000"], built: false },
  node24: {
    label: "Node 24",
    driver: "node:sqlite",
    binary: () => bin("node"),
    run: ["--no-warnings"],
    test: ["--test", "--no-warnings=ExperimentalWarning"],
    built: false,
  },
  node20: { label: "Node 20", driver: "better-sqlite3", binary: node20Binary, run: [], test: ["--test"], built: true },
};

/**
 * The row's runtime, or undefined when its binary is not on this machine
 * (only Node 20 can be missing). Throws on a row that does not exist.
 * @param {string} row
 * @returns {Runtime | undefined}
 */
export function runtime(row) {
  const t = TABLE[row];
  if (!t) throw new Error(`unknown runtime row "${row}"; rows are ${ROWS.join(", ")}`);
  const binary = t.binary();
  return binary ? { row, label: t.label, driver: t.driver, binary, run: [...t.run], test: [...t.test], built: t.built } : undefined;
}

/** Why a row's runtime is missing, for logs and reports. */
export function missing(row) {
  return runtime(row) ? undefined : `no Node 20 binary found outside node_modules (set DISKCACHE_NODE20)`;
}

/**
 * The file a row runs for a source file: the .ts itself, or on a built row
 * its .js under dist/ (absolute, as the path given is relative to the root or absolute).
 * @param {string} row
 * @param {string} file
 */
export function fileFor(row, file) {
  const abs = isAbsolute(file) ? file : join(ROOT, file);
  if (!TABLE[row]?.built) return abs;
  return join(ROOT, "dist", relative(ROOT, abs)).replace(/\.m?ts$/, ".js");
}

/**
 * The command that runs a script on a row: `{ cmd, args }`, or undefined when
 * the row's runtime is missing.
 * @param {string} row
 * @param {string} file  a .ts file, relative to the root or absolute
 * @param {string[]} [args]
 */
export function command(row, file, args = []) {
  const rt = runtime(row);
  return rt && { cmd: rt.binary, args: [...rt.run, fileFor(row, file), ...args] };
}

/**
 * The row that runs the system tests (test/system/): they start processes of
 * every runtime, Python and servers themselves, so they run once per matrix,
 * from this row, not on each row.
 */
export const SYSTEM_ROW = "node24";

/**
 * The test files a row runs: the per-module tests test/*_test.ts, or with
 * `scope` "system" the system tests test/system/*_test.ts; on a built row
 * their .js under `builtDir` (dist/ by default). Relative to the root; Bun's
 * test runner reads a bare name as a filter, so its paths start with "./".
 * @param {string} row
 * @param {string} [builtDir]
 * @param {"module" | "system"} [scope]
 */
export function testFiles(row, builtDir = join(ROOT, "dist"), scope = "module") {
  const base = TABLE[row]?.built ? join(builtDir, "test") : join(ROOT, "test");
  const dir = scope === "system" ? join(base, "system") : base;
  const ext = TABLE[row]?.built ? "_test.js" : "_test.ts";
  const rel = relative(ROOT, dir);
  return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => (row === "bun" ? `./${join(rel, f)}` : join(rel, f)));
}

/** The rows among `rows` whose runtime is on this machine. */
export function available(rows = ROWS) {
  return rows.filter((row) => runtime(row));
}
