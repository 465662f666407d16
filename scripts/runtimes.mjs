// Locates the runtimes the tests and benchmarks use: Deno, Bun and Node 24
// from node_modules/.bin, and the machine's own Node 20 (outside node_modules).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Absolute path of a Node 20 binary, or undefined. */
export function node20Binary() {
  const candidates = [
    process.env.DISKCACHE_NODE20,
    ...(process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.includes("node_modules")).map((d) => join(d, "node")),
    "/usr/bin/node",
    "/usr/local/bin/node",
  ];
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    try {
      const v = execFileSync(c, ["--version"], { encoding: "utf8" }).trim();
      if (v.startsWith("v20.")) return c;
    } catch { /* not runnable */ }
  }
  return undefined;
}
