// The static module graph of a source or built file, read as text (what a
// cold start loads, without loading it): for the cold-start tests.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The value imports (not `import type`) of a source or built file: [specifier, ...]. */
export function valueImports(file: string): string[] {
  const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[\w*{},\s$]+?\s+from\s+)?["']([^"']+)["']/gm)) {
    if (m[2] === undefined) out.push(m[3]!);
  }
  return out;
}

/** Every file the static graph from `entry` loads (relative imports followed), and the bare specifiers it names. */
export function staticGraph(entry: string): { files: Set<string>; bare: Set<string> } {
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
