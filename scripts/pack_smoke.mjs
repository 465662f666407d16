#!/usr/bin/env node
// The package as a user gets it, on every runtime, by the route the README
// gives for it. Usage: node scripts/pack_smoke.mjs [--checks-only] [--keep]
//   1. copies the tracked files to a temporary "fresh clone" (no dist/) and runs
//      `npm pack` there: the prepack script builds dist/ from scratch;
//   2. checks the tarball (its file list, publint --strict, attw --profile esm-only)
//      and `deno publish --dry-run` (only the library's files; JSR itself is not
//      reachable from CI, so the dry run is the check);
//   3. (not with --checks-only) installs the tarball into fresh projects and runs
//      a small program importing every entry point: Node 24 (ESM, require(), a
//      TypeScript consumer type-checked by tsc and run with `using`), Node 20
//      (better-sqlite3 linked from this repository's node_modules, so nothing is
//      built), Bun (`bun add` of the tarball), Deno (the npm package through
//      `npm:` specifiers and bare ones), and Deno on the files `deno publish`
//      would upload, as a workspace member: how a `jsr:` import resolves them.
//      Each `bin` of package.json is run with --help through npx and bunx, and
//      a "./cli" export through Deno. Prints how long each step took.
// Only the npm registry is contacted (npm and bun fetch the dependencies).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { node20Binary } from "./runtimes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const checksOnly = process.argv.includes("--checks-only");
const keep = process.argv.includes("--keep");
const bin = (name) => join(root, "node_modules", ".bin", name);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const denoJson = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const NAME = pkg.name;
/** Subpaths only one runtime can load (they import its SQLite binding statically). */
const RUNTIME_ONLY = { "./bun": ["bun"], "./deno": ["deno"], "./node": ["node24", "node20"] };
/** Subpaths that are commands, not modules to import. */
const COMMANDS = ["./cli"];

const work = mkdtempSync(join(tmpdir(), "diskcache-pack-"));
const timings = [];
let failures = 0;

function step(label, fn) {
  const started = Date.now();
  let ok = true;
  try {
    fn();
  } catch (e) {
    ok = false;
    failures++;
    console.error(`FAILED ${label}: ${e instanceof Error ? e.message : e}`);
  }
  const secs = (Date.now() - started) / 1000;
  timings.push(`${ok ? "ok  " : "FAIL"} ${secs.toFixed(1).padStart(6)}s  ${label}`);
  console.log(`${ok ? "ok" : "FAILED"} ${label} (${secs.toFixed(1)}s)`);
}

/**
 * The machine's own npm and npx. `npm run` puts node_modules/.bin first on
 * PATH, and there `npm` is npm 6, a dependency of http-cache-tests, which
 * cannot pack this package; so these two are looked up outside node_modules.
 */
function machineTool(name) {
  for (const d of (process.env.PATH ?? "").split(delimiter)) {
    if (!d || d.includes("node_modules")) continue;
    if (existsSync(join(d, name))) return join(d, name);
  }
  return name;
}
const MACHINE = { npm: machineTool("npm"), npx: machineTool("npx") };

