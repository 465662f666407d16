#!/usr/bin/env node
// API documentation from the JSDoc: `npm run docs` writes HTML for every entry
// point of deno.json's `exports` into docs/api/ (not committed). Fails when
// `deno doc` fails or prints a warning, so CI keeps the docs buildable.
// It documents a copy of the source tree away from node_modules, as JSR sees
// the package: next to node_modules, deno doc 2.9 reads @types/node there and
// warns about every `/// <reference path>` in it.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const output = join(root, "docs", "api");
const entries = Object.values(deno.exports);
rmSync(output, { recursive: true, force: true });
mkdirSync(dirname(output), { recursive: true });
const copy = mkdtempSync(join(tmpdir(), "diskcache-docs-"));
for (const f of ["src", "runtimes", "types", ...entries]) cpSync(join(root, f), join(copy, f), { recursive: true });
// What a published deno.json means to a consumer (node_modules settings do not apply).
const { name, version, exports, imports, compilerOptions } = deno;
writeFileSync(join(copy, "deno.json"), JSON.stringify({ name, version, exports, imports, compilerOptions }));
const r = spawnSync(join(root, "node_modules", ".bin", "deno"), [
  "doc",
  "--html",
  `--name=${deno.name}`,
  `--output=${output}`,
  ...entries,
], {
  cwd: copy,
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
rmSync(copy, { recursive: true, force: true });
const out = (r.stdout ?? "") + (r.stderr ?? "");
process.stdout.write(out);
if (r.error || r.status !== 0 || /warning|error/i.test(out) || !existsSync(join(output, "index.html"))) {
  console.error(r.error ? `cannot run deno: ${r.error.message}` : `deno doc failed or warned (exit ${r.status})`);
  process.exit(1);
}
console.log(`API docs for ${entries.length} entry points: ${join("docs", "api", "index.html")}`);
