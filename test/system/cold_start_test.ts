// System test split from test/cold_start_test.ts: it builds the npm package
// (scripts/build_package.mjs) and checks what each entry point loads. It runs
// once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { repoRoot, run, tempDir } from "../_helpers.ts";
import { staticGraph } from "../_module_graph.ts";

test("cold start: the npm build is one bundle per entry point, and it runs", async () => {
  using dir = tempDir();
  const out = join(dir.path, "dist");
  const node = join(repoRoot, "node_modules", ".bin", "node");
  const built = await run(node, [join(repoRoot, "scripts", "build_package.mjs"), "--out", out]);
  assert.equal(built.code, 0, built.stderr);
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  for (const [sub, target] of Object.entries(pkg.exports as Record<string, { types: string; default: string }>)) {
    const entry = join(out, target.default.replace(/^\.\/dist\//, ""));
    assert.ok(existsSync(entry), `${sub}: ${entry} was built`);
    assert.ok(existsSync(join(out, target.types.replace(/^\.\/dist\//, ""))), `${sub}: its .d.ts is there`);
    const { files, bare } = staticGraph(entry);
    // tsc's output was about 60 files for "."; the bundle is the entry, its chunk and a few shared chunks.
    assert.ok(files.size <= 7, `${sub} loads ${files.size} files: ${[...files].join(", ")}`);
    for (const spec of bare) {
      assert.match(spec, /^(node:|bun:|better-sqlite3$)/, `${sub} imports ${spec}: dependencies are bundled in`);
    }
  }
  // The main entry's code is one file over 50 KB beside files of a few lines: Bun keeps the
  // transpiled code of a file over 50 KB in its cache, and transpiles a smaller one at every start.
  const sizes = [...staticGraph(join(out, "mod.js")).files].map((f) => [f, readFileSync(f).length] as const);
  const big = sizes.filter(([, n]) => n > 2048);
  assert.equal(big.length, 1, `the main entry's code is in one file: ${JSON.stringify(sizes)}`);
  assert.ok(big[0]![1] > 50 * 1024, `the main entry's chunk is over 50 KB: ${JSON.stringify(sizes)}`);
  // ASCII only: V8 holds a source with one other character as two-byte text.
  for (const file of readdirSync(out, { recursive: true }) as string[]) {
    if (file.endsWith(".js")) assert.doesNotMatch(readFileSync(join(out, file), "utf8"), /[^\t\n\r -~]/, `${file} is not ASCII`);
  }
  // No .js file of tsc's is left beside the bundles (the .d.ts files stay).
  assert.ok(!existsSync(join(out, "src", "disk_cache.js")) && existsSync(join(out, "src", "disk_cache.d.ts")));
  // The bundle runs: the cold start script of the benchmark, on Node 24.
  const ran = await run(node, ["--no-warnings", join(repoRoot, "bench", "cold_start", "ours.mjs"), join(out, "mod.js")]);
  assert.equal(ran.code, 0, ran.stderr);
  // Node loads none of its own modules for an import, open, set, get and close but node:sqlite: an
  // \`import\` of node:fs loaded fs/promises, readline, the REPL history and streams (about 50 modules,
  // ~4.5 ms of CPU), the global \`performance\` perf_hooks (issue 25).
  const loads = join(dir.path, "loads.mjs");
  writeFileSync(
    loads,
    `const before = new Set(process.moduleLoadList);
const { DiskCache } = await import(${JSON.stringify(pathToFileURL(join(out, "mod.js")).href)});
const cache = new DiskCache(${JSON.stringify(join(dir.path, "loads"))});
cache.set("key", "value");
cache.get("key");
cache.close();
console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));
`,
  );
  const loaded = await run(node, ["--no-warnings", loads]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.deepEqual((JSON.parse(loaded.stdout) as string[]).filter((m) => !/\bsqlite$/.test(m)), [], "Node modules loaded for a cold start");
  // Importing formats no stack trace (memoize's library folder is found on first use, issue 25).
  const traced = join(dir.path, "traced.mjs");
  writeFileSync(
    traced,
    `let formatted = 0;
Error.prepareStackTrace = (error, frames) => { formatted++; return \`\${error}\\n\${frames.map((f) => "    at " + f).join("\\n")}\`; };
await import(${JSON.stringify(pathToFileURL(join(out, "mod.js")).href)});
console.log(formatted);
`,
  );
  const tracedRun = await run(node, ["--no-warnings", traced]);
  assert.equal(tracedRun.code, 0, tracedRun.stderr);
  assert.equal(tracedRun.stdout.trim(), "0", "importing the package formatted a stack trace");
  // memoize and memoizeStampede name a function by the module that calls them, found as the
  // first stack frame outside the library's folder: every frame of the bundle must be inside it.
  const caller = join(dir.path, "caller.mjs");
  writeFileSync(
    caller,
    `const { DiskCache, memoize, memoizeStampede } = await import(${JSON.stringify(pathToFileURL(join(out, "mod.js")).href)});
const cache = new DiskCache(${JSON.stringify(join(dir.path, "cache"))});
await memoizeStampede(cache, async function viaStampede(x) { return x; }, { ttl: 60_000 })(1);
memoize(cache, function viaMemoize(x) { return x; })(1);
console.log(JSON.stringify([...cache.keys()]));
cache.close();
`,
  );
  const named = await run(node, ["--no-warnings", caller]);
  assert.equal(named.code, 0, named.stderr);
  const callerName = caller.replaceAll("\\", "/").replace(/\.mjs$/, "");
  for (const fn of ["viaMemoize", "viaStampede"]) assert.ok(named.stdout.includes(`"${callerName}:${fn}"`), named.stdout);
  assert.ok(!named.stdout.includes("diskcache/"), `a key names the library: ${named.stdout}`);
  // The command turns on Node's compile cache (in os.tmpdir()/node-compile-cache, as tsc does):
  // a later run loads the compiled chunks instead of compiling them again (issue 25).
  const tmp = join(dir.path, "tmp");
  mkdirSync(tmp);
  const env: Record<string, string | undefined> = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const cli = spawnSync(node, ["--no-warnings", join(out, "cli.js"), "--help"], { env, encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stderr);
  assert.ok(existsSync(join(tmp, "node-compile-cache")), "the command left no compile cache");
  assert.match(readFileSync(join(out, "cli.js"), "utf8"), /^#!\/usr\/bin\/env node\n/, "the bin keeps its shebang");
});