/** Runs a command; throws with its output unless it exits 0. */
function run(cmd, args, opts = {}) {
  cmd = MACHINE[cmd] ?? cmd;
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    ...opts,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
  });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${out}`);
  return opts.stdoutOnly ? r.stdout : out;
}

// --- 1. a fresh clone, packed -------------------------------------------------
const clone = join(work, "clone");
let tarball;
step("npm pack in a fresh copy of the tracked files (prepack builds dist/ clean)", () => {
  const listed = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root }).split(
    "\0",
  );
  for (const file of listed) {
    if (!file || file.startsWith("node_modules") || !existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(root, file), join(clone, file));
  }
  if (existsSync(join(clone, "dist"))) throw new Error("dist/ is tracked by git: it must be built, never committed");
  symlinkSync(join(root, "node_modules"), join(clone, "node_modules"), "dir");
  const out = run("npm", ["pack", "--json", "--pack-destination", work], { cwd: clone, stdoutOnly: true });
  const info = JSON.parse(out.slice(out.search(/^\[/m)))[0];
  tarball = join(work, info.filename);
  const files = info.files.map((f) => f.path);
  const wanted = [
    "package.json",
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    ...Object.values(pkg.exports).flatMap((e) => [e.types, e.default].map((p) => p.slice(2))),
    ...Object.values(typeof pkg.bin === "string" ? { b: pkg.bin } : pkg.bin ?? {}).map((p) => p.replace(/^\.\//, "")),
  ];
  const missing = wanted.filter((f) => !files.includes(f));
  const stray = files.filter((f) =>
    !/^(package\.json|LICENSE|README\.md|CHANGELOG\.md|dist\/.+\.(js|d\.ts))$/.test(f) ||
    /^dist\/(test|bench|scripts|examples)\//.test(f)
  );
  if (missing.length || stray.length) {
    throw new Error(`tarball: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(stray)}`);
  }
  console.log(`  ${info.filename}: ${files.length} files, ${(info.size / 1024).toFixed(0)} KiB`);
});
if (!tarball) finish();

step("publint --strict on the tarball", () => {
  const out = run(bin("publint"), ["run", tarball, "--strict"]);
  if (!/All good!/.test(out)) throw new Error(out);
});

step("attw --profile esm-only on the tarball", () => {
  run(bin("attw"), [tarball, "--profile", "esm-only", "--format", "table-flipped"]);
});

// --- 2. the JSR side -----------------------------------------------------------
let published = [];
step("deno publish --dry-run uploads the library's files only", () => {
  const out = run(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: clone });
  if (/warning/i.test(out)) throw new Error(`the dry run warned:\n${out}`);
  const prefix = "file://" + clone + "/";
  published = [...out.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) => m[1].replace(prefix, ""));
  const allowed = /^(LICENSE|README\.md|CHANGELOG\.md|deno\.json|[\w-]+\.ts|src\/.+\.ts|runtimes\/.+\.ts|types\/.+\.d\.ts)$/;
  const stray = published.filter((f) => !allowed.test(f) || /_test\.ts$/.test(f));
  const wanted = ["LICENSE", "README.md", "CHANGELOG.md", ...Object.values(denoJson.exports).map((t) => t.slice(2))];
  const missing = wanted.filter((f) => !published.includes(f));
  if (stray.length || missing.length) {
    throw new Error(`deno publish: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(stray)}`);
  }
  console.log(`  ${published.length} files`);
});

if (checksOnly) finish();

// --- 3. fresh projects ---------------------------------------------------------
/** The smoke program for one runtime: every entry point it can load, used a little. */
function program(runtime, spec, ts) {
  const dir = `cache-${ts ? "ts" : "js"}-${spec.replace(/\W/g, "")}`;
  const subs = Object.keys(pkg.exports).filter((s) => s !== "." && !COMMANDS.includes(s) && (!RUNTIME_ONLY[s] || RUNTIME_ONLY[s].includes(runtime)));
  const lines = [
    `import { DiskCache, memoize } from "${spec}";`,
    ...subs.map((s, i) => `import * as entry${i} from "${spec}/${s.slice(2)}";`),
    ts ? `using cache = new DiskCache("${dir}", { sizeLimit: 2 ** 24 });` : `const cache = new DiskCache("${dir}", { sizeLimit: 2 ** 24 });`,
    `cache.set(["user", 1], { name: "Ada", big: 2n ** 70n });`,
    `let calls = 0;`,
    `const square = memoize(cache, function square(n${ts ? ": number" : ""}) { calls++; return n * n; });`,
    `square(12); square(12);`,
    `const loaded${ts ? ": Record<string, number>" : ""} = {};`,
    ...subs.map((s, i) => `loaded[${JSON.stringify(s)}] = Object.keys(entry${i}).length;`),
    `const out${ts ? ": Record<string, unknown>" : ""} = { value: cache.get(["user", 1]), driver: cache.driverName, square: square(12), calls, loaded };`,
  ];
  if (subs.includes("./keyv")) {
    const i = subs.indexOf("./keyv");
    lines.push(
      `{ const store = new entry${i}.KeyvDiskCache("${dir}-keyv"); await store.set("k", "keyv ok"); out.keyv = await store.get("k"); await store.disconnect(); }`,
    );
  }
  if (subs.includes("./unstorage")) {
    const i = subs.indexOf("./unstorage");
    lines.push(
      `{ const d = entry${i}.diskcacheDriver({ base: "${dir}-unstorage" }); d.setItem("k", "unstorage ok"); out.unstorage = d.getItem("k"); d.dispose(); }`,
    );
  }
  if (!ts) lines.push(`cache.close();`);
  lines.push(`console.log(JSON.stringify(out, (_k, v) => typeof v === "bigint" ? v + "n" : v));`);
  return lines.join("\n") + "\n";
}

/** Checks the program's last output line. */
function expectOutput(out, runtime, driver) {
  const line = out.trim().split("\n").at(-1);
  let got;
  try {
    got = JSON.parse(line);
  } catch {
    throw new Error(`${runtime}: no JSON result in:\n${out}`);
  }
  const problems = [];
  if (got.value?.name !== "Ada" || got.value?.big !== "1180591620717411303424n") {
    problems.push(`value ${JSON.stringify(got.value)}`);
  }
  if (got.driver !== driver) problems.push(`driver ${got.driver}, expected ${driver}`);
  if (got.square !== 144 || got.calls !== 1) problems.push(`memoize: square ${got.square} after ${got.calls} calls`);
  if (pkg.exports["./keyv"] && got.keyv !== "keyv ok") problems.push(`keyv ${got.keyv}`);
  if (pkg.exports["./unstorage"] && got.unstorage !== "unstorage ok") problems.push(`unstorage ${got.unstorage}`);
  for (const [s, n] of Object.entries(got.loaded ?? {})) if (!(n > 0)) problems.push(`${s} exports nothing`);
  if (problems.length) throw new Error(`${runtime}: ${problems.join("; ")}\n${out}`);
}

function project(name) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `smoke-${name}`, private: true, type: "module" }, null, 2),
  );
  return dir;
}
/**
 * The installed command at work: `--help`, then `set` and `stats --json` on a
 * new cache directory in `dir`; `cmd(args)` runs it and returns its stdout.
 */
function cliSmoke(label, dir, cmd) {
  if (!cmd(["--help"]).includes("Usage: diskcache")) throw new Error(`${label}: diskcache --help printed no usage`);
  cmd(["set", join(dir, "cli-cache"), "k", "v"]);
  const stats = JSON.parse(cmd(["stats", join(dir, "cli-cache"), "--json"]));
  if (stats.count !== 1) throw new Error(`${label}: diskcache stats counted ${stats.count} items, not 1`);
}
const npmInstall = (dir) => run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: dir });
const bins = Object.keys(typeof pkg.bin === "string" ? { [NAME.split("/").pop()]: pkg.bin } : pkg.bin ?? {});

step("Node 24: npm install of the tarball; ESM, require(), TypeScript (tsc + using), bins through npx", () => {
  const dir = project("node24");
  npmInstall(dir);
  writeFileSync(join(dir, "main.mjs"), program("node24", NAME, false));
  expectOutput(run(bin("node"), ["main.mjs"], { cwd: dir }), "node24 ESM", "node:sqlite");
  writeFileSync(
    join(dir, "main.cjs"),
    `const { DiskCache } = require("${NAME}");\nconst c = new DiskCache("cjs-dir");\nc.set("k", 1);\nconsole.log(JSON.stringify({ require: c.get("k") }));\nc.close();\n`,
  );
  const cjs = run(bin("node"), ["main.cjs"], { cwd: dir });
  if (!cjs.includes(`{"require":1}`)) throw new Error(`require() of the package: ${cjs}`);
  writeFileSync(join(dir, "main.ts"), program("node24", NAME, true));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2023", "esnext.disposable"],
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
      },
      files: ["main.ts"],
    }),
  );
  run(bin("tsc"), ["-p", "."], { cwd: dir });
  expectOutput(run(bin("node"), ["--no-warnings", "main.ts"], { cwd: dir }), "node24 TypeScript", "node:sqlite");
  for (const b of bins) {
    cliSmoke(`npx ${b}`, dir, (args) =>
      run("npx", ["--no-install", b, ...args], {
        cwd: dir,
        env: { PATH: `${dirname(bin("node"))}:${process.env.PATH}` },
        stdoutOnly: true,
      }));
  }
});

step(
  "Node 20: npm install of the tarball + better-sqlite3 (linked from this repository's node_modules); ESM and require()",
  () => {
    const node20 = node20Binary();
    if (!node20) {
      if (process.env.CI) throw new Error("no Node 20 binary (set DISKCACHE_NODE20)");
      console.log("  skipped: no Node 20 binary found (set DISKCACHE_NODE20)");
      return;
    }
    const dir = project("node20");
    npmInstall(dir);
    symlinkSync(join(root, "node_modules", "better-sqlite3"), join(dir, "node_modules", "better-sqlite3"), "dir");
    writeFileSync(join(dir, "main.mjs"), program("node20", NAME, false));
    expectOutput(run(node20, ["main.mjs"], { cwd: dir }), "node20 ESM", "better-sqlite3");
    writeFileSync(
      join(dir, "main.cjs"),
      `const { DiskCache } = require("${NAME}");\nconst c = new DiskCache("cjs-dir");\nc.set("k", 1);\nconsole.log(JSON.stringify({ require: c.get("k") }));\nc.close();\n`,
    );
    const cjs = run(node20, ["--no-warnings", "main.cjs"], { cwd: dir });
    if (!cjs.includes(`{"require":1}`)) throw new Error(`require() of the package on Node 20: ${cjs}`);
  },
);

step("Bun: bun add of the tarball; JavaScript and TypeScript with using; bins through bunx", () => {
  const dir = project("bun");
  run(bin("bun"), ["add", tarball], { cwd: dir });
  writeFileSync(join(dir, "main.mjs"), program("bun", NAME, false));
  expectOutput(run(bin("bun"), ["main.mjs"], { cwd: dir }), "bun JS", "bun:sqlite");
  writeFileSync(join(dir, "main.ts"), program("bun", NAME, true));
  expectOutput(run(bin("bun"), ["main.ts"], { cwd: dir }), "bun TypeScript", "bun:sqlite");
  // --bun: without it, bunx runs a bin under the Node its `#!/usr/bin/env node` line finds first on PATH.
  for (const b of bins) cliSmoke(`bunx --bun ${b}`, dir, (args) => run(bin("bun"), ["x", "--bun", b, ...args], { cwd: dir, stdoutOnly: true }));
});

