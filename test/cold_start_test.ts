// What a cold start loads (issue 25 part 1): the shape of the module graph
// and the npm build, never a timing (bench/sections/cold_start.mjs times them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { repoRoot } from "./_helpers.ts";

/** The value imports (not `import type`) of a source or built file: [specifier, ...]. */
function valueImports(file: string): string[] {
  const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[\w*{},\s$]+?\s+from\s+)?["']([^"']+)["']/gm)) {
    if (m[2] === undefined) out.push(m[3]!);
  }
  return out;
}

/** Every file the static graph from `entry` loads (relative imports followed), and the bare specifiers it names. */
function staticGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>(), bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files, bare };
}

test("cold start: importing the package loads neither node:process nor node:crypto (Node builds a facade of each at start)", () => {
  for (const entry of ["mod.ts", "cli.ts", "keyv.ts", "unstorage.ts", "http.ts"]) {
    const { bare } = staticGraph(join(repoRoot, entry));
    for (const costly of ["node:process", "node:crypto"]) {
      assert.ok(!bare.has(costly), `${entry} imports ${costly} statically (use globalThis.process / globalThis.crypto)`);
    }
  }
});
