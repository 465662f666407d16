// The names memoize() keys on (src/function_name.ts): a module's name from
// the package around it, whatever its manifests say, and the caller found on
// the stack whatever its frames look like (a script named by a URL, or by a
// plain path). Not a file: URL of another host: Node's coverage report fails
// on a script named so (ERR_INVALID_FILE_URL_HOST), losing the whole run's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runInThisContext } from "node:vm";
import { memoize, type MemoizeCache } from "../mod.ts";
import { moduleName } from "../src/function_name.ts";
import { repoRoot, run, tempCache, tempDir } from "./_helpers.ts";

/** Writes `files` (path -> text) under `root`. */
function tree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test("moduleName(): a file in no package is its absolute path; a nameless package names its modules by their path in it", () => {
  using dir = tempDir();
  tree(dir.path, {
    "loose/users.ts": "",
    "nameless/package.json": "{}",
    "nameless/src/users.ts": "",
    "commented/deno.jsonc": '// a comment JSON.parse refuses\n{ "name": "@x/commented" }',
    "commented/lib/users.ts": "",
  });
  assert.equal(moduleName(join(dir.path, "loose", "users.ts")), `${dir.path}/loose/users`);
  assert.equal(moduleName(join(dir.path, "nameless", "src", "users.ts")), "users");
  assert.equal(moduleName(join(dir.path, "commented", "lib", "users.ts")), "users", "a deno.jsonc with comments gives no name");
});

test("moduleName(): a nameless manifest inside a named package does not end it; a named deno.json beside a nameless package.json names it", () => {
  using dir = tempDir();
  tree(dir.path, {
    "app/package.json": '{ "name": "app" }',
    "app/dist/package.json": '{ "type": "commonjs" }',
    "app/dist/users.js": "",
    "both/package.json": '{ "private": true }',
    "both/deno.json": '{ "name": "@x/both" }',
    "both/src/users.ts": "",
    "inner/package.json": "{}",
    "inner/sub/package.json": '{ "type": "module" }',
    "inner/sub/users.ts": "",
  });
  assert.equal(moduleName(join(dir.path, "app", "dist", "users.js")), "app/users");
  assert.equal(moduleName(join(dir.path, "both", "src", "users.ts")), "@x/both/users");
  assert.equal(moduleName(join(dir.path, "inner", "sub", "users.ts")), "users", "the nearest of two nameless manifests");
});

test("moduleName() of a URL: the URL without its query, fragment and extension", () => {
  assert.equal(moduleName("https://example.com/lib/users.ts?v=2#top"), "https://example.com/lib/users");
  assert.equal(moduleName("http://example.com/users.mjs"), "http://example.com/users");
});

test("memoize() called from a script named by a URL, or by a plain path, keys on that module", () => {
  using cache = tempCache();
  using dir = tempDir();
  type Call = (m: typeof memoize, c: MemoizeCache, f: () => number) => { cacheKey(): unknown[] };
  const from = (filename: string) => runInThisContext("(m, c, f) => m(c, f)", { filename }) as Call;
  const viaUrl = from("https://example.com/lib/app.js?v=2")(memoize, cache, function load() {
    return 1;
  });
  assert.deepEqual(viaUrl.cacheKey(), ["https://example.com/lib/app:load"]);
  const viaPath = from(join(dir.path, "app.cjs"))(memoize, cache, function load() {
    return 2;
  });
  assert.deepEqual(viaPath.cacheKey(), [`${dir.path}/app:load`]);
});

test("memoize() on a cache with no directory claims names per cache object: another function of the same name is refused there only", () => {
  const store = (): MemoizeCache => {
    const map = new Map<string, unknown>();
    return { get: (k) => map.get(JSON.stringify(k)), set: (k, v) => map.set(JSON.stringify(k), v) };
  };
  const a = store(), b = store();
  const first = memoize(a, function twin() {
    return 1;
  });
  assert.equal(first(), 1);
  assert.throws(
    () =>
      memoize(a, function twin() {
        return 2;
      }),
    /another function is already memoized as "@diskcache\/diskcache\/test\/function_name_test:twin" in this cache/,
  );
  const other = memoize(b, function twin() {
    return 3;
  });
  assert.equal(other(), 3, "another cache object: its own names");
});

test("memoize() names its caller right in a process that loaded the library with stack traces off (Error.stackTraceLimit = 0)", async () => {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const built = fileURLToPath(import.meta.url).endsWith(".js"); // Node 20 runs the build in dist/
  const [cmd, args] = g.Deno !== undefined
    ? [g.Deno.execPath() as string, ["run", "-A", "--no-check", "--config", join(repoRoot, "deno.json")]]
    : [process.execPath, g.Bun !== undefined ? [] : ["--no-warnings"]];
  using dir = tempDir();
  const script = join(dir.path, "caller.mjs"); // in no package: named by its path
  const entry = pathToFileURL(join(repoRoot, built ? "dist/mod.js" : "mod.ts")).href;
  writeFileSync(
    script,
    `Error.stackTraceLimit = 0;
const { memoize } = await import(${JSON.stringify(entry)});
Error.stackTraceLimit = 10;
const map = new Map();
const load = memoize({ get: (k) => map.get(JSON.stringify(k)), set: (k, v) => map.set(JSON.stringify(k), v) }, function load() { return 1; });
console.log(JSON.stringify(load.cacheKey()));
`,
  );
  const res = await run(cmd, [...args, script]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), [`${dir.path}/caller:load`], "the caller's module, not the library's own file");
});
