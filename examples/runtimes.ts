// Choosing the SQLite driver yourself: `@diskcache/diskcache/bun`, `/deno` and
// `/node`. The main entry already picks the right one when the first cache
// opens; these entries are for pinning it (e.g. better-sqlite3 on a Node 24
// that also has node:sqlite) or for a runtime the detection does not know.
//   node examples/runtimes.ts      (also: deno run -A examples/runtimes.ts, bun examples/runtimes.ts)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskCache, type SqliteDriver } from "../mod.ts"; // in your project: from "@diskcache/diskcache"

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
let driver: SqliteDriver;
if (g.Bun !== undefined) {
  // Only Bun can load this entry: it imports bun:sqlite.
  const { bunDriver } = await import("../runtimes/bun.ts"); // "@diskcache/diskcache/bun"
  driver = bunDriver();
} else if (g.Deno !== undefined) {
  const { denoDriver } = await import("../runtimes/deno.ts"); // "@diskcache/diskcache/deno"
  driver = denoDriver();
} else {
  // node:sqlite on Node >= 22.13, else better-sqlite3 (npm install better-sqlite3@12).
  const { nodeDriver } = await import("../runtimes/node.ts"); // "@diskcache/diskcache/node"
  driver = nodeDriver();
}

// Written without `using`, so that it also reads as plain JavaScript for Node 20.
const directory = mkdtempSync(join(tmpdir(), "diskcache-runtimes-"));
const cache = new DiskCache(directory, { driver });
try {
  cache.set("greeting", "hello", { ttl: 60_000 });
  console.log(`driver ${cache.driverName}: get("greeting") = ${JSON.stringify(cache.get("greeting"))}`);
} finally {
  cache.close();
  rmSync(directory, { recursive: true, force: true });
}
