// Packaging rules: the manifests agree, and src/ stays runtime-free.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, runJson, runners, tempDir } from "../_helpers.ts";

const json = (f: string) => JSON.parse(readFileSync(join(repoRoot, f), "utf8"));

test("package.json and deno.json name the package and export the same entry points; jsr.json is gone", () => {
  const pkg = json("package.json"), deno = json("deno.json");
  for (const m of [pkg, deno]) assert.equal(m.name, "@diskcache/diskcache");
  assert.deepEqual(Object.keys(pkg.exports).sort(), Object.keys(deno.exports).sort());
  for (const [sub, target] of Object.entries(deno.exports as Record<string, string>)) {
    const built = `./dist/${target.slice(2).replace(/\.ts$/, ".js")}`;
    assert.equal(pkg.exports[sub].default, built, `${sub} points at the build of ${target}`);
  }
  assert.equal(pkg.version, deno.version);
  // deno.json takes precedence over jsr.json, whose publish list was never read: one manifest for JSR.
  assert.equal(existsSync(join(repoRoot, "jsr.json")), false);
});

test("package.json, deno.json's publish list and tsconfig.build.json are derived from deno.json's exports", () => {
  const r = spawnSync(join(repoRoot, "node_modules", ".bin", "node"), [join(repoRoot, "scripts", "manifests.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

test("src/ never touches the Deno or Bun globals, the bare process global, or a SQLite binding", () => {
  for (const file of (readdirSync(join(repoRoot, "src"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"))) {
    const code = readFileSync(join(repoRoot, "src", file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    // globalThis.process is allowed: Node, Bun and Deno 2 all define it, and it costs nothing at
    // start, where `import ... from "node:process"` makes Node build a facade of the whole object (issue 25).
    assert.doesNotMatch(code, /\b(Deno|Bun)\.|(?<!globalThis\.)\bprocess\.|["'](bun|node):sqlite["']|better-sqlite3["']|from "\.\.\/runtimes/, file);
  }
});

test("each adapter subpath works imported alone, on every runtime (it chooses the SQLite driver itself)", async () => {
  for (const r of runners("adapter_entry")) {
    using dir = tempDir();
    assert.deepEqual(await runJson(r, [dir.path]), { keyv: "keyv value", unstorage: "unstorage value" }, r.name);
  }
});

test("README links and images are absolute (the registry pages do not ship bench/ or src/), anchors name a heading", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const anchors = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")));
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target!.startsWith("#")) assert.ok(anchors.has(target!.slice(1)), `README links to #${target!.slice(1)}, which no heading defines`);
    else assert.match(target!, /^https:\/\//, `README links to ${target} by a relative path: it breaks on npm and JSR, use an absolute URL`);
  }
});
