// The layers of src/, as src/README.md draws them, checked on the import
// statements themselves: a module may import only from its own layer or a
// lower one, and a file whose name starts with "_" only from its own folder.
// Layers, lowest first:
//   0 base     driver, errors, types, settings, eviction (what every layer shares)
//   1 format   src/format/  the bytes on disk: schema, SQL, values, keys, codec, value files
//   2 engine   src/engine/  a connection: open, transactions, statements, settings store, reads
//   3 ops      src/ops/     the operations over an engine, the memory tier
//   4 facade   the other top-level modules of src/ (DiskCache, FanoutCache, Deque, Index, memoize)
//   5 front    src/recipes, src/adapters, src/http, src/cli, src/web_cache
// A lower layer that imports a higher one fails here, naming both files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { repoRoot } from "./_helpers.ts";

// The sources, also on the built rows (which run this file from dist/test or, under npm run coverage, build/dist/test).
const src = join(repoRoot, "src");

const BASE = new Set(["driver.ts", "errors.ts", "types.ts", "settings.ts", "eviction.ts"]);
const FOLDERS: Record<string, number> = { format: 1, engine: 2, ops: 3, recipes: 5, adapters: 5, http: 5, cli: 5, web_cache: 5, next: 5 };

/** The layer of a file under src/ (a path relative to src/). */
function layer(file: string): number {
  const parts = file.split("/");
  if (parts.length === 1) return BASE.has(file) ? 0 : 4;
  const l = FOLDERS[parts[0]!];
  if (l === undefined) throw new Error(`src/${file}: folder ${parts[0]} has no layer; add it to FOLDERS in test/layers_test.ts`);
  return l;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".md") ? [join(dir, e.name)] : []
  );
}

/** The relative specifiers of a module's import and export statements (not of its JSDoc examples). */
function imports(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms)) out.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!);
  return out.filter((s) => s.startsWith("."));
}

const files = walk(src).map((f) => relative(src, f).split("\\").join("/"));

test("src/ has the folders of its layers", () => {
  assert.ok(files.length > 30, `found only ${files.length} modules under ${src}`);
  for (const f of files) layer(f);
});

test("no module imports from a higher layer, nor a private file of another folder", () => {
  const problems: string[] = [];
  for (const f of files) {
    for (const spec of imports(readFileSync(join(src, f), "utf8"))) {
      const target = relative(src, resolve(src, dirname(f), spec)).split("\\").join("/");
      if (target.startsWith("..")) {
        problems.push(`src/${f} imports ${spec}, outside src/ (entry points import src/, not the reverse)`);
        continue;
      }
      if (layer(target) > layer(f)) problems.push(`src/${f} (layer ${layer(f)}) imports src/${target} (layer ${layer(target)})`);
      const name = target.split("/").at(-1)!;
      if (name.startsWith("_") && dirname(target) !== dirname(f)) {
        problems.push(`src/${f} imports src/${target}, private to ${dirname(target) === "." ? "src/" : "src/" + dirname(target)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("the layering check sees a violation (it can fail)", () => {
  assert.deepEqual(imports(`/** import { x } from "../mod.ts"; */\nimport { a } from "./a.ts";\nexport { b } from "../b.ts";\n`), [
    "./a.ts",
    "../b.ts",
  ]);
  assert.ok(layer("format/codec.ts") < layer("ops/items.ts"));
  assert.ok(layer("errors.ts") < layer("format/codec.ts"));
});