step("Deno: the npm package (npm install, then npm: and bare specifiers)", () => {
  const dir = project("deno-npm");
  npmInstall(dir);
  writeFileSync(join(dir, "npm_specifier.ts"), program("deno", `npm:${NAME}`, true));
  expectOutput(run(bin("deno"), ["run", "-A", "npm_specifier.ts"], { cwd: dir }), "deno npm:", "node:sqlite");
  writeFileSync(join(dir, "bare.ts"), program("deno", NAME, true));
  expectOutput(run(bin("deno"), ["run", "-A", "bare.ts"], { cwd: dir }), "deno bare", "node:sqlite");
});

step(
  "Deno: the files deno publish uploads, imported by name from a workspace (as jsr: resolves them), type-checked",
  () => {
    if (published.length === 0) throw new Error("no file list from the dry run");
    const ws = join(work, "jsr");
    for (const f of published) {
      mkdirSync(dirname(join(ws, "pkg", f)), { recursive: true });
      cpSync(join(clone, f), join(ws, "pkg", f));
    }
    // As JSR does, keep only what a published deno.json means to a consumer.
    const { name, version, exports, imports } = denoJson;
    writeFileSync(join(ws, "pkg", "deno.json"), JSON.stringify({ name, version, exports, imports }, null, 2));
    writeFileSync(join(ws, "deno.json"), JSON.stringify({ workspace: ["./pkg", "./app"] }, null, 2));
    mkdirSync(join(ws, "app"));
    writeFileSync(join(ws, "app", "deno.json"), "{}\n");
    writeFileSync(join(ws, "app", "main.ts"), program("deno", NAME, true));
    run(bin("deno"), ["check", "app/main.ts"], { cwd: ws });
    expectOutput(
      run(bin("deno"), ["run", "-A", "main.ts"], { cwd: join(ws, "app") }),
      "deno JSR layout",
      "node:sqlite",
    );
    if (denoJson.exports["./cli"]) {
      const cli = join(ws, "pkg", denoJson.exports["./cli"]);
      cliSmoke("deno ./cli", join(ws, "app"), (args) => run(bin("deno"), ["run", "-A", cli, ...args], { cwd: join(ws, "app"), stdoutOnly: true }));
    }
  },
);

finish();

function finish() {
  console.log("\n" + timings.join("\n"));
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(failures === 0 ? "pack smoke: all passed" : `pack smoke: ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}
