// Packaging rules: the three manifests agree, and src/ stays runtime-free.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, runJson, runners, tempDir } from "./_helpers.ts";

const json = (f: string) => JSON.parse(readFileSync(join(repoRoot, f), "utf8"));

test("package.json, jsr.json and deno.json name the package and export the same entry points", () => {
  const pkg = json("package.json"), jsr = json("jsr.json"), deno = json("deno.json");
  for (const m of [pkg, jsr, deno]) assert.equal(m.name, "@diskcache/diskcache");
  assert.deepEqual(jsr.exports, deno.exports);
  assert.deepEqual(Object.keys(pkg.exports).sort(), Object.keys(jsr.exports).sort());
  for (const [sub, target] of Object.entries(jsr.exports as Record<string, string>)) {
    const built = `./dist/${target.slice(2).replace(/\.ts$/, ".js")}`;
    assert.equal(pkg.exports[sub].default, built, `${sub} points at the build of ${target}`);
  }
  assert.equal(pkg.version, jsr.version);
  assert.equal(pkg.version, deno.version);
});

test("src/ never touches the Deno or Bun globals, process, or a SQLite binding", () => {
  for (const file of (readdirSync(join(repoRoot, "src"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"))) {
    const code = readFileSync(join(repoRoot, "src", file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    assert.doesNotMatch(code, /\b(Deno|Bun)\.|\bprocess\.|["'](bun|node):sqlite["']|better-sqlite3["']|from "\.\.\/runtimes/, file);
  }
});

test("each adapter subpath works imported alone, on every runtime (it chooses the SQLite driver itself)", async () => {
  for (const r of runners("adapter_entry")) {
    using dir = tempDir();
    assert.deepEqual(await runJson(r, [dir.path]), { keyv: "keyv value", unstorage: "unstorage value" }, r.name);
  }
});
